import { ConnectionOptions, QueueOptions, WorkerOptions } from 'bullmq';
import Redis, { Cluster } from 'ioredis';
import type { AppConfig } from '../../config/config';
import { QUEUES, type QueueName } from './queues';
import { closeRedisClient, createRedisClient, redisOptions } from '../redis/redis';

/**
 * A BullMQ connection of the given purpose ('producer' or 'worker', see RedisPurpose). One server or a Sentinel
 * group: options, from which BullMQ makes (and closes) its own connection. A Cluster: a `Cluster` instance, which
 * BullMQ shares rather than owns, so whoever made the queue or worker closes it after them (releaseBullConnection).
 */
export function bullConnection(config: AppConfig, purpose: 'producer' | 'worker'): ConnectionOptions {
  if (config.redis.mode === 'cluster') return createRedisClient(config.redis, purpose);
  return redisOptions(config.redis, purpose);
}

/** Closes a connection bullConnection made as an instance (a Cluster's); options need nothing. */
export async function releaseBullConnection(connection: ConnectionOptions | undefined): Promise<void> {
  if (connection instanceof Cluster || connection instanceof Redis) await closeRedisClient(connection);
}

/** A producer's queue options: its connection fails fast while Redis is away (RedisPurpose 'producer'). */
export function queueOptions(config: AppConfig): QueueOptions {
  return {
    connection: bullConnection(config, 'producer'),
    prefix: config.queuePrefix,
    defaultJobOptions: {
      attempts: 8,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    },
  };
}

function workerOptions(config: AppConfig, concurrency: number): WorkerOptions {
  return { connection: bullConnection(config, 'worker'), prefix: config.queuePrefix, concurrency, maxStalledCount: 3, stalledInterval: 15_000 };
}

/** How each queue's worker runs: how many jobs at once, and (domain events) the job lock from the configuration. */
export function workerOptionsFor(queue: QueueName, config: AppConfig): WorkerOptions {
  switch (queue) {
    case QUEUES.maintenance:
      return workerOptions(config, 1);
    case QUEUES.statistics:
      // The same lock as the domain events: a recomputation whose worker died (or whose Redis master changed
      // under it) runs again as soon as an event's would.
      return { ...workerOptions(config, 4), lockDuration: config.eventLockDurationMs, stalledInterval: config.eventStalledIntervalMs };
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
