/**
 * The brand figures kept from tallies (migration StatisticsTallies) against an independent reference: the previous
 * full-scan implementation, as SQL over the source tables, run by the test itself. Every comparison covers every
 * figure of the API's BrandStatistics (and RegionStatistics).
 */
import { isDeepStrictEqual } from 'node:util';
import { Client } from 'pg';
import { pgErrorCode } from '../../src/database/transactions';
import { BullQueues } from '../../src/common/queue/bull-queues';
import { jobDefinition } from '../../src/common/queue/job';
import { QUEUES } from '../../src/common/queue/queues';
import { RecomputeBrandJob } from '../../src/statistics/jobs/recompute.jobs';
import { SalaryView } from '../../src/statistics/dto/statistics.dto';
import { StatisticsCalculator } from '../../src/statistics/statistics.calculator';
import { createBrand, createCertifiedBrand, SEED_BRANDS } from '../support/brands';
import { createOrganization, OrgWithKey } from '../support/factories';
import { seededRandom } from '../support/random';
import { Response, startTestApp, TestApp } from '../support/test-app';
import { registerTrainee, uniqueNationalId } from '../support/trainees';
import { REGION_REFERENCE_SQL } from '../support/region-reference';

const DAY_MS = 86_400_000;
/** A civil date in China (UTC+8, no daylight saving), `offsetDays` from today. */
const chinaDay = (offsetDays = 0): string => new Date(Date.now() + 8 * 3_600_000 + offsetDays * DAY_MS).toISOString().slice(0, 10);
const addDays = (isoDate: string, days: number): string => new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
const daysBetween = (from: string, to: string): number => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);

const IMPORT_HEADER = 'fullName,nationalId,phone,targetGroups,cohort,expectedMonthlySalaryFen';

async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value ${JSON.stringify(value).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function expectStatus(res: Response, status: number, what: string): void {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${res.text.slice(0, 400)}`);
}

/** Every figure of BrandStatistics (API.md, Statistics), without the bookkeeping (ids and times). */
interface Figures {
  traineeCount: number;
  traineesByStatus: Record<string, number>;
  certifiedTraineeCount: number;
  certificationRate: number | null;
  placedTraineeCount: number;
  placementRate: number | null;
  activePlacementCount: number;
  endedPlacementCount: number;
  employerCount: number;
  salary: SalaryView;
  medianSalaryUpliftPct: number | null;
  medianDaysToPlacement: number | null;
  retention6mRate: number | null;
  retention12mRate: number | null;
}

/**
 * The previous full-scan implementation, verbatim, plus the quartiles rounded to whole fen (round(numeric): halves
 * away from zero). $1 brand, $2 the day of the figures in China.
 */
const REFERENCE_SQL = `
WITH tr AS (
  SELECT count(*)::int AS total,
         count(*) FILTER (WHERE status = 'registered')::int AS registered, count(*) FILTER (WHERE status = 'training')::int AS training,
         count(*) FILTER (WHERE status = 'completed')::int AS completed, count(*) FILTER (WHERE status = 'placed')::int AS placed,
         count(*) FILTER (WHERE status = 'withdrawn')::int AS withdrawn
    FROM trainees WHERE brand_id = $1),
ce AS (SELECT count(DISTINCT trainee_id)::int AS certified FROM certifications
        WHERE brand_id = $1 AND status = 'active' AND (valid_until IS NULL OR valid_until >= $2::date)),
pl AS (
  SELECT count(DISTINCT trainee_id) FILTER (WHERE confirmed_at IS NOT NULL)::int AS placed_trainees,
         count(*) FILTER (WHERE status = 'confirmed')::int AS active, count(*) FILTER (WHERE status = 'ended')::int AS ended,
         count(DISTINCT employer_id) FILTER (WHERE confirmed_at IS NOT NULL)::int AS employers,
         count(*) FILTER (WHERE confirmed_at IS NOT NULL AND confirm_day + interval '6 months' <= $2::date)::int AS r6_base,
         count(*) FILTER (WHERE confirmed_at IS NOT NULL AND confirm_day + interval '6 months' <= $2::date
                            AND (end_date IS NULL OR end_date >= confirm_day + interval '6 months'))::int AS r6_kept,
         count(*) FILTER (WHERE confirmed_at IS NOT NULL AND confirm_day + interval '12 months' <= $2::date)::int AS r12_base,
         count(*) FILTER (WHERE confirmed_at IS NOT NULL AND confirm_day + interval '12 months' <= $2::date
                            AND (end_date IS NULL OR end_date >= confirm_day + interval '12 months'))::int AS r12_kept,
         percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY annual_salary_fen) FILTER (WHERE status = 'confirmed') AS q,
         round(avg(annual_salary_fen) FILTER (WHERE status = 'confirmed')) AS mean
    FROM (SELECT *, (confirmed_at AT TIME ZONE 'Asia/Shanghai')::date AS confirm_day FROM placements WHERE brand_id = $1) p),
up AS (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY (p.annual_salary_fen::numeric / 12 / t.expected_monthly_salary_fen - 1) * 100) AS v
         FROM placements p JOIN trainees t ON t.id = p.trainee_id
        WHERE p.brand_id = $1 AND p.status = 'confirmed' AND t.expected_monthly_salary_fen > 0),
dp AS (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM f.first_confirmed - t.registered_at) / 86400) AS v
         FROM (SELECT trainee_id, min(confirmed_at) AS first_confirmed FROM placements
                WHERE brand_id = $1 AND confirmed_at IS NOT NULL GROUP BY trainee_id) f JOIN trainees t ON t.id = f.trainee_id)
