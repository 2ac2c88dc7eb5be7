import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Job, Worker } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../config/config';
import { eventWorkerOptions } from './bullmq';
import { DomainEventJob, QUEUES } from './queues';

/**
 * Handles one domain event. Must be idempotent: an event can arrive more than once (see OutboxRelay), a failed
 * job is retried with every matching handler run again, and a job whose worker died is run again.
 */
export type DomainEventHandler = (event: DomainEventJob) => Promise<void>;

/** `*` (every event), `<prefix>.*` (e.g. `placement.*`) or an exact type (e.g. `placement.confirmed`). */
const PATTERN = /^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$/;

export function eventTypeMatches(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

/**
 * Where domain modules register what they do with events, in both roles (registering costs nothing where no
 * worker runs), typically in their `onModuleInit`:
 *
 *   constructor(private readonly eventHandlers: EventHandlers) {}
 *   onModuleInit() { this.eventHandlers.register('placement.*', (e) => this.applyPlacementEvent(e)); }
 *
 * The worker role's DomainEventsWorker starts after every onModuleInit, so no event misses a handler.
 */
@Injectable()
export class EventHandlers {
  private readonly entries: Array<{ pattern: string; handler: DomainEventHandler }> = [];

  register(pattern: string, handler: DomainEventHandler): void {
    if (!PATTERN.test(pattern)) throw new Error(`invalid event pattern "${pattern}": use *, <prefix>.* or an exact type`);
    this.entries.push({ pattern, handler });
  }

  /** The handlers for an event type, in registration order. */
  matching(type: string): DomainEventHandler[] {
    return this.entries.filter((e) => eventTypeMatches(e.pattern, type)).map((e) => e.handler);
  }
}

const ERROR_LOG_EVERY_MS = 60_000;

/**
 * Worker role: the one BullMQ worker of the `domain-events` queue; each job runs every matching handler.
 *
 * - Concurrency EVENT_WORKER_CONCURRENCY per process; run more processes to scale out.
 * - The handlers of one event run concurrently; if any fails the job fails and is retried (exponential backoff,
 *   EVENT_JOB_ATTEMPTS tries; the relay sets them on each job), every matching handler running again.
 * - Completed jobs are trimmed (an hour, at most 10,000); a job out of tries stays in the failed set for 7 days:
 *   the dead letters, listed and retried through `/v1/admin/failed-jobs` and the `/admin/queues` dashboard.
 * - A job whose worker died (SIGKILL, lost host) keeps its lock until EVENT_LOCK_DURATION_MS passes; BullMQ's
 *   stalled checker (every EVENT_STALLED_INTERVAL_MS, in every worker) then puts it back in the queue.
 * - Graceful shutdown: the worker closes in beforeApplicationShutdown, after the relay stopped claiming
 *   (onModuleDestroy) and before the database pool closes (onApplicationShutdown); `close()` waits for the
 *   jobs in hand to finish.
 */
@Injectable()
export class DomainEventsWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DomainEventsWorker.name);
  private worker?: Worker<DomainEventJob>;
  private lastErrorLog = 0;

  constructor(
    private readonly handlers: EventHandlers,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.worker = new Worker<DomainEventJob>(QUEUES.domainEvents, (job) => this.process(job), eventWorkerOptions(this.config));
    this.worker.on('error', (err) => {
      const now = Date.now();
      if (now - this.lastErrorLog < ERROR_LOG_EVERY_MS) return;
      this.lastErrorLog = now;
      this.logger.warn(`domain-events worker: ${err.message}`);
    });
    this.worker.on('failed', (job, err) => {
      if (!job) return;
      const attempts = job.opts.attempts ?? 1;
      if (job.attemptsMade >= attempts) {
        this.logger.error(`event ${job.id} (${job.name}) failed ${job.attemptsMade} times and is now a dead letter: ${err.message}`);
      } else {
        this.logger.warn(`event ${job.id} (${job.name}) failed (try ${job.attemptsMade} of ${attempts}), will retry: ${err.message}`);
      }
    });
  }

  async process(job: Job<DomainEventJob>): Promise<{ handlers: number }> {
    const handlers = this.handlers.matching(job.data.type);
    const results = await Promise.allSettled(handlers.map((handle) => handle(job.data)));
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) {
      throw new AggregateError(failures, failures.map((f) => (f instanceof Error ? f.message : String(f))).join('; '));
    }
    return { handlers: handlers.length };
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.close();
  }
}
