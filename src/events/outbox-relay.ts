import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { Client } from 'pg';
import { BullQueues } from '../common/queue/bull-queues';
import { QUEUES } from '../common/queue/queues';
import { APP_CONFIG, AppConfig } from '../config/config';
import { Transactions } from '../database/transactions';
import { EventHandlers, type DomainEventJob } from './event-handlers.service';
import { OutboxRepository, type OutboxRow } from './outbox.repository';
import { safeMessage } from '../common/logging/logger';

/** Longest wait for Redis to take a batch; past it the batch is rolled back and tried again. */
const ADD_TIMEOUT_MS = 10_000;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 2000;
const LISTEN_RETRY_MIN_MS = 250;
const LISTEN_RETRY_MAX_MS = 5000;

export function toDomainEventJob(row: OutboxRow): DomainEventJob {
  return {
    id: row.id,
    seq: String(row.seq),
    type: row.type,
    aggregateType: row.aggregateType,
    aggregateId: row.aggregateId,
    brandId: row.brandId,
    data: row.data,
    actorOrganizationId: row.actorOrganizationId,
    occurredAt: new Date(row.occurredAt).toISOString(),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}


/**
 * Worker role: moves committed outbox rows (`delivered_at IS NULL`) to the `domain-events` queue.
 *
 * A batch is claimed in one transaction with `SELECT … ORDER BY seq LIMIT n FOR UPDATE SKIP LOCKED`, so any
 * number of relays (one per worker process) share the backlog without waiting on each other; the rows are added
 * with `Queue.addBulk`, job id = event id, and marked `delivered_at = now()` before the commit.
 *
 * Delivery is at least once, never lost:
 * - Redis away (or slow): addBulk fails or times out, the transaction rolls back, the rows stay undelivered and
 *   the batch is retried with backoff (logged once per outage). The outbox is in Postgres, so the API keeps
 *   writing meanwhile.
 * - A crash (or a lost commit) after addBulk: the rows are relayed again. Adding a job whose id the queue still
 *   holds is a no-op, so that costs nothing. But completed jobs are trimmed (removeOnComplete), and once BullMQ
 *   has removed one, the same id can be added again and the event runs a second time. Hence every handler
 *   must be idempotent (re-processing an event changes nothing), which DESIGN.md requires anyway.
 * - Order: rows are claimed by `seq`, but several relays, and transactions that commit in another order than
 *   they inserted, mean jobs arrive in roughly, not strictly, `seq` order.
 *
 * Wake-ups: a dedicated Postgres connection (DATABASE_DIRECT_URL) LISTENs on `outbox_events` (writers NOTIFY after their transactions
 * commit, a few milliseconds apart at most), reconnected when it drops; a poll every OUTBOX_POLL_MS is the safety net. While batches
 * come back full the relay keeps draining without waiting.
 *
 * Delivered rows are kept: they are the placement event timelines (`GET /v1/placements/:id/events`).
 *
 * After a batch commits, EventHandlers.relayed tells the listeners registered with onRelayed (the webhook fan-out)
 * about it at once, in one call, before the queue's handlers run each event.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OutboxRelay.name);
  private queue?: Queue<DomainEventJob>;
  private loop?: Promise<void>;
  private stopping = false;
  /** A notification came while no wait was pending: the next wait returns at once. */
  private wakePending = false;
  private waiter?: { done: () => void; byNotify: boolean };
  private listener?: Client;
  private listenerTimer?: NodeJS.Timeout;
  private listenFailures = 0;
  private listenerDownSince: number | null = null;
  private outageSince: number | null = null;
  /** Totals since start, for tests and logs. */
  readonly stats = { delivered: 0, batches: 0 };

  constructor(
    private readonly transactions: Transactions,
    private readonly outbox: OutboxRepository,
    private readonly queues: BullQueues,
    private readonly handlers: EventHandlers,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.queue = this.queues.get<DomainEventJob>(QUEUES.domainEvents);
    // Redis back after an outage: retry at once rather than at the end of the backoff.
    void this.queue.client.then(
      (client) => client.on('ready', () => this.waiter?.done()),
      () => undefined,
    );
    void this.connectListener();
    this.loop = this.run();
  }

  /** Runs before any worker closes (onModuleDestroy precedes beforeApplicationShutdown): stop claiming first. */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.listenerTimer);
    this.waiter?.done();
    await this.loop;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let claimed: number;
      try {
        claimed = await this.relayBatch();
      } catch (err) {
        if (this.stopping) break;
        failures++;
        if (this.outageSince === null) {
          this.outageSince = Date.now();
          this.logger.warn(`outbox relay paused: ${safeMessage(err)}; events stay in the outbox and are retried`);
        }
        await this.wait(Math.min(RETRY_MIN_MS * 2 ** (failures - 1), RETRY_MAX_MS), false);
        continue;
      }
      if (this.outageSince !== null) {
        this.logger.log(`outbox relay resumed after ${((Date.now() - this.outageSince) / 1000).toFixed(1)} s`);
        this.outageSince = null;
      }
      failures = 0;
      if (claimed < this.config.outboxBatchSize) await this.wait(this.config.outboxPollMs, true);
    }
  }

  /** Claims, enqueues and marks one batch; returns how many rows it claimed. */
  async relayBatch(): Promise<number> {
    const queue = this.queue;
    if (!queue) throw new Error('relay not started');
    // Fail before touching Postgres while Redis is away: no transaction held open, no rows locked in vain.
    const client = await withTimeout(queue.client, ADD_TIMEOUT_MS, 'connecting to Redis');
    if ((client as unknown as { status?: string }).status !== 'ready') throw new Error('Redis is not connected');
    // Everything committed before this batch's snapshot is seen by it; a notification from now on means more.
    this.wakePending = false;
    const relayed = await this.transactions.run(async (m) => {
      const rows = await this.outbox.claimUndelivered(m, this.config.outboxBatchSize);
      if (rows.length === 0) return [];
      const jobs = rows.map((row) => {
        const data = toDomainEventJob(row);
        return { name: data.type, data, opts: { jobId: data.id, attempts: this.config.eventJobAttempts } };
      });
      // Throws (and so rolls back) when Redis refuses or does not answer in time.
      await withTimeout(queue.addBulk(jobs), ADD_TIMEOUT_MS, 'adding jobs to Redis');
      await this.outbox.markDelivered(m, rows.map((r) => r.id));
      this.stats.delivered += rows.length;
      this.stats.batches++;
      return jobs.map((j) => j.data);
    });
    if (relayed.length) this.handlers.relayed(relayed);
    return relayed.length;
  }

  /** Resolves after `ms`, on stop, and, when `byNotify`, on an outbox notification (also one already pending). */
  private wait(ms: number, byNotify: boolean): Promise<void> {
    if (this.stopping) return Promise.resolve();
    if (byNotify && this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.waiter?.done === done) this.waiter = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiter = { done, byNotify };
    });
  }

  private notified(): void {
    if (this.waiter?.byNotify) this.waiter.done();
    else this.wakePending = true;
  }

  private async connectListener(): Promise<void> {
    if (this.stopping) return;
    // LISTEN is session state: on Postgres itself, never through PgBouncer in transaction mode.
    const client = this.outbox.listener(this.config.databaseDirectUrl);
    let lost = false;
    const onLost = (err?: Error): void => {
      if (lost) return;
      lost = true;
      if (this.listener === client) this.listener = undefined;
      client.end().catch(() => undefined);
      if (this.stopping) return;
      if (this.listenerDownSince === null) {
        this.listenerDownSince = Date.now();
        this.logger.warn(`outbox LISTEN connection lost${err ? ` (${safeMessage(err)})` : ''}; polling every ${this.config.outboxPollMs} ms until it is back`);
      }
      this.listenFailures++;
      const delay = Math.min(LISTEN_RETRY_MIN_MS * 2 ** (this.listenFailures - 1), LISTEN_RETRY_MAX_MS);
      this.listenerTimer = setTimeout(() => void this.connectListener(), delay);
    };
    client.on('notification', () => this.notified());
    client.on('error', (err) => onLost(err));
    client.on('end', () => onLost());
    try {
      await this.outbox.listen(client);
    } catch (err) {
      onLost(err as Error);
      return;
    }
    if (lost) return;
    if (this.stopping) {
      lost = true;
      await client.end().catch(() => undefined);
      return;
    }
    this.listener = client;
    this.listenFailures = 0;
    if (this.listenerDownSince !== null) {
      this.logger.log(`outbox LISTEN connection back after ${((Date.now() - this.listenerDownSince) / 1000).toFixed(1)} s`);
      this.listenerDownSince = null;
    }
    // Rows committed while nobody listened were never announced: look now.
    this.notified();
  }
}
