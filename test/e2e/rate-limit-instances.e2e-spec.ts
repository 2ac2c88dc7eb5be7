import Redis from 'ioredis';
import { expectProblem, sleep } from '../support/expect';
import { waitFor } from '../support/events';
import { PrivateRedis } from '../support/private-redis';
import { startTestApp, TestApp, Response } from '../support/test-app';

/** The limit is a fixed window: start a burst far enough from its end that it stays in one. */
async function awayFromWindowEnd(windowMs: number, needMs: number): Promise<void> {
  const intoWindow = Date.now() % windowMs;
  if (intoWindow > windowMs - needMs) await sleep(windowMs - intoWindow + 50);
}

/** Calls counted by Redis since the last CONFIG RESETSTAT, by command (a script's own calls included). */
async function commandCalls(redis: Redis): Promise<Record<string, number>> {
  const calls: Record<string, number> = {};
  for (const [, name, n] of (await redis.info('commandstats')).matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) calls[name] = Number(n);
  return calls;
}

describe('one key hammered through two API instances sharing Redis (RATE_LIMIT_MAX = 300)', () => {
  const limit = 300;
  // The bound RateLimiter documents: each instance may hold 1 % of the limit uncounted in Redis.
  const margin = 2 * Math.floor(limit / 100);
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    const env = { RATE_LIMIT_MAX: String(limit), RATE_LIMIT_WINDOW_MS: '60000', RATE_LIMIT_SYNC_MS: '50' };
    a = await startTestApp(env);
    b = await startTestApp({ ...env, REDIS_PREFIX: a.config.redisPrefix, BOOTSTRAP_ADMIN_KEY: a.platformKey }, { databaseUrl: a.databaseUrl });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it(`lets through between ${limit} and ${limit} + ${margin} requests, and refuses the rest with Retry-After`, async () => {
    await awayFromWindowEnd(60_000, 10_000);
    const answers: Response[] = [];
    // 2 × limit requests, 20 at a time on each instance.
    for (let round = 0; round < limit / 20; round++) {
      answers.push(...(await Promise.all([...Array(20)].flatMap(() => [a.request('GET', '/v1/me'), b.request('GET', '/v1/me')]))));
    }
    const served = answers.filter((res) => res.status === 200);
    const refused = answers.filter((res) => res.status !== 200);
    expect(served.length).toBeGreaterThanOrEqual(limit);
    expect(served.length).toBeLessThanOrEqual(limit + margin);
    for (const res of refused) {
      expectProblem(res, 429, 'RATE_LIMITED');
      const retryAfter = Number(res.headers['retry-after']);
      expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
      expect(res.headers['ratelimit-remaining']).toBe('0');
      expect(res.headers['ratelimit-limit']).toBe(String(limit));
    }
    for (const res of served) expect(Number(res.headers['ratelimit-remaining'])).toBeLessThan(limit);
    // Neither instance forgets: once both have heard from Redis, the key stays refused on both.
    await sleep(200);
    expectProblem(await a.request('GET', '/v1/me'), 429, 'RATE_LIMITED');
    expectProblem(await b.request('GET', '/v1/me'), 429, 'RATE_LIMITED');
  });
});

describe('a key far below its limit (a Redis of the test’s own)', () => {
  let redis: PrivateRedis;
  let client: Redis;
  let t: TestApp;
  beforeAll(async () => {
    redis = await PrivateRedis.start();
    client = new Redis(redis.url);
    t = await startTestApp({ REDIS_URL: redis.url, RATE_LIMIT_MAX: '6000', RATE_LIMIT_WINDOW_MS: '60000', RATE_LIMIT_SYNC_MS: '100' });
  });
  afterAll(async () => {
    try {
      if (redis && !redis.running) await redis.restart().catch(() => undefined);
      if (t) await Promise.race([t.close(), new Promise((r) => setTimeout(r, 15_000).unref())]);
      client?.disconnect();
    } finally {
      await redis?.dispose();
    }
  });

  const counted = async (): Promise<number> => {
    const keys = await client.keys(`${t.config.redisPrefix}:rl:key:*`);
    const values = keys.length ? await client.mget(...keys) : [];
    return values.reduce((sum, v) => sum + Number(v ?? 0), 0);
  };

  it('answers without waiting for Redis and sends the counts in batches', async () => {
    await awayFromWindowEnd(60_000, 10_000);
    const first = await t.request('GET', '/v1/me');
    expect(first.status).toBe(200);
    await waitFor('the first request counted in Redis', async () => (await counted()) === 1);
    await client.config('RESETSTAT');

    // Redis holds every client's commands for 3 s: a request that waited for it would take that long.
    await client.call('CLIENT', 'PAUSE', '3000', 'ALL');
    const started = Date.now();
    let previous = Number(first.headers['ratelimit-remaining']);
    for (let i = 0; i < 40; i++) {
      const res = await t.request('GET', '/v1/me');
      expect(res.status).toBe(200);
      expect(res.headers['ratelimit-limit']).toBe('6000');
      expect(Number(res.headers['ratelimit-remaining'])).toBe(previous - 1);
      previous -= 1;
    }
    expect(Date.now() - started).toBeLessThan(2000);

    // Once Redis runs again every request is counted, in a few INCRBYs rather than one a request.
    await waitFor('all 41 requests counted in Redis', async () => (await counted()) === 41, 10_000, 50);
    const calls = await commandCalls(client);
    expect(calls.incrby).toBeGreaterThanOrEqual(1);
    expect(calls.incrby).toBeLessThanOrEqual(5);
  });

  it('fails open while Redis is away, as before, and counts those requests once it is back', async () => {
    await awayFromWindowEnd(60_000, 5_000);
    await redis.stop();
    for (let i = 0; i < 3; i++) {
      const res = await t.request('GET', '/v1/me');
      expect(res.status).toBe(200);
      expect(res.headers['ratelimit-limit']).toBeUndefined();
    }
    await redis.restart();
    // A restarted redis-server comes back empty; the instance sends it the requests it counted meanwhile.
    await waitFor('the requests of the outage counted', async () => (await counted()) === 3, 10_000, 50);
    const res = await t.request('GET', '/v1/me');
    expect(res.headers['ratelimit-limit']).toBe('6000');
    // At most: the instance also remembers what the lost Redis had counted before, and never counts down.
    expect(Number(res.headers['ratelimit-remaining'])).toBeLessThanOrEqual(6000 - 4);
  });
});
