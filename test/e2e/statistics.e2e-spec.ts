import { BullQueues } from '../../src/common/queue/bull-queues';
import { QUEUES } from '../../src/common/queue/queues';
import { ReconcileJob } from '../../src/statistics/jobs/upkeep.jobs';
import { StatisticsCalculator } from '../../src/statistics/statistics.calculator';
import { percentileCont, roundFen } from '../../src/statistics/statistics.math';
import { StatisticsMetrics } from '../../src/statistics/statistics.metrics';
import { createCertifiedBrand, SEED_BRANDS } from '../support/brands';
import { createOrganization, OrgWithKey } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { registerTrainee } from '../support/trainees';

const today = (): string => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);

async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting; last value ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('brand statistics', () => {
  let t: TestApp;
  let firm: OrgWithKey;
  let bureau: OrgWithKey;
  let outsider: OrgWithKey;
  let employers: OrgWithKey[];

  beforeAll(async () => {
    t = await startTestApp({ STATISTICS_DEBOUNCE_MS: '50', OUTBOX_POLL_MS: '100' }, { worker: true });
    firm = await createOrganization(t, 'hr_firm', '310104');
    bureau = await createOrganization(t, 'bureau', '310000');
    outsider = await createOrganization(t, 'hr_firm', '210100');
    employers = await Promise.all([0, 1, 2].map(() => createOrganization(t, 'employer', '310104')));
  });
  afterAll(async () => t?.close());

  /** Places a new trainee with the given salary: propose, confirm. */
  async function place(brandId: string, salaryFen: number, period: 'monthly' | 'annual', employer: OrgWithKey, expected: number | null = 1_000_000): Promise<{ traineeId: string; placementId: string }> {
    const trainee = await registerTrainee(t, firm.key, brandId, { expectedMonthlySalaryFen: expected });
    const proposed = await t.request('POST', '/v1/placements', {
      key: firm.key,
      body: { traineeId: trainee.id, employerId: employer.id, jobTitle: '训练师', workRegionCode: '310104', salaryFen, salaryPeriod: period, startDate: today() },
    });
    const confirmed = await t.request('POST', `/v1/placements/${proposed.body.id}/confirm`, { key: employer.key, body: {} });
    if (confirmed.status !== 200) throw new Error(confirmed.text);
    return { traineeId: trainee.id, placementId: proposed.body.id };
  }

  const stats = (brandId: string, key = firm.key) => t.request('GET', `/v1/brands/${brandId}/statistics`, { key });
  const newestEvent = async (brandId: string): Promise<string> => (await t.dataSource.query(`SELECT id FROM outbox_events WHERE brand_id = $1 ORDER BY seq DESC LIMIT 1`, [brandId]))[0].id;

  it('computes exact figures that match an independent reference, within a second of the commit', async () => {
    const brand = await createCertifiedBrand(t, firm.key, bureau.key, SEED_BRANDS.xuhuiAiTrainer);
    const annual: number[] = [];
    const salaries: Array<[number, 'monthly' | 'annual']> = [
      [1_250_000, 'monthly'], [15_000_001, 'annual'], [2_000_000, 'monthly'], [18_000_000, 'annual'], [1_333_333, 'monthly'], [30_000_000, 'annual'],
    ];
    for (const [i, [amount, period]] of salaries.entries()) {
      await place(brand.id, amount, period, employers[i % 3]);
      annual.push(period === 'monthly' ? amount * 12 : amount);
    }
    // One more trainee who is never placed, one who withdraws.
    await registerTrainee(t, firm.key, brand.id, { expectedMonthlySalaryFen: null });
    const withdrawn = await registerTrainee(t, firm.key, brand.id);
    await t.request('PATCH', `/v1/trainees/${withdrawn.id}`, { key: firm.key, body: { status: 'withdrawn' } });

    const committedAt = Date.now();
    const last = await newestEvent(brand.id);
    const res = await waitFor(() => stats(brand.id), (r) => r.body.lastEventId === last);
    const freshnessMs = Date.now() - committedAt;
    console.log(`statistics visible ${freshnessMs} ms after the last commit`);
    expect(freshnessMs).toBeLessThan(5000);

    const sorted = [...annual].sort((a, b) => a - b);
    const reference = await t.dataSource.query(
      `SELECT round(percentile_cont(0.25) WITHIN GROUP (ORDER BY v))::bigint::text AS p25, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY v))::bigint::text AS p50,
              round(percentile_cont(0.75) WITHIN GROUP (ORDER BY v))::bigint::text AS p75, round(avg(v))::bigint::text AS mean FROM unnest($1::bigint[]) v`,
      [annual],
    );
    expect(res.body.salary).toEqual({
      sampleSize: 6,
      p25AnnualFen: roundFen(percentileCont(sorted, 0.25) as number),
      medianAnnualFen: roundFen(percentileCont(sorted, 0.5) as number),
      p75AnnualFen: roundFen(percentileCont(sorted, 0.75) as number),
      meanAnnualFen: Number(reference[0].mean),
      suppressed: false,
    });
    expect(res.body.salary.medianAnnualFen).toBe(Number(reference[0].p50));
    expect(res.body.salary.p25AnnualFen).toBe(Number(reference[0].p25));
    expect(res.body.salary.p75AnnualFen).toBe(Number(reference[0].p75));
    expect(res.body).toMatchObject({
      brandId: brand.id,
      traineeCount: 8,
      traineesByStatus: { registered: 1, training: 0, completed: 0, placed: 6, withdrawn: 1 },
      placedTraineeCount: 6,
      placementRate: 6 / 8,
      activePlacementCount: 6,
      endedPlacementCount: 0,
      employerCount: 3,
      certifiedTraineeCount: 0,
      certificationRate: 0,
      retention6mRate: null,
      retention12mRate: null,
    });
    const uplifts = annual.map((a) => (a / 12 / 1_000_000 - 1) * 100).sort((a, b) => a - b);
    expect(res.body.medianSalaryUpliftPct).toBeCloseTo(percentileCont(uplifts, 0.5) as number, 9);
    expect(res.body.medianDaysToPlacement).toBeGreaterThanOrEqual(0);
    expect(res.body.medianDaysToPlacement).toBeLessThan(0.01);
    expect(res.body.asOf).toMatch(/Z$/);
  });

  it('concurrent first recomputations of one brand do not fail (a reader racing the worker)', async () => {
    const brand = await createCertifiedBrand(t, firm.key, bureau.key, { ...SEED_BRANDS.xuhuiAiTrainer, name: '竞争品牌' });
    await t.dataSource.query(`DELETE FROM brand_statistics WHERE brand_id = $1`, [brand.id]);
    const calculator = t.app.get(StatisticsCalculator);
    const results = await Promise.all([...Array.from({ length: 8 }, () => calculator.recomputeBrand(brand.id)), stats(brand.id), stats(brand.id)]);
    expect(results.slice(0, 8)).toEqual(Array(8).fill('310104'));
    expect(results.slice(8).map((r: any) => r.status)).toEqual([200, 200]);
  });

  it('suppresses salary figures under five salaries except for the privileged', async () => {
    const brand = await createCertifiedBrand(t, firm.key, bureau.key, { ...SEED_BRANDS.yangpuCncOperator, name: '小样本品牌' });
    for (const amount of [1_000_000, 1_200_000, 1_400_000]) await place(brand.id, amount, 'monthly', employers[0]);
    const last = await newestEvent(brand.id);
    const own = await waitFor(() => stats(brand.id), (r) => r.body.lastEventId === last);
    expect(own.body.salary).toMatchObject({ sampleSize: 3, medianAnnualFen: 14_400_000, suppressed: false });
    expect(own.body.medianSalaryUpliftPct).not.toBeNull();
    for (const key of [bureau.key, t.platformKey]) expect((await stats(brand.id, key)).body.salary.suppressed).toBe(false);
    for (const key of [outsider.key, employers[0].key]) {
      const res = await stats(brand.id, key);
      expect(res.status).toBe(200);
      expect(res.body.salary).toEqual({ sampleSize: 3, medianAnnualFen: null, p25AnnualFen: null, p75AnnualFen: null, meanAnnualFen: null, suppressed: true });
      expect(res.body.medianSalaryUpliftPct).toBeNull();
    }
  });

  it('coalesces a burst of events into a handful of recomputations', async () => {
    const brand = await createCertifiedBrand(t, firm.key, bureau.key, { ...SEED_BRANDS.xuhuiAiTrainer, name: '突发品牌' });
    const metrics = t.app.get(StatisticsMetrics);
    const before = (await metrics.recompute.get()).values.find((v) => v.metricName === 'statistics_recompute_seconds_count')?.value ?? 0;
    // 400 single registrations through the API, each its own event.
    const ids = await Promise.all(Array.from({ length: 400 }, () => registerTrainee(t, firm.key, brand.id)));
    const last = await newestEvent(brand.id);
    // The registrations commit in any order, not in the order of their event numbers: figures stamped with the
    // newest event may still miss one numbered before it, whose own recomputation follows. Wait for both.
    const res = await waitFor(() => stats(brand.id), (r) => r.body.lastEventId === last && r.body.traineeCount === ids.length, 20_000);
    expect(res.body.traineeCount).toBe(ids.length);
    const after = (await metrics.recompute.get()).values.find((v) => v.metricName === 'statistics_recompute_seconds_count')?.value ?? 0;
    const recomputations = after - before;
    console.log(`${ids.length} events → ${recomputations} recomputations`);
    // Without coalescing this would be one per event; the bound leaves room for a loaded machine.
    expect(recomputations).toBeLessThan(ids.length / 4);
  });

  it('incrementally kept figures equal a rebuild from scratch after a random sequence of events', async () => {
    const brand = await createCertifiedBrand(t, firm.key, bureau.key, { ...SEED_BRANDS.shenyangAnimationArtist, regionCode: '310104', name: '随机品牌' });
    let seed = 42;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const open: Array<{ id: string; employer: OrgWithKey; confirmed: boolean }> = [];
    for (let i = 0; i < 120; i++) {
      const r = random();
      if (r < 0.45 || open.length === 0) {
        const trainee = await registerTrainee(t, firm.key, brand.id, { expectedMonthlySalaryFen: random() < 0.8 ? 800_000 + Math.floor(random() * 800_000) : null });
        const employer = employers[Math.floor(random() * 3)];
        const p = await t.request('POST', '/v1/placements', {
          key: firm.key,
          body: { traineeId: trainee.id, employerId: employer.id, jobTitle: 'x', workRegionCode: '310104', salaryFen: 500_000 + Math.floor(random() * 2_000_000), salaryPeriod: 'monthly', startDate: today() },
        });
        open.push({ id: p.body.id, employer, confirmed: false });
      } else {
        const pick = open[Math.floor(random() * open.length)];
        if (!pick.confirmed) {
          const action = random() < 0.8 ? 'confirm' : 'reject';
          await t.request('POST', `/v1/placements/${pick.id}/${action}`, { key: pick.employer.key, body: action === 'confirm' ? {} : { reason: 'no' } });
          if (action === 'confirm') pick.confirmed = true;
          else open.splice(open.indexOf(pick), 1);
        } else if (random() < 0.5) {
          await t.request('POST', `/v1/placements/${pick.id}/salary-changes`, { key: pick.employer.key, body: { salaryFen: 600_000 + Math.floor(random() * 3_000_000), salaryPeriod: 'monthly', effectiveDate: today() } });
        } else {
          await t.request('POST', `/v1/placements/${pick.id}/end`, { key: pick.employer.key, body: { endDate: today(), reason: 'done' } });
          open.splice(open.indexOf(pick), 1);
        }
      }
    }
    const last = await newestEvent(brand.id);
    await waitFor(() => stats(brand.id), (r) => r.body.lastEventId === last, 20_000);
    const columns = `trainee_count, trainees_by_status, certified_trainee_count, certification_rate, placed_trainee_count, placement_rate, active_placement_count,
      ended_placement_count, employer_count, salary_sample_size, median_annual_fen, p25_annual_fen, p75_annual_fen, mean_annual_fen,
      median_salary_uplift_pct, median_days_to_placement, retention6m_rate, retention12m_rate, last_event_id`;
    const [incremental] = await t.dataSource.query(`SELECT ${columns} FROM brand_statistics WHERE brand_id = $1`, [brand.id]);
    await t.dataSource.query(`DELETE FROM brand_statistics WHERE brand_id = $1`, [brand.id]);
    await t.app.get(StatisticsCalculator).recomputeBrand(brand.id);
    const [rebuilt] = await t.dataSource.query(`SELECT ${columns} FROM brand_statistics WHERE brand_id = $1`, [brand.id]);
    expect(incremental).toEqual(rebuilt);
    expect(Number(incremental.salary_sample_size)).toBeGreaterThan(5);
  });

  it('the daily refresh recomputes only brands whose figures can move with time', async () => {
    const quiet = await createCertifiedBrand(t, firm.key, bureau.key, { ...SEED_BRANDS.xuhuiAiTrainer, name: '安静品牌' });
    await registerTrainee(t, firm.key, quiet.id);
    const busy = await createCertifiedBrand(t, firm.key, bureau.key, { ...SEED_BRANDS.xuhuiAiTrainer, name: '就业品牌' });
    await place(busy.id, 1_000_000, 'monthly', employers[0]);
    for (const b of [quiet, busy]) {
      const last = await newestEvent(b.id);
      await waitFor(() => stats(b.id), (r) => r.body.lastEventId === last);
    }
    // Let every recomputation already scheduled finish, so only the refresh below can change the figures.
    const queue = t.app.get(BullQueues).get(QUEUES.statistics);
    const pending = async (): Promise<number> => {
      const jobs = await queue.getJobs(['waiting', 'active', 'delayed', 'prioritized']);
      return jobs.filter((j) => j && j.name.startsWith('recompute')).length;
    };
    await waitFor(pending, (n) => n === 0, 20_000);
    const computedAt = async (id: string): Promise<string> => (await t.dataSource.query(`SELECT computed_at::text AS c FROM brand_statistics WHERE brand_id = $1`, [id]))[0].c;
    const [quietBefore, busyBefore] = [await computedAt(quiet.id), await computedAt(busy.id)];
    await t.app.get(StatisticsCalculator).refreshTimeDependent();
    expect(await computedAt(quiet.id)).toBe(quietBefore);
    expect(await computedAt(busy.id)).not.toBe(busyBefore);
  });

  it('reconciliation recomputes a brand whose event job was lost (e.g. with Redis data)', async () => {
    const brand = await createCertifiedBrand(t, firm.key, bureau.key, { ...SEED_BRANDS.xuhuiAiTrainer, name: '丢失事件品牌' });
    await registerTrainee(t, firm.key, brand.id);
    const last = await newestEvent(brand.id);
    await waitFor(() => stats(brand.id), (r) => r.body.lastEventId === last);
    // A trainee and its event, marked delivered as if the relay had handed it to a Redis that then lost it.
    await t.dataSource.transaction(async (m) => {
      await m.query(
        `INSERT INTO trainees (brand_id, full_name, status, birth_date, gender) VALUES ($1, 'x', 'registered', '2000-01-01', 'male')`,
        [brand.id],
      );
      await m.query(
        `INSERT INTO outbox_events (brand_id, aggregate_type, aggregate_id, type, data, occurred_at, delivered_at)
         VALUES ($1, 'brand', $1, 'trainee.registered', '{}', now() - interval '30 seconds', now())`,
        [brand.id],
      );
    });
    expect(await t.app.get(StatisticsCalculator).staleBrands()).toContain(brand.id);
    await t.app.get(ReconcileJob).handle();
    const res = await waitFor(() => stats(brand.id), (r) => r.body.traineeCount === 2);
    expect(res.body.lastEventId).toBe(await newestEvent(brand.id));
    expect(await t.app.get(StatisticsCalculator).staleBrands()).not.toContain(brand.id);
  });

  it('lists public brands sorted by median salary with keyset pagination, and region figures are a true median', async () => {
    const list = await t.request('GET', '/v1/statistics/brands?sort=medianAnnualFen&order=desc&limit=2', { key: outsider.key });
    expect(list.status).toBe(200);
    const all: any[] = [...list.body.items];
    let cursor = list.body.nextCursor;
    while (cursor) {
      const next = await t.request('GET', `/v1/statistics/brands?sort=medianAnnualFen&order=desc&limit=2&cursor=${cursor}`, { key: outsider.key });
      all.push(...next.body.items);
      cursor = next.body.nextCursor;
    }
    const medians = all.map((b) => b.salary.medianAnnualFen);
    const known = medians.filter((m) => m !== null);
    expect(known).toEqual([...known].sort((a, b) => b - a));
    expect(medians.slice(known.length).every((m) => m === null)).toBe(true);
    expect(new Set(all.map((b) => b.brandId)).size).toBe(all.length);
    expect(all[0]).toHaveProperty('brandName');
    expect((await t.request('GET', '/v1/statistics/brands?sort=name', { key: outsider.key })).status).toBe(400);
    for (const sort of ['medianAnnualFen', 'placementRate', 'traineeCount', 'placedTraineeCount']) {
      for (const query of [`sort=${sort}`, `sort=${sort}&order=asc&regionCode=31`, `sort=${sort}&limit=1`]) {
        const res = await t.request('GET', `/v1/statistics/brands?${query}`, { key: outsider.key });
        expect([query, res.status]).toEqual([query, 200]);
        if (res.body.nextCursor) expect((await t.request('GET', `/v1/statistics/brands?${query}&cursor=${res.body.nextCursor}`, { key: outsider.key })).status).toBe(200);
      }
    }
    expect((await t.request('GET', '/v1/statistics/brands', { key: outsider.key })).status).toBe(200);

    const region = await waitFor(
      () => t.request('GET', '/v1/statistics/regions/310000', { key: bureau.key }),
      (r) => r.status === 200 && r.body.activePlacementCount > 0,
    );
    const [reference] = await t.dataSource.query(
      `SELECT count(*)::int AS n, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY annual_salary_fen))::bigint::text AS median
         FROM placements p JOIN brands b ON b.id = p.brand_id WHERE p.status = 'confirmed' AND b.region_code LIKE '31%'`,
    );
    await waitFor(
      () => t.request('GET', '/v1/statistics/regions/310000', { key: bureau.key }),
      (r) => r.body.salary.sampleSize === reference.n,
    ).then((r) => expect(r.body.salary.medianAnnualFen).toBe(Number(reference.median)));
    expect(region.body.regionCode).toBe('310000');
    expect((await t.request('GET', '/v1/statistics/regions/999999', { key: bureau.key })).body.code).toBe('INVALID_REGION_CODE');
  });
});
