import { Inject, Injectable } from '@nestjs/common';
import { BullQueues } from '../../common/queue/bull-queues';
import { JobHandler, QueueJob } from '../../common/queue/job';
import { QUEUES } from '../../common/queue/queues';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { WebhookDispatcher } from '../webhook-dispatcher';

export interface DeliverWebhooksData {
  /** Delivery rows to attempt, those of them that are still due (the rest are skipped). */
  ids: string[];
}

/**
 * Attempts a batch of deliveries (WebhookDispatcher.deliver) and queues, delayed, the retries of those that
 * failed. Delivery rows are the truth: a job lost, run twice or run late changes nothing but timing, since each
 * row is claimed for one attempt at a time and only while it is due.
 */
@QueueJob({ queue: QUEUES.webhooks, name: 'deliver' })
@Injectable()
export class DeliverWebhooksJob implements JobHandler<DeliverWebhooksData> {
  constructor(
    private readonly dispatcher: WebhookDispatcher,
    private readonly queues: BullQueues,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async handle({ ids }: DeliverWebhooksData): Promise<{ attempted: number; retrying: number }> {
    const { attempted, retries } = await this.dispatcher.deliver(ids);
    // A retry that cannot be queued now (Redis away) is found by the reconciler once due.
    await Promise.all(
      retries.map((r) =>
        queueDeliveries(
          this.queues,
          this.config,
          r.ids.map((id) => ({ id, subscriptionId: r.subscriptionId })),
          r.delayMs,
        ).catch(() => undefined),
      ),
    );
    return { attempted, retrying: retries.reduce((n, r) => n + r.ids.length, 0) };
  }
}

/** Rows to queue; `shared` ones (of subscriptions whose attempts succeed) may share a job with others'. */
export interface QueuedDelivery {
  id: string;
  subscriptionId: string;
  shared?: boolean;
}

/**
 * Queues delivery jobs for these rows, due after `delayMs`, WEBHOOK_BATCH_SIZE per job: the rows of subscriptions
 * whose attempts succeed together (fewer jobs), every other subscription's apart, so that a receiver that fails
 * or times out holds up only jobs of its own.
 */
export async function queueDeliveries(queues: BullQueues, config: AppConfig, deliveries: QueuedDelivery[], delayMs = 0): Promise<void> {
  if (!deliveries.length) return;
  const groups = new Map<string, string[]>();
  for (const d of deliveries) {
    const key = d.shared ? '' : d.subscriptionId;
    const ids = groups.get(key) ?? [];
    ids.push(d.id);
    groups.set(key, ids);
  }
  const jobs: Array<{ data: DeliverWebhooksData; options?: { delay: number } }> = [];
  for (const ids of groups.values()) {
    for (let i = 0; i < ids.length; i += config.webhookBatchSize) {
      jobs.push({ data: { ids: ids.slice(i, i + config.webhookBatchSize) }, options: delayMs > 0 ? { delay: delayMs } : undefined });
    }
  }
  await queues.addBulk(DeliverWebhooksJob, jobs);
}
