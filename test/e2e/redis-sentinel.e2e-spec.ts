import Redis from 'ioredis';
import { REDIS } from '../../src/common/redis/redis';
import { castOf, confirm, drained, expectPlacementFlow, expectRateLimits, propose, statisticsEqualRebuild } from '../support/main-flows';
import { RedisSentinelGroup } from '../support/redis-cluster';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * The service through a real Sentinel group (a master, a replica and three `redis-server --sentinel` from Debian's
 * packages, on spare ports, started here and stopped afterwards): ioredis asks the sentinels for the master, and
 * follows a failover.
 */
describe('through a Redis Sentinel group', () => {
  let group: RedisSentinelGroup;
  let t: TestApp;

  beforeAll(async () => {
    group = await RedisSentinelGroup.start();
    t = await startTestApp(
      { REDIS_SENTINELS: group.sentinelList, REDIS_SENTINEL_NAME: group.name, AUTH_FAILURE_RATE_LIMIT_MAX: '3', OUTBOX_POLL_MS: '100', STATISTICS_DEBOUNCE_MS: '50',
        // A job in hand when the master changed finished on the old master: its completion is lost with it, and the
        // job, active on the new master, runs again once its lock expires (EVENT_LOCK_DURATION_MS) and the stalled
        // checker finds it. Short here, so the test does not wait the default 30 s + 15 s.
        EVENT_LOCK_DURATION_MS: '3000',
        EVENT_STALLED_INTERVAL_MS: '1000',
      },
      { worker: true },
    );
  }, 60_000);
  afterAll(async () => {
    try {
      if (t) await Promise.race([t.close(), new Promise((r) => setTimeout(r, 15_000).unref())]);
    } finally {
      await group?.stop();
    }
  });

  it('finds the master through the sentinels, and answers ready', async () => {
    const redis = t.app.get<Redis>(REDIS);
    expect(redis.options.sentinels).toHaveLength(3);
    expect(redis.options.name).toBe(group.name);
    const ready = await t.request('GET', '/health/ready', { key: null });
    expect(ready.body).toEqual({ status: 'ok', checks: { postgres: 'up', redis: 'up' } });
  });

  it('confirmation → event relayed → statistics updated, equal to a rebuild', async () => {
    await expectPlacementFlow(t, 3);
  });

  it('limits rates', async () => {
    await expectRateLimits(t, 3);
  });

  /**
   * 60 confirmations by eight clients over two brands; `fault` strikes once a third of them are in. Afterwards
   * every confirmation succeeded, everything drains, and each brand's figures equal a rebuild from scratch.
   */
  async function confirmationLoadSurvives(what: string, fault: () => Promise<{ from: number; to: number }>): Promise<void> {
    const casts = [await castOf(t, 3), await castOf(t, 3)];
    const total = 60;
    const proposals = await Promise.all(Array.from({ length: total }, (_, i) => propose(t, casts[i % 2], i)));
    const statuses: number[] = [];
    let next = 0;
    let moved: { from: number; to: number } | undefined;
    const client = async (): Promise<void> => {
      while (next < proposals.length) {
        const p = proposals[next++];
        statuses.push(await confirm(t, p));
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const strike = (async () => {
      while (statuses.length < total / 3) await new Promise((r) => setTimeout(r, 10));
      moved = await fault();
    })();
    await Promise.all([...Array.from({ length: 8 }, client), strike]);
    expect(moved!.to).not.toBe(moved!.from);
    // Confirmations write Postgres only: none fails while Redis changes master.
    expect(statuses).toEqual(Array(total).fill(200));

    // One more per brand after the fault, so the figures' newest events come after it.
    for (const cast of casts) expect(await confirm(t, await propose(t, cast, total))).toBe(200);
    const brandIds = casts.map((c) => c.brandId);
    const drainMs = await drained(t, brandIds, 120_000);
    console.log(`${what} ${moved!.from} → ${moved!.to}: drained ${drainMs} ms after the load`);

    const { kept, rebuilt } = await statisticsEqualRebuild(t, brandIds);
    expect(kept).toEqual(rebuilt);
    for (const cast of casts) {
      const stats = await t.request('GET', `/v1/brands/${cast.brandId}/statistics`, { key: cast.firm.key });
      expect(stats.body).toMatchObject({ placedTraineeCount: total / 2 + 1, activePlacementCount: total / 2 + 1 });
    }
    // The app is on the new master.
    expect((await t.request('GET', '/health/ready', { key: null })).status).toBe(200);
  }

  it('loses no event when the master fails over (SENTINEL FAILOVER) during a confirmation load', async () => {
    await confirmationLoadSurvives('sentinel failover', () => group.failover());
  }, 240_000);

  it('loses no event when the master is killed (SIGKILL) during a confirmation load', async () => {
    await confirmationLoadSurvives('master killed', () => group.killMaster());
  }, 240_000);
});
