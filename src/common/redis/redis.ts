import Redis from 'ioredis';

export const REDIS = Symbol('REDIS');

/**
 * The app's own Redis connection (rate-limit counters, caches). Commands fail fast while Redis is away instead
 * of queueing, so callers can degrade (the rate limit fails open) and readiness reports it at once.
 */
export function createRedis(url: string, name: string): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    // disconnect() while Redis is away arms a timer of this length on the dead socket that nothing clears, which
    // holds a shutting-down process open (2 s by default); a healthy connection closes with QUIT, not this.
    disconnectTimeout: 200,
  });
  // Connection errors are reported by readiness and by the callers; an unhandled 'error' event would crash.
  redis.on('error', () => undefined);
  return redis;
}

/**
 * Waits (at most `timeoutMs`) for the first connection, so a freshly started instance is ready and limits rates
 * from its first request. A Redis that is down delays start-up by the timeout only: the service then runs
 * degraded (readiness says so) and reconnects in the background.
 */
export async function connectedRedis(url: string, name: string, timeoutMs = 2000): Promise<Redis> {
  const redis = createRedis(url, name);
  if (redis.status === 'ready') return redis;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    timer.unref();
    redis.once('ready', done);
  });
  return redis;
}
