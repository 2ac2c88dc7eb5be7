import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { BullQueues } from '../common/queue/bull-queues';
import { throttledWarning } from '../common/queue/schedules';
import { APP_CONFIG, AppConfig } from '../config/config';
import { queueDeliveries } from './jobs/deliver-webhooks.job';
import { WebhookFanout } from './webhook-fanout';
import { WebhooksRepository } from './webhooks.repository';

/** Overdue deliveries queued again per round (more wait for the next round). */
const REQUEUE_LIMIT = 5000;

/**
 * Worker role: every WEBHOOK_RECONCILE_MS, puts the webhooks back in line with Postgres, the source of truth.
 * - The fan-out's safety net (WebhookFanout.sweep): outbox events whose domain-events job was lost get their
 *   deliveries.
 * - Deliveries due for longer than one round that nobody is attempting are queued again: their job was lost
 *   (Redis lost its data, or was away when they were made or retried), or their worker died holding them (its
 *   claim expired).
 *
 * A timer of the process, not a scheduled job in Redis: what it repairs is what a Redis that lost its data has
 * lost, its own schedule included. Several worker processes may run it at once: the sweep takes turns on the
 * cursor's row lock, and a delivery queued twice is still attempted once at a time (its claim).
 */
@Injectable()
export class WebhookReconciler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WebhookReconciler.name);
  private readonly warn = throttledWarning(this.logger, 'webhook reconciliation failed; retrying next round');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  /** Totals since start, for tests and logs. */
  readonly stats = { rounds: 0, fannedOut: 0, requeued: 0 };

  constructor(
    private readonly fanout: WebhookFanout,
    private readonly webhooks: WebhooksRepository,
    private readonly queues: BullQueues,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(Math.min(1000, this.config.webhookReconcileMs));
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.reconcile()
        .then(() => undefined, (err: Error) => this.warn(err))
        .finally(() => {
          this.running = undefined;
          this.schedule(this.config.webhookReconcileMs);
        });
    }, ms);
    this.timer.unref();
  }

  /** One round; answers what it did. */
  async reconcile(): Promise<{ fannedOut: number; requeued: number }> {
    const fannedOut = await this.fanout.sweep();
    // Counted before the requeue, which fails while Redis is away: the deliveries are made (in Postgres) all the same.
    this.stats.fannedOut += fannedOut;
    const overdue = await this.webhooks.overdue(this.config.webhookReconcileMs, REQUEUE_LIMIT);
    if (overdue.length) await queueDeliveries(this.queues, this.config, overdue);
    this.stats.rounds++;
    this.stats.requeued += overdue.length;
    if (fannedOut || overdue.length) this.logger.log(`webhooks reconciled: ${fannedOut} deliveries made from the outbox, ${overdue.length} overdue queued again`);
    return { fannedOut, requeued: overdue.length };
  }
}
