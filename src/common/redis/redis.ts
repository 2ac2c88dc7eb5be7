import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisTopology } from '../../config/config';

export const REDIS = Symbol('REDIS');

/** A connection to whichever Redis the configuration names: one server, the master a Sentinel group names, or a Cluster. */
export type RedisClient = Redis | Cluster;

/**
 * What a connection is for, which decides how it behaves while Redis is away:
 * - `app`: the app's own (rate-limit counters, caches, readiness): fails fast instead of queueing, so callers
 *   can degrade (the rate limit fails open) and readiness reports it at once.
 * - `producer`: BullMQ queues that add and read jobs (the outbox relay, the dashboard, the admin routes, the
 *   metrics): fails fast too, so the relay rolls back and retries rather than hold its transaction open.
 * - `worker`: BullMQ workers, which block on Redis and need `maxRetriesPerRequest: null`; they wait for Redis.
 */
export type RedisPurpose = 'app' | 'producer' | 'worker';

/**
 * Reconnect quickly and steadily (a refused connection costs nothing). BullMQ's own default backs off to 20 s
 * between attempts, so after a Redis outage of a few seconds the queues would stay away for up to 20 s more.
 */
const queueReconnectDelay = (times: number): number => Math.min(times * 100, 1000);

function purposeOptions(purpose: RedisPurpose): RedisOptions {
  switch (purpose) {
    case 'app':
      return {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 2000,
        retryStrategy: (times) => Math.min(times * 200, 2000),
        // disconnect() while Redis is away arms a timer of this length on the dead socket that nothing clears,
        // which holds a shutting-down process open (2 s by default); a healthy connection closes with QUIT.
        disconnectTimeout: 200,
      };
    case 'producer':
      return { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: queueReconnectDelay };
    case 'worker':
      return { enableOfflineQueue: true, maxRetriesPerRequest: null, retryStrategy: queueReconnectDelay };
  }
}

/**
 * ioredis options of one server or of a Sentinel group (ioredis asks the sentinels for the master, and again
 * after a failover); not for a Cluster, which needs a `Cluster` instance (createRedisClient).
 */
export function redisOptions(topology: RedisTopology, purpose: RedisPurpose, connectionName?: string): RedisOptions {
  const base: RedisOptions = { ...purposeOptions(purpose), connectionName };
  if (topology.mode === 'single') {
    const url = new URL(topology.url);
    return {
      ...base,
      host: url.hostname,
      port: Number(url.port || 6379),
      username: url.username ? decodeURIComponent(url.username) : undefined,
      password: url.password ? decodeURIComponent(url.password) : undefined,
      db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined,
      tls: url.protocol === 'rediss:' ? {} : undefined,
    };
  }
  if (topology.mode === 'sentinel') {
    return {
      ...base,
      sentinels: topology.sentinels,
      name: topology.name,
      password: topology.password,
      sentinelPassword: topology.sentinelPassword,
      tls: topology.tls ? {} : undefined,
      enableTLSForSentinelMode: topology.tls,
      // A command that reached the old master after it was demoted: reconnect (to the master the sentinels name
      // now) and send it again. A master that died drops the connection, and the reconnection asks the sentinels.
      // (ioredis's failoverDetector is not used: its sentinel connections outlive quit() and hold the process open.)
      reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
      sentinelRetryStrategy: (times) => Math.min(times * 200, 2000),
    };
  }
  throw new Error('a Redis Cluster needs a Cluster instance: use createRedisClient');
}

function clusterOptions(topology: Extract<RedisTopology, { mode: 'cluster' }>, purpose: RedisPurpose, connectionName?: string): ClusterOptions {
  const { retryStrategy, enableOfflineQueue, ...perNode } = purposeOptions(purpose);
  return {
    redisOptions: { ...perNode, connectionName, password: topology.password, tls: topology.tls ? {} : undefined },
    enableOfflineQueue,
    clusterRetryStrategy: (times) => (retryStrategy ? (retryStrategy(times) ?? null) : 1000),
    // A master that fails over moves its slots: follow the redirection and retry shortly rather than fail.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    retryDelayOnTryAgain: 100,
    slotsRefreshTimeout: 2000,
    enableReadyCheck: true,
  };
}

/** A client of the configured topology; the caller closes it (`quit`, or `disconnect` while Redis is away). */
export function createRedisClient(topology: RedisTopology, purpose: RedisPurpose, connectionName?: string): RedisClient {
  const client = topology.mode === 'cluster' ? new Cluster(topology.nodes, clusterOptions(topology, purpose, connectionName)) : new Redis(redisOptions(topology, purpose, connectionName));
  // Connection errors are reported by readiness and by the callers; an unhandled 'error' event would crash.
  client.on('error', () => undefined);
  return client;
}

/** Closes a client politely when Redis answers, at once when it does not. */
export async function closeRedisClient(client: RedisClient): Promise<void> {
  if (client.status === 'end') return;
  await client.quit().catch(() => client.disconnect());
}

/**
 * The app's own connection (rate-limit counters, caches, readiness). Waits (at most `timeoutMs`) for the first
 * connection, so a freshly started instance is ready and limits rates from its first request. A Redis that is
 * down delays start-up by the timeout only: the service then runs degraded (readiness says so) and reconnects
 * in the background.
 */
export async function connectedRedis(topology: RedisTopology, name: string, timeoutMs = 2000): Promise<RedisClient> {
  const redis = createRedisClient(topology, 'app', name);
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
