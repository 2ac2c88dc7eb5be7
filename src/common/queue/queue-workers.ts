import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { Job, Worker } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { BullQueues } from './bull-queues';
import { releaseBullConnection, workerOptionsFor } from './bullmq';
import { ANY_JOB, isJobClass, JobDefinition, JobHandler, jobDefinition } from './job';
import type { QueueName } from './queues';
import { JobSchedules, throttledWarning } from './schedules';
import { safeMessage } from '../logging/logger';

interface QueueJobs {
  handlers: Map<string, JobHandler<unknown>>;
  schedules: JobDefinition[];
}

/**
 * Worker role: one BullMQ worker per queue that has `@QueueJob` classes, each job dispatched by its name to its
 * class (or to the queue's catch-all), and the job schedulers of the scheduled ones kept in place (JobSchedules).
 *
 * - A failed job is retried with exponential backoff until its attempts are spent; it then stays in the failed
 *   set for 7 days: the dead letters, listed and retried through `/v1/admin/failed-jobs` and `/admin/queues`.
 * - A job whose worker died keeps its lock until the lock expires; BullMQ's stalled checker then queues it again.
 * - Shutdown: the workers close in beforeApplicationShutdown, after the outbox relay stopped claiming
 *   (onModuleDestroy) and before the database pool closes (onApplicationShutdown); `close()` waits for the jobs
 *   in hand to finish.
 */
@Injectable()
export class QueueWorkers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(QueueWorkers.name);
  private readonly workers: Worker[] = [];
  private readonly schedules: JobSchedules[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly queues: BullQueues,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Every `@QueueJob` provider of the application, by queue and job name. */
  private discover(): Map<QueueName, QueueJobs> {
    const byQueue = new Map<QueueName, QueueJobs>();
    for (const wrapper of this.discovery.getProviders()) {
      const kind = wrapper.metatype;
      if (!wrapper.instance || !isJobClass(kind)) continue;
      const definition = jobDefinition(kind);
      const jobs: QueueJobs = byQueue.get(definition.queue) ?? { handlers: new Map(), schedules: [] };
      if (jobs.handlers.has(definition.name)) throw new Error(`two classes handle job ${definition.name} of queue ${definition.queue}`);
      jobs.handlers.set(definition.name, wrapper.instance as JobHandler<unknown>);
      if (definition.schedule) jobs.schedules.push(definition);
      byQueue.set(definition.queue, jobs);
    }
    return byQueue;
  }

  onApplicationBootstrap(): void {
    for (const [queue, jobs] of this.discover()) {
      const worker = new Worker(queue, (job) => this.process(queue, jobs.handlers, job), workerOptionsFor(queue, this.config));
      worker.on('error', throttledWarning(this.logger, `${queue} worker`));
      worker.on('failed', (job, err) => this.reportFailure(queue, job, err));
      this.workers.push(worker);
      if (jobs.schedules.length) {
        const schedules = new JobSchedules(
          this.queues.get(queue),
          jobs.schedules.map((d) => ({ name: d.name, repeat: d.schedule! })),
          this.logger,
        );
        schedules.start();
        this.schedules.push(schedules);
      }
    }
  }

  private process(queue: QueueName, handlers: Map<string, JobHandler<unknown>>, job: Job): Promise<unknown> {
    const handler = handlers.get(job.name) ?? handlers.get(ANY_JOB);
    if (!handler) throw new Error(`no handler for job ${job.name} of queue ${queue}`);
    return handler.handle(job.data, job);
  }

  private reportFailure(queue: QueueName, job: Job | undefined, err: Error): void {
    if (!job) return;
    const attempts = job.opts.attempts ?? 1;
    if (job.attemptsMade >= attempts) {
      this.logger.error(`${queue} job ${job.id} (${job.name}) failed ${job.attemptsMade} times and is now a dead letter: ${safeMessage(err)}`);
    } else {
      this.logger.warn(`${queue} job ${job.id} (${job.name}) failed (try ${job.attemptsMade} of ${attempts}), will retry: ${safeMessage(err)}`);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const schedules of this.schedules) schedules.stop();
    await Promise.all(this.workers.map((worker) => worker.close().finally(() => releaseBullConnection(worker.opts.connection))));
  }
}
