import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { BrandsService } from '../brands/brands.service';
import { BullQueues } from '../common/queue/bull-queues';
import { throttledWarning } from '../common/queue/schedules';
import { APP_CONFIG, AppConfig } from '../config/config';
import type { Db } from '../database/repository';
import { Transactions } from '../database/transactions';
import { EventHandlers } from '../events/event-handlers.service';
import { Outbox } from '../events/outbox.service';
import { Policy } from '../policy/policy';
import { queueDeliveries, type QueuedDelivery } from './jobs/deliver-webhooks.job';
import { eventFacts, subscribedTo, type EventFacts } from './webhook.rules';
import { WebhooksRepository, type NewDelivery } from './webhooks.repository';

/** Deliveries just made, to queue. */
export type Made = QueuedDelivery[];

/** Events gathered for this long (or this many) go out in one fan-out. */
const GATHER_MS = 10;
const GATHER_MAX = 500;
/** Outbox events read per transaction by the safety net. */
const SWEEP_BATCH = 1000;

/**
 * Makes the delivery rows of domain events: one per (event, subscription) for every active subscription that
 * names the event's type, was active when the event occurred (since it was made or last enabled), and whose
 * organization may read the event (Policy.seesEvent). Rows are unique per event and subscription, so making them
 * twice makes them once.
 *
 * Two paths lead here, both ending in the same rows:
 * - at once: each batch the outbox relay moves to the domain-events queue is handed here right after its commit
 *   (EventHandlers.onRelayed), gathered for a few milliseconds and fanned out together, without waiting for the
 *   domain-events jobs; then the delivery jobs are queued;
 * - the safety net (WebhookReconciler, in every worker process, one at a time): a cursor over the outbox in
 *   (xid, seq) order that never passes a transaction still running, so an event whose domain-events job was lost
 *   with Redis's data still gets its deliveries. It advances in the same transaction that writes them.
 */
@Injectable()
export class WebhookFanout implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(WebhookFanout.name);
  private readonly warn = throttledWarning(this.logger, 'queueing webhook deliveries failed (the reconciler queues them later)');
  private readonly warnFanOut = throttledWarning(this.logger, 'making webhook deliveries failed (the reconciler makes them from the outbox)');
  private gathered: EventFacts[] = [];
  private readonly flushing = new Set<Promise<void>>();
  private gatherTimer?: NodeJS.Timeout;

  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly brands: BrandsService,
    private readonly outbox: Outbox,
    private readonly handlers: EventHandlers,
    private readonly queues: BullQueues,
    private readonly transactions: Transactions,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.handlers.onRelayed((events) => this.gather(events.map(eventFacts)));
  }

  /**
   * Takes the events the outbox relay just moved into the next fan-out, and returns at once. An event this process
   * never fans out (it died, Postgres refused) is fanned out by the reconciler's sweep of the outbox.
   */
  private gather(events: EventFacts[]): void {
    this.gathered.push(...events);
    if (this.gathered.length >= GATHER_MAX) this.flush();
    else this.gatherTimer ??= setTimeout(() => this.flush(), GATHER_MS);
  }

  private flush(): void {
    clearTimeout(this.gatherTimer);
    this.gatherTimer = undefined;
    const events = this.gathered;
    this.gathered = [];
    if (!events.length) return;
    const flushing = this.fanOut(events).then(
      (made) => this.enqueue(made),
      (err: Error) => this.warnFanOut(err),
    );
    this.flushing.add(flushing);
    void flushing.finally(() => this.flushing.delete(flushing));
  }

  /** Shutting down: what was gathered goes out before the database pool closes. */
  async onModuleDestroy(): Promise<void> {
    this.flush();
    await Promise.all([...this.flushing]);
  }

  /** The delivery rows of these events (in `m`'s transaction when given); answers the new ones. */
  async fanOut(events: EventFacts[], m?: Db): Promise<Made> {
    if (!events.length) return [];
    const subscribers = await this.webhooks.activeSubscribers(m);
    if (!subscribers.length) return [];
    const brands = await this.brands.partiesOf(events.flatMap((e) => (e.brandId ? [e.brandId] : [])));
    const deliveries: NewDelivery[] = [];
    for (const event of events) {
      const occurredAt = Date.parse(event.occurredAt);
      const brand = event.brandId ? (brands.get(event.brandId) ?? null) : null;
      for (const s of subscribers) {
        if (occurredAt < s.activeSince.getTime() || !subscribedTo(s.eventTypes, event.type) || !Policy.seesEvent(s, event, brand)) continue;
        deliveries.push({ eventId: event.id, eventSeq: event.seq, subscriptionId: s.id, eventType: event.type, brandId: event.brandId });
      }
    }
    const made = await this.webhooks.insertDeliveries(m, deliveries, this.config.webhookRetryForMs);
    const healthy = new Set(subscribers.filter((s) => s.failingSince === null).map((s) => s.id));
    return made.map((d) => ({ ...d, shared: healthy.has(d.subscriptionId) }));
  }

  /** Queues delivery jobs for new rows. A failure (Redis away) is only logged: the reconciler queues them later. */
  async enqueue(made: Made): Promise<void> {
    if (!made.length) return;
    try {
      await queueDeliveries(this.queues, this.config, made);
    } catch (err) {
      this.warn(err as Error);
    }
  }

  /** The safety net: fans out every settled outbox event after the cursor; answers how many deliveries it made. */
  async sweep(): Promise<number> {
    let made = 0;
    for (;;) {
      const { made: ids, more } = await this.transactions.run(async (m) => {
        const cursor = await this.webhooks.lockCursor(m);
        if (!cursor) return { made: [], more: false };
        const scan = await this.outbox.settledAfter(m, cursor, SWEEP_BATCH);
        const made = await this.fanOut(scan.rows.map(eventFacts), m);
        if (scan.next.xid !== cursor.xid || scan.next.seq !== cursor.seq) await this.webhooks.saveCursor(m, scan.next);
        return { made, more: scan.rows.length === SWEEP_BATCH };
      });
      made += ids.length;
      await this.enqueue(ids);
      if (!more) return made;
    }
  }
}
