import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { RateLimiter } from '../../src/common/auth/rate-limiter';
import { loadConfig } from '../../src/config/config';
import { testRedisUrl } from '../support/database-urls';

/** The per-key limiter against the machine's Redis, with the client's calls watched: what goes over the wire when. */
describe('RateLimiter, per key', () => {
  let redis: Redis;
  beforeAll(async () => {
    redis = new Redis(testRedisUrl());
    await redis.ping();
  });
  afterAll(() => redis.disconnect());

  const prefix = `lbu_${randomBytes(5).toString('hex')}`;
  const limiterFor = (env: Record<string, string>): RateLimiter => new RateLimiter(redis, loadConfig({ REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix, ...env }));

  it('answers far from the limit without a command, and sends every key in one pipeline on shutdown', async () => {
    const limiter = limiterFor({ RATE_LIMIT_MAX: '6000', RATE_LIMIT_SYNC_MS: '10000' });
    const evals = jest.spyOn(redis, 'eval');
    const pipelines = jest.spyOn(redis, 'pipeline');
    try {
      const keys = ['k1', 'k2', 'k3', 'k4', 'k5'];
      for (let i = 1; i <= 20; i++) {
        for (const key of keys) {
          const decision = await limiter.hit(key);
          expect(decision).toMatchObject({ allowed: true, limit: 6000, remaining: 6000 - i });
        }
      }
      expect(evals).not.toHaveBeenCalled();
      expect(pipelines).not.toHaveBeenCalled();

      await limiter.onModuleDestroy();
      expect(pipelines).toHaveBeenCalledTimes(1);
      const counters = await redis.keys(`${prefix}:rl:key:k*`);
      expect(counters).toHaveLength(5);
      expect(await redis.mget(...counters)).toEqual(['20', '20', '20', '20', '20']);
      for (const counter of counters) expect(await redis.pttl(counter)).toBeGreaterThan(60_000);
    } finally {
      evals.mockRestore();
      pipelines.mockRestore();
    }
  });

  it('counts a limit below 100 in Redis request by request, and refuses past it without asking again', async () => {
    const limiter = limiterFor({ RATE_LIMIT_MAX: '3' });
    const evals = jest.spyOn(redis, 'eval');
    try {
      const decisions = [];
      for (let i = 0; i < 5; i++) decisions.push(await limiter.hit('small'));
      expect(decisions.map((d) => [d?.allowed, d?.remaining])).toEqual([
        [true, 2],
        [true, 1],
        [true, 0],
        [false, 0],
        [false, 0],
      ]);
      // The 3rd's reply says the window is used up: the 4th and 5th are refused without a command.
      expect(evals).toHaveBeenCalledTimes(3);
    } finally {
      evals.mockRestore();
      await limiter.onModuleDestroy();
    }
  });

  it('is off at RATE_LIMIT_MAX=0', async () => {
    const limiter = limiterFor({ RATE_LIMIT_MAX: '0' });
    expect(await limiter.hit('any')).toBeNull();
    await limiter.onModuleDestroy();
  });
});
