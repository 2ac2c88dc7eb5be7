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
