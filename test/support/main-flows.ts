import { randomBytes, randomUUID } from 'node:crypto';
import { BullQueues } from '../../src/common/queue/bull-queues';
import { QUEUES } from '../../src/common/queue/queues';
import { StatisticsCalculator } from '../../src/statistics/statistics.calculator';
import { createCertifiedBrand } from './brands';
import { waitFor } from './events';
import { expectProblem } from './expect';
import { createOrganization, creditCode, type OrgWithKey } from './factories';
import { chinaDate } from './placements';
import type { TestApp } from './test-app';
import { registerTrainee } from './trainees';

/**
 * The main flows of the service, for the tests that run it on another infrastructure (a Redis Cluster, a Sentinel
 * group, PgBouncer): an HR firm with a certified brand, employers, trainees registered, placements proposed and
 * confirmed, the events relayed and the figures updated.
 */
export interface Cast {
  firm: OrgWithKey;
  bureau: OrgWithKey;
  employers: OrgWithKey[];
  brandId: string;
}

export async function castOf(t: TestApp, employers = 2): Promise<Cast> {
  const firm = await createOrganization(t, 'hr_firm', '310104');
  const bureau = await createOrganization(t, 'bureau', '310104');
  const brand = await createCertifiedBrand(t, firm.key, bureau.key);
  return { firm, bureau, employers: await Promise.all(Array.from({ length: employers }, () => createOrganization(t, 'employer', '310104'))), brandId: brand.id };
}

/** Registers a trainee and proposes a placement with one of the employers; answers the placement and its employer. */
export async function propose(t: TestApp, cast: Cast, i: number): Promise<{ placementId: string; employer: OrgWithKey }> {
  const trainee = await registerTrainee(t, cast.firm.key, cast.brandId, { expectedMonthlySalaryFen: 800_000 + i * 1_000 });
  const employer = cast.employers[i % cast.employers.length];
  const res = await t.request('POST', '/v1/placements', {
    key: cast.firm.key,
    body: { traineeId: trainee.id, employerId: employer.id, jobTitle: '人工智能训练师', workRegionCode: '310104', salaryFen: 12_000_000 + i * 10_000, salaryPeriod: 'annual', startDate: chinaDate() },
  });
  if (res.status !== 201) throw new Error(`propose: ${res.status} ${res.text}`);
  return { placementId: res.body.id, employer };
}

export async function confirm(t: TestApp, placement: { placementId: string; employer: OrgWithKey }): Promise<number> {
  return (await t.request('POST', `/v1/placements/${placement.placementId}/confirm`, { key: placement.employer.key, body: {} })).status;
}

/**
 * Waits until everything written has gone through: no outbox row undelivered, the queues quiet, and each brand's
 * figures stamped with its newest event.
 */
