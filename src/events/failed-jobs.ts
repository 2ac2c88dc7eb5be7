import { Injectable } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import type Redis from 'ioredis';
import { AuditLog } from '../audit/audit.service';
import type { Actor } from '../common/auth/actor';
import { decodeCursor, encodeCursor, invalidCursor, pageLimit } from '../common/pagination/pagination';
import { notFound, ProblemError } from '../common/problems/problem';
import { BullQueues } from '../common/queue/bull-queues';
import { isQueueName, QUEUES } from '../common/queue/queues';
import { FailedJobsQuery, QueueJobPage, QueueJobView } from './dto/queue-job.dto';
import type { DomainEventJob } from './event-handlers.service';
import { msg } from '../common/i18n/message';

const JOB_ID = /^[A-Za-z0-9:._-]{1,200}$/;

const iso = (ms: number | undefined | null): string | null => (ms ? new Date(ms).toISOString() : null);

function present(queue: string, job: Job, state: string): QueueJobView {
  return {
    id: String(job.id),
    queue,
    name: job.name,
    state,
    failedReason: job.failedReason || null,
    attemptsMade: job.attemptsMade,
    attempts: job.opts.attempts ?? 1,
    timestamp: new Date(job.timestamp).toISOString(),
    finishedAt: iso(job.finishedOn),
    data: (job.data ?? {}) as Record<string, unknown>,
  };
}

/** The dead letters: jobs out of tries, kept in each queue's failed set for 7 days. */
@Injectable()
export class FailedJobs {
  constructor(
    private readonly queues: BullQueues,
    private readonly audit: AuditLog,
  ) {}

  /**
   * Newest failure first, keyset-paginated on (failure time, job id): the failed set is a sorted set scored by
   * the time of failure, and members of equal score come in reverse lexical order, so a page continues strictly
   * after the last (score, id) it showed.
   */
  async list(query: FailedJobsQuery): Promise<QueueJobPage> {
    const name = query.queue ?? QUEUES.domainEvents;
    const queue = this.queues.get(name);
    const limit = pageLimit(query);
    const redis = (await queue.client) as unknown as Redis;
    const key = queue.keys.failed;

    let max = '+inf';
    let skip = 0;
    const cursor = decodeCursor(query.cursor, 2);
    if (cursor) {
      const [score, id] = cursor;
      if (typeof score !== 'number' || !Number.isSafeInteger(score) || score < 0 || typeof id !== 'string' || !JOB_ID.test(id)) throw invalidCursor();
      max = String(score);
      const ties = await redis.zrangebyscore(key, score, score);
      skip = ties.filter((member) => member >= id).length;
    }
    const flat = await redis.zrevrangebyscore(key, max, '-inf', 'WITHSCORES', 'LIMIT', skip, limit + 1);
    const entries: Array<{ id: string; score: number }> = [];
    for (let i = 0; i < flat.length; i += 2) entries.push({ id: flat[i], score: Number(flat[i + 1]) });

    const more = entries.length > limit;
    const page = more ? entries.slice(0, limit) : entries;
    const jobs = await Promise.all(page.map((e) => queue.getJob(e.id)));
    const items: QueueJobView[] = [];
    jobs.forEach((job) => {
      // A job retried or removed between the two reads is simply no longer a dead letter.
      if (job) items.push(present(name, job, 'failed'));
    });
    const last = page[page.length - 1];
    return { items, nextCursor: more && last ? encodeCursor([last.score, last.id]) : null };
  }

  /** Puts a failed job back in the queue with its tries reset; 404 for an unknown queue or job, 409 when not failed. */
  async retry(actor: Actor, queueName: string, jobId: string): Promise<QueueJobView> {
    if (!isQueueName(queueName)) throw notFound(msg('object.queue'));
    if (!JOB_ID.test(jobId)) throw notFound(msg('object.job'));
    const queue: Queue = this.queues.get(queueName);
    const job = await queue.getJob(jobId);
    if (!job) throw notFound(msg('object.job'));
    const state = await job.getState();
    if (state !== 'failed') throw new ProblemError('INVALID_TRANSITION', msg('job.notFailed', { state }));
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    const brandId = queueName === QUEUES.domainEvents ? ((job.data as Partial<DomainEventJob>).brandId ?? null) : null;
    await this.audit.recordNow(actor, { action: 'retry_job', objectType: 'queue_job', objectId: `${queueName}/${jobId}`, brandId, details: { queue: queueName, jobId, name: job.name } });
    const after = (await queue.getJob(jobId)) ?? job;
    return present(queueName, after, await after.getState());
  }
}
