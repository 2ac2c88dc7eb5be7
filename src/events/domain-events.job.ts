import { Injectable } from '@nestjs/common';
import { ANY_JOB, JobHandler, QueueJob } from '../common/queue/job';
import { QUEUES } from '../common/queue/queues';
import { DomainEventJob, EventHandlers } from './event-handlers.service';

/**
 * Every job of the `domain-events` queue (named by its event type): runs each handler registered for the type.
 *
 * - Concurrency EVENT_WORKER_CONCURRENCY per process; run more processes to scale out.
 * - The handlers of one event run concurrently; if any fails the job fails and is retried (exponential backoff,
 *   EVENT_JOB_ATTEMPTS tries; the relay sets them on each job), every matching handler running again.
 * - A job whose worker died (SIGKILL, lost host) keeps its lock until EVENT_LOCK_DURATION_MS passes; BullMQ's
 *   stalled checker (every EVENT_STALLED_INTERVAL_MS, in every worker) then puts it back in the queue.
 */
@QueueJob({ queue: QUEUES.domainEvents, name: ANY_JOB })
@Injectable()
export class DomainEventsJob implements JobHandler<DomainEventJob> {
  constructor(private readonly handlers: EventHandlers) {}

  async handle(event: DomainEventJob): Promise<{ handlers: number }> {
    const handlers = this.handlers.matching(event.type);
    const results = await Promise.allSettled(handlers.map((handle) => handle(event)));
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) {
      throw new AggregateError(failures, failures.map((f) => (f instanceof Error ? f.message : String(f))).join('; '));
    }
    return { handlers: handlers.length };
  }
}