SELECT tr.*, ce.certified, pl.*, up.v::float8 AS uplift, dp.v::float8 AS days,
       (SELECT array_agg(round(x::numeric)::text ORDER BY i) FROM unnest(pl.q) WITH ORDINALITY AS u(x, i)) AS quartiles_fen,
       pl.mean::text AS mean_fen
  FROM tr, ce, pl, up, dp`;


/** A brand's tallies as a reader sees them: folded cells plus the deltas not folded yet, cells that sum to nothing left out. */
const CELLS_SQL = `
SELECT figure::text, bucket::text, sum(n)::text AS n, sum(total)::text AS total FROM (
  SELECT figure, bucket, n, total FROM brand_tallies WHERE brand_id = $1
  UNION ALL
  SELECT u.figure, u.bucket, u.n, u.total
    FROM brand_tally_deltas d, unnest(d.figures, d.buckets, d.ns, d.totals) AS u(figure, bucket, n, total) WHERE d.brand_id = $1) c
 GROUP BY figure, bucket HAVING sum(n) <> 0 OR sum(total) <> 0
 ORDER BY figure::text, bucket`;

/** The derived columns the triggers keep, and the brand's employers. trim_scale: numerically equal values compare equal. */
const DERIVED_SQL = `
SELECT (SELECT COALESCE(json_agg(json_build_array(id, trim_scale(uplift_pct)::text, trim_scale(days_to_placement)::text) ORDER BY id), '[]')
          FROM placements WHERE brand_id = $1) AS placements,
       (SELECT COALESCE(json_agg(json_build_array(id, certified_until::text) ORDER BY id), '[]') FROM trainees WHERE brand_id = $1) AS trainees,
       (SELECT COALESCE(json_agg(employer_id ORDER BY employer_id), '[]') FROM brand_employers WHERE brand_id = $1) AS employers`;

const fen = (v: string | null | undefined): number | null => (v === null || v === undefined ? null : Number(v));
const ratio = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);

function referenceFigures(r: Record<string, any>): Figures {
  const q: string[] | null = r.quartiles_fen;
  return {
    traineeCount: r.total,
    traineesByStatus: { registered: r.registered, training: r.training, completed: r.completed, placed: r.placed, withdrawn: r.withdrawn },
    certifiedTraineeCount: r.certified,
    certificationRate: ratio(r.certified, r.total),
    placedTraineeCount: r.placed_trainees,
    placementRate: ratio(r.placed_trainees, r.total),
    activePlacementCount: r.active,
    endedPlacementCount: r.ended,
    employerCount: r.employers,
    salary: { sampleSize: r.active, medianAnnualFen: fen(q?.[1]), p25AnnualFen: fen(q?.[0]), p75AnnualFen: fen(q?.[2]), meanAnnualFen: fen(r.mean_fen), suppressed: false },
    medianSalaryUpliftPct: r.uplift,
    medianDaysToPlacement: r.days,
    retention6mRate: ratio(r.r6_kept, r.r6_base),
    retention12mRate: ratio(r.r12_kept, r.r12_base),
  };
}

/** The API's body without its bookkeeping: everything else must equal the reference. */
function apiFigures(body: Record<string, any>): Figures {
  const { brandId: _brandId, asOf: _asOf, computedAt: _computedAt, lastEventId: _lastEventId, ...figures } = body;
  return figures as Figures;
}

function rowFigures(r: Record<string, any>): Figures {
  return {
    traineeCount: r.trainee_count,
    traineesByStatus: r.trainees_by_status,
    certifiedTraineeCount: r.certified_trainee_count,
    certificationRate: r.certification_rate,
    placedTraineeCount: r.placed_trainee_count,
    placementRate: r.placement_rate,
    activePlacementCount: r.active_placement_count,
    endedPlacementCount: r.ended_placement_count,
    employerCount: r.employer_count,
    salary: {
      sampleSize: r.salary_sample_size,
      medianAnnualFen: fen(r.median_annual_fen),
      p25AnnualFen: fen(r.p25_annual_fen),
      p75AnnualFen: fen(r.p75_annual_fen),
      meanAnnualFen: fen(r.mean_annual_fen),
      suppressed: false,
    },
    medianSalaryUpliftPct: r.median_salary_uplift_pct,
    medianDaysToPlacement: r.median_days_to_placement,
    retention6mRate: r.retention6m_rate,
    retention12mRate: r.retention12m_rate,
  };
}

/** Exact equality of every figure, but the two medians of computed fractions, which are floating point. */
/** The figures with the two floating-point medians rounded to 9 decimals, as expectFigures compares them. */
function comparable(f: Figures): Figures {
  const round = (v: number | null): number | null => (v === null ? null : Math.round(v * 1e9) / 1e9);
  return { ...f, medianSalaryUpliftPct: round(f.medianSalaryUpliftPct), medianDaysToPlacement: round(f.medianDaysToPlacement) };
}

function expectFigures(actual: Figures, expected: Figures, context: string): void {
  const exact = (f: Figures): Record<string, unknown> => ({ context, ...f, medianSalaryUpliftPct: undefined, medianDaysToPlacement: undefined });
  expect(exact(actual)).toEqual(exact(expected));
  for (const key of ['medianSalaryUpliftPct', 'medianDaysToPlacement'] as const) {
    if (expected[key] === null) expect({ context, key, value: actual[key] }).toEqual({ context, key, value: null });
    else {
      expect(typeof actual[key]).toBe('number');
      expect(actual[key]).toBeCloseTo(expected[key] as number, 9);
    }
  }
}

type TraineeStatus = 'registered' | 'training' | 'completed' | 'placed' | 'withdrawn';
interface ModelBrand {
  id: string;
  name: string;
  operator: OrgWithKey;
  trainees: ModelTrainee[];
}
interface ModelTrainee {
  id: string;
  status: TraineeStatus;
  erased: boolean;
  open: { id: string; status: 'proposed' | 'confirmed'; employer: OrgWithKey; startDate: string } | null;
  certs: Array<{ id: string; issuerKey: string }>;
}

describe('statistics from tallies equal an independent full scan', () => {
  let t: TestApp;
  let calculator: StatisticsCalculator;
  let bureaus: Record<string, OrgWithKey>;
  let firmA: OrgWithKey;
  let firmB: OrgWithKey;
  let employers: OrgWithKey[];
  let brandA: ModelBrand;
  let brandB: ModelBrand;
  let brandC: ModelBrand;

  beforeAll(async () => {
    t = await startTestApp({ STATISTICS_DEBOUNCE_MS: '50', OUTBOX_POLL_MS: '100' }, { worker: true });
    calculator = t.app.get(StatisticsCalculator);
    bureaus = {};
    for (const province of ['310000', '320000', '330000', '420000', '440000']) bureaus[province] = await createOrganization(t, 'bureau', province);
    firmA = await createOrganization(t, 'hr_firm', '310104');
    firmB = await createOrganization(t, 'hr_firm', '310104');
    employers = await Promise.all(Array.from({ length: 8 }, () => createOrganization(t, 'employer', '310104')));
    const brand = async (operator: OrgWithKey, overrides: Record<string, unknown>): Promise<ModelBrand> => {
      const b = await createCertifiedBrand(t, operator.key, bureaus['310000'].key, overrides);
      return { id: b.id, name: b.name, operator, trainees: [] };
    };
    brandA = await brand(firmA, { ...SEED_BRANDS.xuhuiAiTrainer, name: '统计随机品牌甲' });
    brandB = await brand(firmB, { ...SEED_BRANDS.xuhuiAiTrainer, name: '统计随机品牌乙' });
    brandC = await brand(firmA, { ...SEED_BRANDS.yangpuCncOperator, name: '统计杨浦品牌丙' });
  });
  afterAll(async () => t?.close());

  const stats = (brandId: string, key: string): Promise<Response> => t.request('GET', `/v1/brands/${brandId}/statistics`, { key });
  const newestEvent = async (brandId: string): Promise<string> =>
    (await t.dataSource.query(`SELECT id FROM outbox_events WHERE brand_id = $1 ORDER BY seq DESC LIMIT 1`, [brandId]))[0].id;

  /** The brand's figures once they include its newest event, read through the API as its operator (nothing suppressed). */
  async function fresh(brandId: string, key: string, timeoutMs = 30_000): Promise<Response> {
    const last = await newestEvent(brandId);
    await waitFor(() => stats(brandId, key), (r) => r.status === 200 && r.body.lastEventId === last, timeoutMs, `statistics of ${brandId} to include event ${last}`);
    // Events are numbered when written but commit in any order: figures stamped with the newest event can still
    // miss one numbered before it that committed after their snapshot; that event's own recomputation follows. So
    // the figures are fresh once they also agree with the rows (the assertions then say exactly where they do not).
    const settled = await waitFor(
      async () => ({ res: await stats(brandId, key), expected: await reference(brandId) }),
      ({ res, expected }) => res.status === 200 && isDeepStrictEqual(comparable(apiFigures(res.body)), comparable(expected)),
      timeoutMs,
      `statistics of ${brandId} to settle`,
    ).catch(() => undefined);
    return settled?.res ?? stats(brandId, key);
  }

  /** No recomputation of the brand waiting or running: only the test changes its figures from here on. */
  async function quiet(brandId: string): Promise<void> {
    const queue = t.app.get(BullQueues).get(QUEUES.statistics);
    await waitFor(
      async () => (await queue.getJobs(['waiting', 'active', 'delayed', 'prioritized'])).filter((j) => j?.name === jobDefinition(RecomputeBrandJob).name && (j.data as { brandId?: string } | undefined)?.brandId === brandId).length,
      (n) => n === 0,
      20_000,
      `no pending recomputation of ${brandId}`,
    );
  }

  async function reference(brandId: string, today = chinaDay()): Promise<Figures> {
    const [row] = await t.dataSource.query(REFERENCE_SQL, [brandId, today]);
    return referenceFigures(row);
  }

  async function storedFigures(brandId: string): Promise<Figures> {
    const [row] = await t.dataSource.query(`SELECT * FROM brand_statistics WHERE brand_id = $1`, [brandId]);
    return rowFigures(row);
  }

  /** The API, the stored row and the reference agree on every figure. */
  async function expectBrandMatchesReference(brand: ModelBrand, res: Response, today = chinaDay()): Promise<Figures> {
    expect(res.status).toBe(200);
    const expected = await reference(brand.id, today);
    expectFigures(apiFigures(res.body), expected, `${brand.name} via the API (day ${today})`);
    expectFigures(await storedFigures(brand.id), expected, `${brand.name} in brand_statistics (day ${today})`);
    return expected;
  }

  /**
   * The brand's tallies (folded and not) and derived columns as they are, and as rebuild_brand_tallies makes them
   * from the source rows, both in one REPEATABLE READ snapshot; the rebuild is rolled back.
   */
  async function tallyAgainstRebuild(brandId: string): Promise<{ kept: unknown; rebuilt: unknown }> {
    for (let attempt = 1; ; attempt++) {
      const runner = t.dataSource.createQueryRunner();
      await runner.connect();
      try {
        await runner.startTransaction('REPEATABLE READ');
        const read = async (): Promise<unknown> => ({ cells: await runner.query(CELLS_SQL, [brandId]), derived: (await runner.query(DERIVED_SQL, [brandId]))[0] });
        const kept = await read();
        await runner.query(`SELECT rebuild_brand_tallies($1)`, [brandId]);
        const rebuilt = await read();
        await runner.rollbackTransaction();
        return { kept, rebuilt };
      } catch (err) {
        if (runner.isTransactionActive) await runner.rollbackTransaction();
        // A worker folding the brand's deltas at the same moment: the snapshot cannot delete them too. Try again.
        if (pgErrorCode(err) === '40001' && attempt < 10) continue;
        throw err;
      } finally {
        await runner.release();
      }
    }
  }

  async function expectTalliesEqualRebuild(brandId: string): Promise<void> {
    const { kept, rebuilt } = await tallyAgainstRebuild(brandId);
    expect(kept).toEqual(rebuilt);
  }

  /** Register, propose, confirm: one placed trainee. */
  async function place(brand: ModelBrand, employer: OrgWithKey, annualSalaryFen: number, expected: number | null = 1_000_000, startDate = chinaDay()): Promise<{ traineeId: string; placementId: string }> {
    const trainee = await registerTrainee(t, brand.operator.key, brand.id, { expectedMonthlySalaryFen: expected });
    const proposed = await t.request('POST', '/v1/placements', {
      key: brand.operator.key,
      body: { traineeId: trainee.id, employerId: employer.id, jobTitle: '操作员', workRegionCode: '310104', salaryFen: annualSalaryFen, salaryPeriod: 'annual', startDate },
    });
    expectStatus(proposed, 201, 'propose');
    expectStatus(await t.request('POST', `/v1/placements/${proposed.body.id}/confirm`, { key: employer.key, body: {} }), 200, 'confirm');
    brand.trainees.push({ id: trainee.id, status: 'placed', erased: false, open: { id: proposed.body.id, status: 'confirmed', employer, startDate }, certs: [] });
    return { traineeId: trainee.id, placementId: proposed.body.id };
  }

  it('keep figures equal to a full scan, and tallies equal to a rebuild, after a random sequence of thousands of API events', async () => {
    const SEED = 20261127;
    const TARGET_REQUESTS = 2600;
    const IN_FLIGHT = 8;
    const random = seededRandom(SEED);
    const pickOf = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
    const expectedSalary = (): number | null => {
      const r = random();
      if (r < 0.15) return null;
      if (r < 0.2) return 0; // no uplift can be computed against 0
      if (r < 0.3) return 1_000_000;
      return 200_000 + Math.floor(random() * 2_300_000);
    };
    const salary = (): { salaryFen: number; salaryPeriod: 'monthly' | 'annual' } => {
      const r = random();
      if (r < 0.15) return { salaryFen: 1_000_000, salaryPeriod: 'monthly' }; // many exact duplicates
      if (r < 0.25) return { salaryFen: 12_000_000 + Math.floor(random() * 3) * 50_000, salaryPeriod: 'annual' }; // one bucket, few values
      if (r < 0.8) return { salaryFen: 300_000 + Math.floor(random() * 2_700_000), salaryPeriod: 'monthly' };
      return { salaryFen: 3_600_000 + Math.floor(random() * 40_000_000), salaryPeriod: 'annual' };
    };
    const dayWithin = (from: string): string => addDays(from, Math.floor(random() * (daysBetween(from, chinaDay()) + 1)));
    const canBePlaced = (s: TraineeStatus): boolean => s === 'registered' || s === 'training' || s === 'completed';

    type Apply = () => void | Promise<void>;
    interface Op {
      name: string;
      run: () => Promise<Apply>;
    }
    const ACTIONS: Array<[string, number]> = [
      ['register', 13],
      ['import', 0.7],
      ['expectedSalary', 7],
      ['advance', 7],
      ['withdraw', 1.5],
      ['erase', 0.4],
      ['issue', 8],
      ['revoke', 3.5],
      ['propose', 17],
      ['confirm', 14],
      ['reject', 2],
      ['withdrawPlacement', 1.5],
      ['salaryChange', 6],
      ['end', 6],
    ];
    const totalWeight = ACTIONS.reduce((s, [, w]) => s + w, 0);
    let imports = 0;

    /** One state-changing request on a trainee no other request of the batch touches. */
    const plan = (busy: Set<string>): Op | null => {
      const brand = random() < 0.85 ? brandA : brandB;
      let r = random() * totalWeight;
      const action = (ACTIONS.find(([, w]) => (r -= w) < 0) ?? ACTIONS[0])[0];
      const pick = (eligible: (x: ModelTrainee) => boolean): ModelTrainee | null => {
        const list = brand.trainees.filter((x) => !busy.has(x.id) && eligible(x));
        if (!list.length) return null;
        const chosen = pickOf(list);
        busy.add(chosen.id);
        return chosen;
      };
      const op = (run: () => Promise<Apply>): Op => ({ name: action, run });
      const key = brand.operator.key;
      switch (action) {
        case 'register': {
          const expected = expectedSalary();
          return op(async () => {
            const body = await registerTrainee(t, key, brand.id, { expectedMonthlySalaryFen: expected });
            return () => void brand.trainees.push({ id: body.id, status: 'registered', erased: false, open: null, certs: [] });
          });
        }
        case 'import': {
          // One statement writes several trainees: one delta row for all of them.
          const batch = `import-${String(++imports).padStart(3, '0')}`;
          const rows = Array.from({ length: 2 + Math.floor(random() * 6) }, (_, i) => `学员${i},${uniqueNationalId()},,graduate,${batch}-${i},${expectedSalary() ?? ''}`);
          return op(async () => {
            const res = await t.request('POST', `/v1/brands/${brand.id}/trainees/import`, { key, raw: `${IMPORT_HEADER}\n${rows.join('\n')}\n`, contentType: 'text/csv' });
            expectStatus(res, 200, 'import');
            expect(res.body.created).toBe(rows.length);
            return async () => {
              const created: Array<{ id: string }> = await t.dataSource.query(`SELECT id FROM trainees WHERE brand_id = $1 AND cohort LIKE $2 ORDER BY cohort`, [brand.id, `${batch}-%`]);
              for (const { id } of created) brand.trainees.push({ id, status: 'registered', erased: false, open: null, certs: [] });
            };
          });
        }
        case 'expectedSalary': {
          const x = pick((y) => !y.erased);
          if (!x) return null;
          const expected = expectedSalary();
          return op(async () => {
            expectStatus(await t.request('PATCH', `/v1/trainees/${x.id}`, { key, body: { expectedMonthlySalaryFen: expected } }), 200, 'patch salary');
            return () => undefined;
          });
        }
        case 'advance': {
          const x = pick((y) => !y.erased && (y.status === 'registered' || y.status === 'training'));
          if (!x) return null;
          const to: TraineeStatus = x.status === 'registered' ? 'training' : 'completed';
          // Sometimes with another field in the same PATCH.
          const body = random() < 0.3 ? { status: to, expectedMonthlySalaryFen: expectedSalary() } : { status: to };
          return op(async () => {
            expectStatus(await t.request('PATCH', `/v1/trainees/${x.id}`, { key, body }), 200, 'patch status');
            return () => void (x.status = to);
          });
        }
        case 'withdraw': {
          // A trainee with a proposal still open may withdraw; the proposal can then only be rejected or withdrawn.
          const x = pick((y) => !y.erased && canBePlaced(y.status) && y.open?.status !== 'confirmed');
          if (!x) return null;
          return op(async () => {
            expectStatus(await t.request('PATCH', `/v1/trainees/${x.id}`, { key, body: { status: 'withdrawn' } }), 200, 'withdraw trainee');
            return () => void (x.status = 'withdrawn');
          });
        }
        case 'erase': {
          const x = pick((y) => !y.erased && !y.open);
          if (!x) return null;
          return op(async () => {
            expectStatus(await t.request('POST', `/v1/trainees/${x.id}/erase`, { key }), 200, 'erase');
            return () => void (x.erased = true);
          });
        }
        case 'issue': {
          const x = pick((y) => !y.erased && y.status !== 'withdrawn');
          if (!x) return null;
          const r2 = random();
          const validUntil = r2 < 0.3 ? null : r2 < 0.5 ? chinaDay(1) : chinaDay(2 + Math.floor(random() * 800));
          const issuer = random() < 0.8 ? key : bureaus['310000'].key;
          return op(async () => {
            const res = await t.request('POST', `/v1/trainees/${x.id}/certifications`, { key: issuer, body: { level: 1 + Math.floor(random() * 5), validUntil } });
            expectStatus(res, 201, 'issue');
            return () => void x.certs.push({ id: res.body.id, issuerKey: issuer });
          });
        }
        case 'revoke': {
          const x = pick((y) => y.certs.length > 0);
          if (!x) return null;
          const cert = pickOf(x.certs);
          return op(async () => {
            expectStatus(await t.request('POST', `/v1/certifications/${cert.id}/revoke`, { key: cert.issuerKey, body: { reason: '复核未通过' } }), 200, 'revoke');
            return () => void x.certs.splice(x.certs.indexOf(cert), 1);
          });
        }
        case 'propose': {
          const x = pick((y) => !y.erased && canBePlaced(y.status) && !y.open);
          if (!x) return null;
          const employer = pickOf(employers);
          const startDate = chinaDay(-Math.floor(random() * 500));
          const body = { traineeId: x.id, employerId: employer.id, jobTitle: '人工智能训练师', workRegionCode: '310104', startDate, ...salary() };
          return op(async () => {
            const res = await t.request('POST', '/v1/placements', { key, body });
            expectStatus(res, 201, 'propose');
            return () => void (x.open = { id: res.body.id, status: 'proposed', employer, startDate });
          });
        }
        case 'confirm': {
          const x = pick((y) => !y.erased && canBePlaced(y.status) && y.open?.status === 'proposed');
          if (!x || !x.open) return null;
          const open = x.open;
          // An agreed salary takes the general path; a bare confirmation the one-statement path.
          const body = random() < 0.3 ? salary() : {};
          return op(async () => {
            expectStatus(await t.request('POST', `/v1/placements/${open.id}/confirm`, { key: open.employer.key, body }), 200, 'confirm');
            return () => {
              open.status = 'confirmed';
              x.status = 'placed';
            };
          });
        }
        case 'reject':
        case 'withdrawPlacement': {
          const x = pick((y) => y.open?.status === 'proposed');
          if (!x || !x.open) return null;
          const open = x.open;
          return op(async () => {
            const res =
              action === 'reject'
                ? await t.request('POST', `/v1/placements/${open.id}/reject`, { key: open.employer.key, body: { reason: '岗位已满' } })
                : await t.request('POST', `/v1/placements/${open.id}/withdraw`, { key });
            expectStatus(res, 200, action);
            return () => void (x.open = null);
          });
        }
        case 'salaryChange': {
          const x = pick((y) => y.open?.status === 'confirmed');
          if (!x || !x.open) return null;
          const open = x.open;
          // Mostly today; sometimes back-dated (kept in the history, the current salary unchanged when older).
          const effectiveDate = random() < 0.7 ? chinaDay() : dayWithin(open.startDate);
          const body = { ...salary(), effectiveDate };
          return op(async () => {
            expectStatus(await t.request('POST', `/v1/placements/${open.id}/salary-changes`, { key: open.employer.key, body }), 200, 'salary change');
            return () => undefined;
          });
        }
        case 'end': {
          const x = pick((y) => y.open?.status === 'confirmed');
          if (!x || !x.open) return null;
          const open = x.open;
          const by = random() < 0.6 ? open.employer.key : key;
          const endDate = dayWithin(open.startDate);
          return op(async () => {
            expectStatus(await t.request('POST', `/v1/placements/${open.id}/end`, { key: by, body: { endDate, reason: '合同到期' } }), 200, 'end');
            return () => {
              x.open = null;
              x.status = 'completed';
            };
          });
        }
        default:
          throw new Error(`unknown action ${action}`);
      }
    };

    const started = Date.now();
    const counts: Record<string, number> = {};
    let requests = 0;
    let certificatesAged = false;
    while (requests < TARGET_REQUESTS) {
      const busy = new Set<string>();
      const batch: Op[] = [];
      for (let tries = 0; batch.length < IN_FLIGHT && tries < 100; tries++) {
        const op = plan(busy);
        if (op) batch.push(op);
      }
      // Applied in the order planned, whatever order the answers came in, so the model (and the next picks) follow the seed.
      const applies = await Promise.all(batch.map((op) => op.run()));
      for (const apply of applies) await apply();
      for (const op of batch) counts[op.name] = (counts[op.name] ?? 0) + 1;
      requests += batch.length;

      if (!certificatesAged && requests >= TARGET_REQUESTS / 2) {
        // The API only issues certificates valid after today. Some end yesterday or today instead, by hand (the
        // certification triggers see it): yesterday's no longer count, today's still do.
        certificatesAged = true;
        const active = [...brandA.trainees, ...brandB.trainees].flatMap((x) => x.certs.map((c) => c.id));
        const aged = active.filter(() => random() < 0.08);
        await t.dataSource.query(`UPDATE certifications SET valid_until = CASE WHEN id = ANY($2::uuid[]) THEN $3::date ELSE $4::date END WHERE id = ANY($1::uuid[])`, [
          aged,
          aged.filter((_, i) => i % 2 === 0),
          chinaDay(-1),
          chinaDay(),
        ]);
      }
    }
    console.log(`${requests} state-changing requests in ${Date.now() - started} ms: ${JSON.stringify(counts)}`);

    for (const brand of [brandA, brandB]) {
      const res = await fresh(brand.id, brand.operator.key, 60_000);
      const expected = await expectBrandMatchesReference(brand, res);
      if (brand === brandA) {
        // The sequence reached every kind of figure.
        expect(expected.salary.sampleSize).toBeGreaterThan(100);
        expect(expected.endedPlacementCount).toBeGreaterThan(50);
        expect(expected.certifiedTraineeCount).toBeGreaterThan(50);
        expect(Object.values(expected.traineesByStatus).every((n) => n > 10)).toBe(true);
        expect(expected.medianSalaryUpliftPct).not.toBeNull();
        expect(expected.placedTraineeCount).toBeGreaterThan(expected.activePlacementCount);
      }
      await expectTalliesEqualRebuild(brand.id);
    }
    console.log(`figures fresh and checked ${Date.now() - started} ms after the first request`);

    // A rebuild from scratch changes nothing: not the tallies (folded or not) and not the stored figures.
    const statsRows = async (): Promise<unknown> =>
      t.dataSource.query(`SELECT * FROM brand_statistics WHERE brand_id = ANY($1) ORDER BY brand_id`, [[brandA.id, brandB.id]]).then((rows: Array<Record<string, unknown>>) =>
        rows.map(({ computed_at: _computedAt, ...rest }) => rest),
      );
    const cells = async (): Promise<unknown> => Promise.all([brandA, brandB].map(async (b) => t.dataSource.query(CELLS_SQL, [b.id])));
    const [statsBefore, cellsBefore] = [await statsRows(), await cells()];
    await calculator.rebuildAll();
    expect(await cells()).toEqual(cellsBefore);
    expect(await statsRows()).toEqual(statsBefore);
    for (const brand of [brandA, brandB]) expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM brand_tally_deltas WHERE brand_id = $1`, [brand.id]))[0].n).toBe(0);
  }, 240_000);

  it('region figures (district and city) equal a percentile_cont over every active placement of their public brands', async () => {
    const regionEmployer = employers[0];
    // Activity in every brand the regions cover, and a draft brand whose trainees must not count.
    for (const [amount, employer] of [[9_000_000, employers[1]], [13_000_000, employers[2]], [21_000_000, employers[3]], [7_500_000, employers[4]], [16_000_000, employers[5]], [30_000_000, employers[6]]] as const) {
      await place(brandC, employer, amount);
    }
    await place(brandA, regionEmployer, 15_000_001);
    await place(brandB, regionEmployer, 15_000_002);
    const draft = await createBrand(t, firmB.key, { ...SEED_BRANDS.xuhuiAiTrainer, name: '统计草稿品牌' });
    for (let i = 0; i < 3; i++) await registerTrainee(t, firmB.key, draft.id);
    const cPlacement = brandC.trainees[0].open!;
    expectStatus(await t.request('POST', `/v1/placements/${cPlacement.id}/end`, { key: firmA.key, body: { endDate: chinaDay(), reason: '离职' } }), 200, 'end');
    expectStatus(
      await t.request('POST', `/v1/placements/${brandC.trainees[1].open!.id}/salary-changes`, { key: employers[2].key, body: { salaryFen: 1_400_000, salaryPeriod: 'monthly', effectiveDate: chinaDay() } }),
      200,
      'salary change',
    );
    // A suspended brand stays public: its placements still count.
    expectStatus(await t.request('POST', `/v1/brands/${brandC.id}/suspend`, { key: bureaus['310000'].key, body: { reason: '年度检查' } }), 200, 'suspend');

    for (const [regionCode, pattern, brandCount] of [['310104', '310104', 2], ['310100', '3101%', 3]] as const) {
      const [r] = await t.dataSource.query(REGION_REFERENCE_SQL, [pattern]);
      const q: string[] | null = r.quartiles_fen;
      const expected = {
        regionCode,
        brandCount: r.brands,
        traineeCount: r.trainees,
        placedTraineeCount: r.placed,
        activePlacementCount: r.active,
        salary: { sampleSize: r.active, p25AnnualFen: fen(q?.[0]), medianAnnualFen: fen(q?.[1]), p75AnnualFen: fen(q?.[2]), meanAnnualFen: fen(r.mean_fen), suppressed: false },
      };
      expect(expected.brandCount).toBe(brandCount);
      expect(expected.activePlacementCount).toBeGreaterThan(100);
      const figures = (body: Record<string, unknown>): Record<string, unknown> => {
        const { asOf: _asOf, computedAt: _computedAt, ...rest } = body;
        return rest;
      };
      // Regions are debounced (about a second): poll, then compare for a readable difference.
      const res = await waitFor(
        () => t.request('GET', `/v1/statistics/regions/${regionCode}`, { key: bureaus['310000'].key }),
        (x) => x.status === 200 && isDeepStrictEqual(figures(x.body), expected),
        10_000,
        `region ${regionCode}`,
      ).catch(async () => t.request('GET', `/v1/statistics/regions/${regionCode}`, { key: bureaus['310000'].key }));
      expect(figures(res.body)).toEqual(expected);
    }
  }, 60_000);

  /** A certified brand of a fresh operator in another province, so no other test's figures move with it. */
  async function isolatedBrand(regionCode: string, name: string): Promise<ModelBrand> {
    const operator = await createOrganization(t, 'hr_firm', regionCode);
    const b = await createCertifiedBrand(t, operator.key, bureaus[`${regionCode.slice(0, 2)}0000`].key, { ...SEED_BRANDS.xuhuiAiTrainer, regionCode, name });
    return { id: b.id, name, operator, trainees: [] };
  }

  it('retention and days to placement follow confirmations moved into the past by hand, around month ends and time zones', async () => {
    const brand = await isolatedBrand('320102', '统计留存品牌');
    const placed: Array<{ traineeId: string; placementId: string }> = [];
    for (let i = 0; i < 14; i++) placed.push(await place(brand, employers[i % employers.length], 6_000_000 + i * 700_000, 450_000 + i * 40_000, '2024-01-01'));
    const active = placed.slice(0, 7);
    const ended = placed.slice(7);
    for (const p of ended) {
      expectStatus(await t.request('POST', `/v1/placements/${p.placementId}/end`, { key: brand.operator.key, body: { endDate: '2024-06-01', reason: '合同到期' } }), 200, 'end');
    }
    // Certificates: one without end, one ending on a month end set by hand below, one long valid.
    const certificates: string[] = [];
    for (const [i, validUntil] of [[0, null], [1, chinaDay(1)], [8, chinaDay(400)]] as const) {
      const res = await t.request('POST', `/v1/trainees/${placed[i].traineeId}/certifications`, { key: brand.operator.key, body: { level: 3, validUntil } });
      expectStatus(res, 201, 'issue');
      certificates.push(res.body.id);
    }
    await fresh(brand.id, brand.operator.key);
    await quiet(brand.id);
    const sql = (text: string, params: unknown[]): Promise<unknown> => t.dataSource.query(text, params);

    // The whole brand 400 days back in one statement (one placement per trainee).
    await sql(`UPDATE placements SET confirmed_at = confirmed_at - interval '400 days' WHERE brand_id = $1`, [brand.id]);
    await calculator.recomputeBrand(brand.id);
    const shifted = await expectBrandMatchesReference(brand, await stats(brand.id, brand.operator.key));
    expect(shifted.retention12mRate).toBe(0.5); // the seven ends (2024-06-01) lie before their confirmations now
    expect(shifted.medianDaysToPlacement).toBeLessThan(-399);

    // Exact instants (UTC) against the 6- and 12-month marks, which clamp to the end of shorter months.
    const activeCases: Array<[string, string | null]> = [
      ['2025-08-31T04:00:00Z', '2025-06-01T00:00:00Z'], // Shanghai 08-31 noon: 6 months → 2026-02-28
      ['2025-05-31T02:00:00Z', null], // 6 months → 2025-11-30
      ['2026-01-15T02:00:00Z', '2025-12-31T10:00:00Z'], // recent: no window closed yet on the days below
      ['2024-02-29T02:00:00Z', null], // leap day: 6 months → 2024-08-29, 12 → 2025-02-28
      ['2025-08-31T16:30:00Z', null], // Shanghai 2025-09-01 00:30 (UTC still 08-31): 6 months → 2026-03-01
      ['2025-11-28T15:59:59Z', null], // Shanghai 2025-11-28 23:59:59
      ['2025-03-31T01:00:00Z', null],
    ];
    const endedCases: Array<[string, string, string | null]> = [
      ['2025-08-30T20:00:00Z', '2026-02-27', null], // Shanghai 08-31 04:00; ended the day before the 6-month mark
      ['2025-08-31T15:30:00Z', '2026-02-28', '2025-08-31T15:00:00Z'], // Shanghai 08-31 23:30; ended on the mark: kept
      ['2025-08-31T16:30:00Z', '2026-02-28', null], // Shanghai 09-01 00:30: mark 2026-03-01, so ended within
      ['2025-02-28T02:00:00Z', '2026-02-27', null], // kept 6 months, ended a day before 12
      ['2024-02-29T02:00:00Z', '2025-02-28', null], // 12-month mark of a leap day, ended on it: kept
      ['2024-12-31T02:00:00Z', '2025-06-29', null], // 6-month mark 2025-06-30: ended within
      ['2025-03-31T02:00:00Z', '2025-09-30', null], // 6-month mark 2025-09-30: kept; 12-month 2026-03-31
    ];
    for (const [i, [confirmedAt, registeredAt]] of activeCases.entries()) {
      await sql(`UPDATE placements SET confirmed_at = $2 WHERE id = $1`, [active[i].placementId, confirmedAt]);
      if (registeredAt) await sql(`UPDATE trainees SET registered_at = $2 WHERE id = $1`, [active[i].traineeId, registeredAt]);
    }
    for (const [i, [confirmedAt, endDate, registeredAt]] of endedCases.entries()) {
      await sql(`UPDATE placements SET confirmed_at = $2, end_date = $3 WHERE id = $1`, [ended[i].placementId, confirmedAt, endDate]);
      if (registeredAt) await sql(`UPDATE trainees SET registered_at = $2 WHERE id = $1`, [ended[i].traineeId, registeredAt]);
    }
    // A certificate valid up to a month end: counted up to that day inclusive.
    await sql(`UPDATE certifications SET valid_until = '2026-02-28' WHERE id = $1`, [certificates[1]]);

    const seen = new Set<string>();
    for (const day of ['2025-02-28', '2025-06-29', '2025-06-30', '2025-09-30', '2025-11-30', '2026-02-27', '2026-02-28', '2026-03-01', '2026-03-31', chinaDay()]) {
      await calculator.recomputeBrand(brand.id, day);
      const figures = await expectBrandMatchesReference(brand, await stats(brand.id, brand.operator.key), day);
      seen.add(`${figures.retention6mRate}/${figures.retention12mRate}/${figures.certifiedTraineeCount}`);
    }
    // The days above do move the figures (the marks are where they should be, not merely consistent).
    expect(seen.size).toBeGreaterThanOrEqual(7);
    await expectTalliesEqualRebuild(brand.id);
  }, 60_000);

  it('forty confirmations at once (with salary edits, ends and expectation changes) keep tallies equal to a rebuild', async () => {
    const brand = await isolatedBrand('330106', '统计并发品牌');
    const localEmployers = await Promise.all(Array.from({ length: 20 }, () => createOrganization(t, 'employer', '330106')));
    const random = seededRandom(330106);
    const trainees = await Promise.all(
      Array.from({ length: 50 }, (_, i) => registerTrainee(t, brand.operator.key, brand.id, { expectedMonthlySalaryFen: i % 7 === 0 ? null : 400_000 + Math.floor(random() * 1_200_000) })),
    );
    // Ten already working, for salary changes and ends racing the confirmations.
    const working = await Promise.all(
      trainees.slice(40).map(async (x, i) => {
        const employer = localEmployers[i];
        const p = await t.request('POST', '/v1/placements', { key: brand.operator.key, body: { traineeId: x.id, employerId: employer.id, jobTitle: '操作员', workRegionCode: '330106', salaryFen: 900_000 + i * 10_000, salaryPeriod: 'monthly', startDate: chinaDay(-30) } });
        expectStatus(p, 201, 'propose');
        expectStatus(await t.request('POST', `/v1/placements/${p.body.id}/confirm`, { key: employer.key, body: {} }), 200, 'confirm');
        return { id: p.body.id, employer };
      }),
    );
    const proposals = await Promise.all(
      trainees.slice(0, 40).map(async (x, i) => {
        const employer = localEmployers[i % localEmployers.length];
        const p = await t.request('POST', '/v1/placements', {
          key: brand.operator.key,
          body: { traineeId: x.id, employerId: employer.id, jobTitle: '操作员', workRegionCode: '330106', salaryFen: 500_000 + Math.floor(random() * 2_000_000), salaryPeriod: 'monthly', startDate: chinaDay() },
        });
        expectStatus(p, 201, 'propose');
        return { id: p.body.id, traineeId: x.id, employer };
      }),
    );
    await fresh(brand.id, brand.operator.key);

    const requests: Array<Promise<Response>> = [
      ...proposals.map((p, i) => t.request('POST', `/v1/placements/${p.id}/confirm`, { key: p.employer.key, body: i % 2 ? { salaryFen: 1_000_000 + i * 1_000, salaryPeriod: 'monthly' } : {} })),
      // The expectation of ten trainees being confirmed right now (both lock the trainee: either order is right).
      ...proposals.slice(0, 10).map((p, i) => t.request('PATCH', `/v1/trainees/${p.traineeId}`, { key: brand.operator.key, body: { expectedMonthlySalaryFen: i % 3 ? 700_000 + i : null } })),
      ...working.slice(0, 5).map((w, i) => t.request('POST', `/v1/placements/${w.id}/salary-changes`, { key: w.employer.key, body: { salaryFen: 2_000_000 + i, salaryPeriod: 'monthly', effectiveDate: chinaDay() } })),
      ...working.slice(5).map((w) => t.request('POST', `/v1/placements/${w.id}/end`, { key: w.employer.key, body: { endDate: chinaDay(), reason: '离职' } })),
    ];
    const answers = await Promise.all(requests);
    expect(answers.map((r) => r.status)).toEqual(Array(answers.length).fill(200));

    const figures = await expectBrandMatchesReference(brand, await fresh(brand.id, brand.operator.key));
    expect(figures).toMatchObject({ traineeCount: 50, placedTraineeCount: 50, activePlacementCount: 45, endedPlacementCount: 5, employerCount: 20 });
    await expectTalliesEqualRebuild(brand.id);
  }, 60_000);

  it('rows deleted by hand (a placement, then its trainee) take their cells with them', async () => {
    const brand = await isolatedBrand('440306', '统计删除品牌');
    const placed = await Promise.all([0, 1, 2].map((i) => place(brand, employers[i], 6_000_000 + i * 1_000_000, 500_000)));
    await fresh(brand.id, brand.operator.key);
    // A DELETE statement's deltas are the subtraction alone: it once failed for want of named columns.
    await t.dataSource.query(`DELETE FROM placements WHERE id = $1`, [placed[0].placementId]);
    await t.dataSource.query(`DELETE FROM trainees WHERE id = $1`, [placed[0].traineeId]);
    // The cells, not brand_employers: that list only grows (the API never undoes a confirmation), and a rebuild is
    // what drops an employer whose placements were deleted by hand.
    const { kept, rebuilt } = await tallyAgainstRebuild(brand.id);
    expect((kept as { cells: unknown }).cells).toEqual((rebuilt as { cells: unknown }).cells);
    const [cells] = await t.dataSource.query(
      `SELECT sum(n)::int AS n FROM (SELECT n FROM brand_tallies WHERE brand_id = $1 AND figure = 'active_salary'
         UNION ALL SELECT u.n FROM brand_tally_deltas d, unnest(d.figures, d.ns) AS u(figure, n) WHERE d.brand_id = $1 AND u.figure = 'active_salary') x`,
      [brand.id],
    );
    expect(cells.n).toBe(2);
  }, 60_000);

  it('a tally corrupted by hand is found when a rank read finds no row, and rebuilt', async () => {
    const brand = await isolatedBrand('440305', '统计漂移品牌');
    // Eight salaries, each in a bucket of its own (CNY 1,000 wide): 50 000, 60 000, … 120 000 yuan a year.
    for (let i = 0; i < 8; i++) await place(brand, employers[i], 5_000_000 + i * 1_000_000, 500_000);
    await fresh(brand.id, brand.operator.key);
    await quiet(brand.id);
    await calculator.fold([brand.id]);
    const topBucket = `(SELECT max(bucket) FROM brand_tallies WHERE brand_id = $1 AND figure = 'active_salary' AND n > 0)`;
    const corrupted = await t.dataSource.query(`UPDATE brand_tallies SET n = n + 3 WHERE brand_id = $1 AND figure = 'active_salary' AND bucket = ${topBucket}`, [brand.id]);
    expect(corrupted[1]).toBe(1);
    // Now 11 salaries are promised: the 75th percentile needs ranks 7 and 8, and rank 8 would be the second value of
    // the top bucket, which holds one row. The read finds nothing, the calculator rebuilds the tallies and retries.
    await calculator.recomputeBrand(brand.id);
    const figures = await expectBrandMatchesReference(brand, await stats(brand.id, brand.operator.key));
    expect(figures.salary.sampleSize).toBe(8);
    await expectTalliesEqualRebuild(brand.id);
    expect((await t.dataSource.query(`SELECT n::int FROM brand_tallies WHERE brand_id = $1 AND figure = 'active_salary' AND bucket = ${topBucket}`, [brand.id]))[0].n).toBe(1);

    // Not every corruption is detectable by design: the calculator trusts the counts and only notices a count
    // larger than the rows when a rank it needs falls on a missing row. A pure count (trainees_by_status,
    // certified_until, ended_placements, confirmed_on, ended_within_*), or a phantom in a bucket below every rank
    // read, changes the figures unnoticed (here traineeCount would read 11). Only a rebuild repairs that
    // (rebuildTallies, `npm run stats:rebuild`, or the nightly rebuildAll).
    await t.dataSource.query(`UPDATE brand_tallies SET n = n + 3 WHERE brand_id = $1 AND figure = 'trainees_by_status' AND bucket = 3`, [brand.id]);
    await calculator.rebuildTallies(brand.id);
    await calculator.recomputeBrand(brand.id);
    await expectBrandMatchesReference(brand, await stats(brand.id, brand.operator.key));
  }, 60_000);

  /**
   * Cases a per-row trigger cannot see on its own: a confirmation time moved by hand before another, and two
   * transactions changing one trainee's certificates at once. Each set-up runs as its own step, then the check.
   */
  describe('first confirmations and concurrent certificate changes', () => {
    let firstConfirmationMoved: { brand: ModelBrand; today: string } | undefined;
    let concurrentRevocations: { brand: ModelBrand; traineeId: string } | undefined;

    it('set-up: a trainee confirmed twice, the later confirmation moved by hand before the first', async () => {
      const brand = await isolatedBrand('420106', '统计首次就业品牌');
      const first = await place(brand, employers[0], 9_000_000);
      expectStatus(await t.request('POST', `/v1/placements/${first.placementId}/end`, { key: employers[0].key, body: { endDate: chinaDay(), reason: '换岗' } }), 200, 'end');
      const second = await t.request('POST', '/v1/placements', {
        key: brand.operator.key,
        body: { traineeId: first.traineeId, employerId: employers[1].id, jobTitle: '操作员', workRegionCode: '310104', salaryFen: 10_000_000, salaryPeriod: 'annual', startDate: chinaDay() },
      });
      expectStatus(second, 201, 'propose again');
      expectStatus(await t.request('POST', `/v1/placements/${second.body.id}/confirm`, { key: employers[1].key, body: {} }), 200, 'confirm again');
      const before = await expectBrandMatchesReference(brand, await fresh(brand.id, brand.operator.key));
      expect(before.placedTraineeCount).toBe(1);
      await quiet(brand.id);
      await t.dataSource.query(`UPDATE placements SET confirmed_at = confirmed_at - interval '400 days' WHERE id = $1`, [second.body.id]);
      await calculator.recomputeBrand(brand.id);
      firstConfirmationMoved = { brand, today: chinaDay() };
    });

    // The moved row becomes the trainee's first confirmation and the one that was first must lose its mark
    // (placements_tally re-marks the trainee's first confirmation after every statement that touches one).
    it('a later confirmation moved before the first leaves one first confirmation per trainee', async () => {
      const { brand, today } = firstConfirmationMoved!;
      await expectBrandMatchesReference(brand, await stats(brand.id, brand.operator.key), today);
    });

    it('set-up: two certificates of one trainee revoked by concurrent transactions', async () => {
      const brand = await isolatedBrand('420111', '统计并发撤销品牌');
      const trainee = await registerTrainee(t, brand.operator.key, brand.id);
      const ids: string[] = [];
      for (const validUntil of [null, chinaDay(100)]) {
        const res = await t.request('POST', `/v1/trainees/${trainee.id}/certifications`, { key: brand.operator.key, body: { level: 2, validUntil } });
        expectStatus(res, 201, 'issue');
        ids.push(res.body.id);
      }
      await fresh(brand.id, brand.operator.key);
      await quiet(brand.id);
      // What two revocations through the API do at once: each locks its own certificate (not the trainee) and
      // updates it; the statement trigger recomputes trainees.certified_until from the other certificates it sees.
      const revoke = `UPDATE certifications SET status = 'revoked', revoked_at = now(), revocation_reason = 'x', version = version + 1 WHERE id = $1`;
      const [one, two] = [new Client({ connectionString: t.databaseUrl }), new Client({ connectionString: t.databaseUrl })];
      await Promise.all([one.connect(), two.connect()]);
      try {
        await one.query('BEGIN');
        await one.query(revoke, [ids[0]]); // sees the dated one active: certified_until := its date
        await two.query('BEGIN');
        const second = two.query(revoke, [ids[1]]); // waits for the trainee, locked by the first trigger
        // Give the second statement time to run (or to wait) before the first commits.
        await Promise.race([second, new Promise((r) => setTimeout(r, 500))]);
        await one.query('COMMIT');
        await second;
        await two.query('COMMIT');
      } finally {
        await Promise.all([one.end(), two.end()]);
      }
      expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM certifications WHERE trainee_id = $1 AND status = 'active'`, [trainee.id]))[0].n).toBe(0);
      await calculator.recomputeBrand(brand.id);
      concurrentRevocations = { brand, traineeId: trainee.id };
    });

    // Without the trainee's lock, each trigger would recompute certified_until from the other certificate it
    // still sees active, and the trainee would stay certified with none active.
    it('concurrent revocations leave the trainee uncertified', async () => {
      const { brand, traineeId } = concurrentRevocations!;
      expect((await t.dataSource.query(`SELECT certified_until::text AS d FROM trainees WHERE id = $1`, [traineeId]))[0].d).toBeNull();
      await expectBrandMatchesReference(brand, await stats(brand.id, brand.operator.key));
    });
  });
});