export async function drained(t: TestApp, brandIds: string[], timeoutMs = 90_000): Promise<number> {
  const queues = t.app.get(BullQueues);
  let state = '';
  const debug = process.env.LB_DEBUG_DRAIN ? setInterval(() => console.log(`drain: ${state}`), 2000) : undefined;
  return waitFor(
    'the outbox relayed, the queues quiet and the figures fresh',
    async () => {
      const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM outbox_events WHERE delivered_at IS NULL`);
      state = `${n} undelivered`;
      if (n > 0) return false;
      for (const name of [QUEUES.domainEvents, QUEUES.statistics]) {
        const queue = queues.get(name);
        const counts = await queue.getJobCounts('waiting', 'active', 'prioritized');
        // The job schedulers' next runs wait as delayed jobs for ever; a debounced recomputation is one too.
        const delayed = (await queue.getJobs(['delayed'])).filter((j) => j && !j.repeatJobKey).length;
        state = `${name}: ${JSON.stringify({ ...counts, delayed })}`;
        if (delayed > 0 || Object.values(counts).some((c) => c > 0)) return false;
      }
      state = 'figures not fresh';
      const stale = await t.dataSource.query(
        `SELECT b.id FROM unnest($1::uuid[]) AS b(id)
          WHERE (SELECT id FROM outbox_events WHERE brand_id = b.id ORDER BY seq DESC LIMIT 1)
                IS DISTINCT FROM (SELECT last_event_id FROM brand_statistics WHERE brand_id = b.id)`,
        [brandIds],
      );
      return stale.length === 0;
    },
    timeoutMs,
    100,
  )
    .catch((err: Error) => {
      throw new Error(`${err.message} (${state})`);
    })
    .finally(() => clearInterval(debug));
}

/** The brands' stored figures, without the time they were computed. */
async function storedStatistics(t: TestApp, brandIds: string[]): Promise<unknown[]> {
  const rows: Array<Record<string, unknown>> = await t.dataSource.query(`SELECT * FROM brand_statistics WHERE brand_id = ANY($1::uuid[]) ORDER BY brand_id`, [brandIds]);
  return rows.map(({ computed_at: _computedAt, ...rest }) => rest);
}

/**
 * The figures the events produced equal the figures of a rebuild from scratch (`npm run stats:rebuild`): every
 * event was processed, none lost. Answers the figures.
 */
export async function statisticsEqualRebuild(t: TestApp, brandIds: string[]): Promise<{ kept: unknown[]; rebuilt: unknown[] }> {
  const kept = await storedStatistics(t, brandIds);
  await t.app.get(StatisticsCalculator).rebuildAll();
  return { kept, rebuilt: await storedStatistics(t, brandIds) };
}

/**
 * Confirmation → event relayed → statistics updated: `count` trainees placed, the brand's figures through the API
 * count them, and equal a rebuild.
 */
export async function expectPlacementFlow(t: TestApp, count = 3): Promise<Cast> {
  const cast = await castOf(t);
  for (let i = 0; i < count; i++) expect(await confirm(t, await propose(t, cast, i))).toBe(200);
  await drained(t, [cast.brandId], 30_000);
  const stats = await t.request('GET', `/v1/brands/${cast.brandId}/statistics`, { key: cast.firm.key });
  expect(stats.status).toBe(200);
  expect(stats.body).toMatchObject({ traineeCount: count, placedTraineeCount: count, activePlacementCount: count });
  const { kept, rebuilt } = await statisticsEqualRebuild(t, [cast.brandId]);
  expect(kept).toEqual(rebuilt);
  return cast;
}

/**
 * The rate limits count in Redis: the per-key counter goes down request by request, and failed key checks are
 * refused with 429 once the address has used its allowance (the app runs with AUTH_FAILURE_RATE_LIMIT_MAX = `failures`).
 */
export async function expectRateLimits(t: TestApp, failures: number): Promise<void> {
  const a = await t.request('GET', '/v1/me');
  const b = await t.request('GET', '/v1/me');
  expect(a.status).toBe(200);
  expect(Number(b.headers['ratelimit-remaining'])).toBe(Number(a.headers['ratelimit-remaining']) - 1);
  const guess = (): string => `lbk_${randomBytes(32).toString('base64url')}`;
  for (let i = 0; i < failures; i++) expectProblem(await t.request('GET', '/v1/me', { key: guess() }), 401, 'UNAUTHENTICATED');
  const limited = await t.request('GET', '/v1/me', { key: guess() });
  expectProblem(limited, 429, 'RATE_LIMITED');
  expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
}

/** An Idempotency-Key replays the first answer and does the work once. */
export async function expectIdempotency(t: TestApp): Promise<void> {
  const key = randomUUID();
  const body = { kind: 'hr_firm', name: 'Idempotent HR Co', creditCode: creditCode('310104'), regionCode: '310104' };
  const first = await t.request('POST', '/v1/organizations', { body, headers: { 'idempotency-key': key } });
  expect(first.status).toBe(201);
  const replay = await t.request('POST', '/v1/organizations', { body, headers: { 'idempotency-key': key } });
  expect(replay.status).toBe(201);
  expect(replay.headers['idempotent-replayed']).toBe('true');
  expect(replay.body).toEqual(first.body);
  const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM organizations WHERE credit_code = $1`, [body.creditCode]);
  expect(n).toBe(1);
}
