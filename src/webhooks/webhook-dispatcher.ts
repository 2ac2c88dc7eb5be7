import { Inject, Injectable } from '@nestjs/common';
import { PiiCipher } from '../common/crypto/pii-cipher';
import { PII_CIPHER } from '../common/crypto/pii.provider';
import { APP_CONFIG, AppConfig } from '../config/config';
import { Outbox, type StoredEvent } from '../events/outbox.service';
import { WebhookSender, type SendResult } from './webhook-sender';
import { afterAttempt, deliveryLeaseMs, eventFacts, outcomeOf, secretKey, signatureHeader, webhookPayload, type AttemptOutcome, type RetrySchedule } from './webhook.rules';
import { WebhookMetrics } from './webhooks.metrics';
import { WebhooksRepository, type ClaimedDelivery, type RecordedAttempt } from './webhooks.repository';

/** AES-GCM associated data of stored webhook secrets: their ciphertexts cannot pass for any other field's. */
export const WEBHOOK_SECRET_CONTEXT = 'webhook_secret';

const KEY_CACHE_LIMIT = 1000;

/** Deliveries of one subscription to attempt again together, after `delayMs`. */
export interface Retry {
  ids: string[];
  subscriptionId: string;
  delayMs: number;
}

/**
 * Attempts deliveries: claims the due ones among the ids it is given (each for one attempt at a time, across
 * every worker), builds each body from its outbox event (or the body it carries: the test ping), signs it with
 * the subscription's secret — and, for 24 h after a rotation, the previous one too — and POSTs it; then writes
 * every result in one statement, what they say about their subscriptions (410, days of failures) in another,
 * and answers the retries to schedule. `webhook-id` is the delivery's id, the same on every attempt.
 */
@Injectable()
export class WebhookDispatcher {
  private readonly keys = new Map<string, Buffer>();
  private readonly schedule: RetrySchedule;

  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly outbox: Outbox,
    private readonly sender: WebhookSender,
    private readonly metrics: WebhookMetrics,
    @Inject(PII_CIPHER) private readonly cipher: PiiCipher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.schedule = { baseMs: config.webhookRetryBaseMs, maxDelayMs: config.webhookRetryMaxDelayMs, retryForMs: config.webhookRetryForMs };
  }

  /** Attempts the due ones among `ids`, each claimed for this attempt. */
  async deliver(ids: string[]): Promise<{ attempted: number; retries: Retry[] }> {
    const leaseMs = deliveryLeaseMs(this.config.webhookTimeoutMs);
    const claimed = await this.webhooks.claim(ids, leaseMs);
    if (!claimed.length) return { attempted: 0, retries: [] };
    // The claim is renewed while the attempts last, so no other worker takes them over while this one is alive.
    const renewal = setInterval(() => {
      this.webhooks.renewClaim(claimed.map((d) => d.id), leaseMs).catch(() => undefined);
    }, leaseMs / 2);
    let sent: Array<Awaited<ReturnType<WebhookDispatcher['attempt']>>>;
    try {
      const events = new Map((await this.outbox.byIds(claimed.filter((d) => !d.payload).map((d) => d.eventId))).map((e) => [e.id, e]));
      sent = await Promise.all(claimed.map((d) => this.attempt(d, events.get(d.eventId))));
    } finally {
      clearInterval(renewal);
    }

    // One jitter per subscription and one clock for the batch: a subscription's failed deliveries of this batch
    // that have had as many attempts come due together, and are retried by one job.
    const now = new Date();
    const jitter = new Map<string, number>();
    const random = (subscriptionId: string) => (): number => {
      if (!jitter.has(subscriptionId)) jitter.set(subscriptionId, Math.random());
      return jitter.get(subscriptionId)!;
    };
    const attempts: RecordedAttempt[] = claimed.map((d, i) => {
      const { result, attemptedAt, sendable } = sent[i];
      const outcome: AttemptOutcome = sendable ? outcomeOf(result.responseStatus) : 'gone';
      const next = afterAttempt(outcome, d.attempts + 1, new Date(d.expiresAt), now, this.schedule, random(d.subscriptionId));
      this.metrics.observe(result.durationMs, outcome === 'success' ? null : result.refused ? 'refused' : result.responseStatus === null ? 'network' : 'status');
      return {
        id: d.id,
        subscriptionId: d.subscriptionId,
        status: next.status,
        // An event no longer in the outbox fails its delivery, but says nothing about the receiver.
        outcome: sendable ? outcome : 'failure',
        attemptedAt,
        nextAttemptAt: next.nextAttemptAt,
        responseStatus: result.responseStatus,
        durationMs: result.durationMs,
        error: result.error,
      };
    });

    await this.webhooks.recordAttempts(attempts);
    // Only a failure, or the first success after failures, changes what a subscription's health says.
    const healthNews = attempts.some((a) => a.outcome !== 'success') || claimed.some((d) => d.failingSince !== null);
    const disabled = healthNews ? await this.webhooks.recordSubscriptionHealth(attempts, this.config.webhookDisableAfterMs) : [];
    await this.webhooks.pauseDeliveries(
      undefined,
      disabled.map((d) => d.id),
    );
    const paused = new Set(disabled.map((d) => d.id));
    const retries = new Map<string, Retry>();
    for (const a of attempts) {
      if (a.status !== 'retrying' || !a.nextAttemptAt || paused.has(a.subscriptionId)) continue;
      const key = `${a.subscriptionId}@${a.nextAttemptAt.getTime()}`;
      const retry = retries.get(key) ?? { ids: [], subscriptionId: a.subscriptionId, delayMs: Math.max(0, a.nextAttemptAt.getTime() - Date.now()) };
      retry.ids.push(a.id);
      retries.set(key, retry);
    }
    return { attempted: attempts.length, retries: [...retries.values()] };
  }

  private async attempt(delivery: ClaimedDelivery, event: StoredEvent | undefined): Promise<{ result: SendResult; attemptedAt: Date; sendable: boolean }> {
    const attemptedAt = new Date();
    const payload = delivery.payload ?? (event ? webhookPayload(eventFacts(event)) : null);
    if (!payload) {
      // The event left the outbox (archived): nothing can be sent any more.
      return { result: { responseStatus: null, durationMs: 0, error: 'the event is no longer in the outbox', refused: false }, attemptedAt, sendable: false };
    }
    const body = JSON.stringify(payload);
    const timestamp = Math.floor(attemptedAt.getTime() / 1000);
    const headers = {
      'webhook-id': delivery.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(delivery.id, timestamp, body, this.signingKeys(delivery, attemptedAt)),
    };
    return { result: await this.sender.send(delivery.url, headers, body), attemptedAt, sendable: true };
  }

  /** The current secret's key, then the previous one's while it still signs (24 h after a rotation). */
  private signingKeys(d: ClaimedDelivery, now: Date): Buffer[] {
    const keys = [this.key(d.secretCipher)];
    if (d.previousSecretCipher && d.previousSecretExpiresAt && new Date(d.previousSecretExpiresAt).getTime() > now.getTime()) keys.push(this.key(d.previousSecretCipher));
    return keys;
  }

  private key(cipher: Buffer): Buffer {
    const id = cipher.toString('base64');
    let key = this.keys.get(id);
    if (!key) {
      if (this.keys.size >= KEY_CACHE_LIMIT) this.keys.clear();
      key = secretKey(this.cipher.decrypt(cipher, WEBHOOK_SECRET_CONTEXT));
      this.keys.set(id, key);
    }
    return key;
  }
}
