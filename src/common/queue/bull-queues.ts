import type { EventEmitter } from 'node:events';
import { Inject, Injectable, Logger, OnApplicationShutdown, Type } from '@nestjs/common';
import { Job, JobsOptions, Queue } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { queueOptions, releaseBullConnection } from './bullmq';
import { JobHandler, jobDefinition } from './job';
import { QUEUE_NAMES, QueueName } from './queues';
import { safeMessage } from '../logging/logger';

const ERROR_LOG_EVERY_MS = 60_000;
const CLOSE_TIMEOUT_MS = 2000;

/**
 * One producer-side `Queue` per queue name, created on first use and shared by whoever needs it in this process:
 * the outbox relay adds jobs, the dashboard, the admin routes and the metrics read them. Their connections fail
 * fast while Redis is away (RedisPurpose 'producer'). Workers keep connections of their own.
 */
@Injectable()
export class BullQueues implements OnApplicationShutdown {
  private readonly logger = new Logger(BullQueues.name);
  private readonly queues = new Map<QueueName, Queue>();
  private readonly lastErrorLog = new Map<QueueName, number>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get<T = unknown>(name: QueueName): Queue<T> {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, queueOptions(this.config));
      // ioredis reports every failed reconnect; one line a minute per queue is enough (the relay logs outages).
      queue.on('error', (err) => {
        const now = Date.now();
        if (now - (this.lastErrorLog.get(name) ?? 0) < ERROR_LOG_EVERY_MS) return;
        this.lastErrorLog.set(name, now);
        this.logger.warn(`queue ${name}: ${safeMessage(err)}`);
      });
      this.queues.set(name, queue);
    }
    return queue as Queue<T>;
  }

  /** Adds a job of the given kind (a `@QueueJob` class) with its payload. */
  add<T>(kind: Type<JobHandler<T>>, data: T, options?: JobsOptions): Promise<Job<T>> {
    const { queue, name } = jobDefinition(kind);
    return this.get<T>(queue).add(name as never, data as never, options) as Promise<Job<T>>;
  }

  /** Adds several jobs of one kind in one round trip. */
  addBulk<T>(kind: Type<JobHandler<T>>, jobs: Array<{ data: T; options?: JobsOptions }>): Promise<Array<Job<T>>> {
    const { queue, name } = jobDefinition(kind);
    return this.get<T>(queue).addBulk(jobs.map((j) => ({ name: name as never, data: j.data as never, opts: j.options }))) as Promise<Array<Job<T>>>;
  }

  /** Every queue of QUEUES, in declaration order. */
  all(): Queue[] {
    return QUEUE_NAMES.map((name) => this.get(name));
  }

  async onApplicationShutdown(): Promise<void> {
    const queues = [...this.queues.values()];
    this.queues.clear();
    await Promise.all(queues.map((queue) => closeQueue(queue)));
  }
}

/**
 * Closes a queue's connection even while Redis is away: `Queue.close()` then fails (QUIT cannot be sent) and
 * leaves ioredis reconnecting for ever, which would keep the process alive after shutdown.
 */
async function closeQueue(queue: Queue): Promise<void> {
  try {
    await closeQueueItself(queue);
  } finally {
    await releaseBullConnection(queue.opts.connection);
  }
}

async function closeQueueItself(queue: Queue): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), CLOSE_TIMEOUT_MS)));
  try {
    const closed = await Promise.race([queue.close().then(() => 'closed' as const, () => 'failed' as const), gaveUp]);
    if (closed === 'closed') return;
    // Never connected, or Redis went away: drop the connection (and its reconnect timer) instead.
    await queue.disconnect().catch(() => undefined);
  } finally {
    clearTimeout(timer);
    // BullMQ's close removes every listener of the queue's connection, yet a connection closed while it was still
    // starting rejects its start-up afterwards and emits that as 'error' (bullmq 5.x): with no listener left, Node
    // would throw it and bring the process down in the middle of a clean shutdown.
    (queue as unknown as { connection?: EventEmitter }).connection?.on('error', () => undefined);
  }
}
