import { Cluster } from 'ioredis';
import { REDIS } from '../../src/common/redis/redis';
import { RedisCluster } from '../support/redis-cluster';
import { expectPlacementFlow, expectRateLimits } from '../support/main-flows';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * The service on a real Redis Cluster of three masters (redis-server from Debian's packages, on spare ports,
 * started here and stopped afterwards): BullMQ's queues, the rate limiter and readiness through one Cluster
 * client each, every queue's keys in one slot (the hash-tagged prefix).
 */
describe('on a Redis Cluster of three masters', () => {
  let cluster: RedisCluster;
  let t: TestApp;

  beforeAll(async () => {
    cluster = await RedisCluster.start(3);
    t = await startTestApp({ REDIS_CLUSTER_NODES: cluster.nodeList, AUTH_FAILURE_RATE_LIMIT_MAX: '3', OUTBOX_POLL_MS: '100' }, { worker: true });
  }, 60_000);
  afterAll(async () => {
    try {
      if (t) await Promise.race([t.close(), new Promise((r) => setTimeout(r, 15_000).unref())]);
    } finally {
      await cluster?.stop();
    }
  });

  it('talks to the Cluster, and answers ready', async () => {
    expect(t.app.get(REDIS)).toBeInstanceOf(Cluster);
    expect(t.config.queuePrefix).toBe(`{${t.config.redisPrefix}}:bull`);
    const ready = await t.request('GET', '/health/ready', { key: null });
    expect(ready.body).toEqual({ status: 'ok', checks: { postgres: 'up', redis: 'up' } });
  });

  it('confirmation → event relayed → statistics updated, equal to a rebuild', async () => {
    await expectPlacementFlow(t, 4);
  });

  it('keeps every queue key on one master: one slot, as the multi-key scripts of BullMQ need', async () => {
    const queueKeys = await cluster.keysPerNode(`{${t.config.redisPrefix}}:bull:*`);
    expect(queueKeys.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(queueKeys.filter((n) => n > 0)).toHaveLength(1);
  });

  it('limits rates', async () => {
    await expectRateLimits(t, 3);
  });
});
