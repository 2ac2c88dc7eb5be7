import { ConnectionOptions, QueueOptions, WorkerOptions } from 'bullmq';
import type { AppConfig } from '../config/config';

/** BullMQ connection settings from REDIS_URL; workers need `maxRetriesPerRequest: null` to block on Redis. */
export function bullConnection(config: AppConfig): ConnectionOptions {
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
  };
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

export function workerOptions(config: AppConfig, concurrency: number): WorkerOptions {
  return { connection: bullConnection(config), prefix: `${config.redisPrefix}:bull`, concurrency, maxStalledCount: 3, stalledInterval: 15_000 };
}
