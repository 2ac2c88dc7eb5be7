import type { Type } from '@nestjs/common';
import type { Job, RepeatOptions } from 'bullmq';
import type { QueueName } from './queues';

/** The name a catch-all job class takes: it handles every job of its queue that no other class names. */
export const ANY_JOB = '*';

export interface JobDefinition {
  queue: QueueName;
  /** The BullMQ job name; ANY_JOB for the catch-all of a queue (domain events, named by their event type). */
  name: string;
  /** Run on this schedule (a job scheduler upserted by the worker role; its data is empty). */
  schedule?: Omit<RepeatOptions, 'key'>;
}

/**
 * One kind of job: what it does with its payload. Must be idempotent, since a job can run again (a retry after a
 * failure, a worker that died with the job in hand).
 */
export interface JobHandler<T> {
  handle(data: T, job: Job<T>): Promise<unknown>;
}

const JOB = Symbol('labor-brands:job');

/**
 * Declares a class (a provider of its domain's module) as the handler of one kind of job. The worker role's
 * QueueWorkers finds every such provider and runs it for the jobs of that name on that queue; producers add jobs
 * by class (`BullQueues.add(RecomputeBrandJob, { brandId })`), so a job name is never typed twice.
 */
export function QueueJob(definition: JobDefinition): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(JOB, definition, target);
  };
}

export function jobDefinition(kind: Type<unknown> | (abstract new (...args: never[]) => unknown)): JobDefinition {
  const definition = Reflect.getMetadata(JOB, kind) as JobDefinition | undefined;
  if (!definition) throw new Error(`${kind.name} is not a @QueueJob class`);
  return definition;
}

export function isJobClass(kind: unknown): kind is Type<JobHandler<unknown>> {
  return typeof kind === 'function' && Reflect.hasMetadata(JOB, kind);
}
