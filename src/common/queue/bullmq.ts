import { ConnectionOptions, QueueOptions, WorkerOptions } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import type { AppConfig } from '../../config/config';
import { QUEUES, type QueueName } from './queues';

/**
 * Reconnect quickly and steadily (a refused connection costs nothing). BullMQ's own default backs off to 20 s
 * between attempts, so after a Redis outage of a few seconds the queues would stay away for up to 20 s more.
 */
const reconnectDelay = (times: number): number => Math.min(times * 100, 1000);

/** BullMQ connection settings from REDIS_URL; workers need `maxRetriesPerRequest: null` to block on Redis. */
export function bullConnection(config: AppConfig): ConnectionOptions {
  return redisOptions(config);
}

function redisOptions(config: AppConfig): RedisOptions {
  const url = new URL(config.redisUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined,
    tls: url.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    retryStrategy: reconnectDelay,
  };
}

/**
 * A producer's connection that fails fast while Redis is away instead of queueing commands until it is back:
 * the outbox relay must roll back and retry rather than hold its transaction open, and the dashboard, the
 * admin routes and the metrics must answer rather than hang.
 */
export function producerConnection(config: AppConfig): ConnectionOptions {
  return { ...redisOptions(config), enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 };
}

export function queueOptions(config: AppConfig): QueueOptions {
  return {
    connection: bullConnection(config),
    prefix: `${config.redisPrefix}:bull`,
    defaultJobOptions: {
      attempts: 8,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    },
  };
}

function workerOptions(config: AppConfig, concurrency: number): WorkerOptions {
  return { connection: bullConnection(config), prefix: `${config.redisPrefix}:bull`, concurrency, maxStalledCount: 3, stalledInterval: 15_000 };
}

/** How each queue's worker runs: how many jobs at once, and (domain events) the job lock from the configuration. */
export function workerOptionsFor(queue: QueueName, config: AppConfig): WorkerOptions {
  switch (queue) {
    case QUEUES.maintenance:
      return workerOptions(config, 1);
    case QUEUES.statistics:
      return workerOptions(config, 4);
    case QUEUES.webhooks:
      // A job holds its batch for at most the delivery timeout (the sends run concurrently) and a few statements.
      return { ...workerOptions(config, config.webhookConcurrency), lockDuration: Math.max(30_000, config.webhookTimeoutMs * 3) };
    case QUEUES.traineeImports:
      // A run holds its import for minutes; a short lock renewed while it works lets a killed run be taken over
      // within seconds (it resumes from its checkpoint).
      return { ...workerOptions(config, 2), lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 100 };
    case QUEUES.domainEvents:
      return {
        ...workerOptions(config, config.eventWorkerConcurrency),
        lockDuration: config.eventLockDurationMs,
        stalledInterval: config.eventStalledIntervalMs,
      };
  }
}
