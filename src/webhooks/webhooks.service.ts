import { msg } from '../common/i18n/message';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditLog } from '../audit/audit.service';
import type { Actor } from '../common/auth/actor';
import { PiiCipher } from '../common/crypto/pii-cipher';
import { PII_CIPHER } from '../common/crypto/pii.provider';
import { requireVersion } from '../common/http/if-match';
import { newestFirst, newestFirstPageOf, Page } from '../common/pagination/pagination';
import { notFound, ProblemError } from '../common/problems/problem';
import { BullQueues } from '../common/queue/bull-queues';
import { APP_CONFIG, AppConfig } from '../config/config';
import type { Db } from '../database/repository';
import { Transactions } from '../database/transactions';
import { Policy } from '../policy/policy';
import type { CreateWebhookDto, ListDeliveriesQuery, ListWebhooksQuery, UpdateWebhookDto, WebhookDeliveryView, WebhookView, WebhookWithSecretView } from './dto/webhook.dto';
import { queueDeliveries } from './jobs/deliver-webhooks.job';
import { WEBHOOK_SECRET_CONTEXT } from './webhook-dispatcher';
import { WebhookSender } from './webhook-sender';
import { WebhookDelivery, WebhookSubscription } from './webhook.entity';
import { checkWebhookUrl, newSecret, normalizeEventTypes, PREVIOUS_SECRET_VALID_MS, TEST_EVENT_TYPE, webhookPayload } from './webhook.rules';
import { WebhooksRepository } from './webhooks.repository';

const SUBSCRIPTION = 'webhook_subscription';
const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

export function presentWebhook(s: WebhookSubscription): WebhookView {
  return {
    id: s.id,
    organizationId: s.organizationId,
    url: s.url,
    eventTypes: s.eventTypes,
    description: s.description,
    status: s.status,
    disabledReason: s.disabledReason,
    previousSecretExpiresAt: s.previousSecretCipher && s.previousSecretExpiresAt && s.previousSecretExpiresAt.getTime() > Date.now() ? s.previousSecretExpiresAt.toISOString() : null,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
    version: s.version,
  };
}

export function presentDelivery(d: WebhookDelivery): WebhookDeliveryView {
  return {
    id: d.id,
    subscriptionId: d.subscriptionId,
    eventId: d.eventId,
    eventType: d.eventType,
    status: d.status,
    attempts: d.attempts,
    lastAttemptAt: iso(d.lastAttemptAt),
    nextAttemptAt: iso(d.nextAttemptAt),
    responseStatus: d.responseStatus,
    durationMs: d.durationMs,
    error: d.error,
    createdAt: d.createdAt.toISOString(),
  };
}

/**
 * Webhook subscriptions (API.md, Integrations): an organization makes, edits and deletes its own; the platform
 * also reads everyone's. A subscription another organization owns is 404 to anyone but the platform, and 403 to
 * the platform when it would change it or read its delivery log.
 */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly transactions: Transactions,
    private readonly webhooks: WebhooksRepository,
    private readonly sender: WebhookSender,
    private readonly audit: AuditLog,
    private readonly queues: BullQueues,
    @Inject(PII_CIPHER) private readonly cipher: PiiCipher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async create(actor: Actor, dto: CreateWebhookDto): Promise<WebhookWithSecretView> {
    const url = await this.allowedUrl(dto.url);
    const secret = newSecret();
    return this.transactions.run(async (m) => {
      const subscription = await this.webhooks.insertSubscription(m, {
        organizationId: actor.organizationId,
        url,
        eventTypes: normalizeEventTypes(dto.eventTypes),
        description: dto.description ?? null,
        status: 'active',
        secretCipher: this.cipher.encrypt(secret, WEBHOOK_SECRET_CONTEXT),
      });
      await this.audit.record(m, actor, { action: 'webhook.create', objectType: SUBSCRIPTION, objectId: subscription.id, details: { eventTypes: subscription.eventTypes } });
      return { ...presentWebhook(subscription), secret };
    });
  }

  async list(actor: Actor, query: ListWebhooksQuery): Promise<Page<WebhookView>> {
    if (query.organizationId && !Policy.isPlatform(actor) && query.organizationId !== actor.organizationId) {
      throw new ProblemError('FORBIDDEN', msg('webhook.onlyPlatformLists'));
    }
    const page = newestFirst(query);
    const owner = Policy.isPlatform(actor) ? (query.organizationId ?? null) : actor.organizationId;
    const rows = await this.webhooks.listSubscriptions(owner, page.after, page.fetch);
    return newestFirstPageOf(rows, page, (s) => s.createdAt, presentWebhook);
  }

  async get(actor: Actor, id: string): Promise<WebhookView> {
    return presentWebhook(await this.visible(actor, id));
  }

  async update(actor: Actor, id: string, dto: UpdateWebhookDto, ifMatch: number | undefined): Promise<WebhookView> {
    const fields = Object.keys(dto).filter((k) => (dto as Record<string, unknown>)[k] !== undefined);
    if (fields.length === 0) throw new ProblemError('VALIDATION_FAILED', msg('body.emptyUpdate'), [{ field: '(body)', code: 'EMPTY_UPDATE', message: msg('field.noFieldToChange') }]);
    const url = dto.url !== undefined ? await this.allowedUrl(dto.url) : undefined;
    let resumed: Array<{ id: string; subscriptionId: string }> = [];
    let enabledAgain = false;
    const view = await this.transactions.run(async (m) => {
      const s = await this.owned(actor, id, m, true);
      requireVersion(s.version, ifMatch, msg('object.webhook'));
      if (url !== undefined) s.url = url;
      if (dto.eventTypes !== undefined) s.eventTypes = normalizeEventTypes(dto.eventTypes);
      if (dto.description !== undefined) s.description = dto.description;
      if (dto.status !== undefined && dto.status !== s.status) {
        s.status = dto.status;
        s.disabledReason = dto.status === 'disabled' ? 'manual' : null;
        s.failingSince = null;
        if (dto.status === 'active') {
          enabledAgain = true;
          resumed = await this.webhooks.resumeDeliveries(m, s.id);
        } else {
          await this.webhooks.pauseDeliveries(m, [s.id]);
        }
      }
      s.version += 1;
      s.updatedAt = new Date();
      await this.webhooks.saveSubscription(m, id, {
        url: s.url,
        eventTypes: s.eventTypes,
        description: s.description,
        status: s.status,
        disabledReason: s.disabledReason,
        // Enabled again: it receives the events that occur from now on, not those that occurred while disabled.
        ...(enabledAgain ? { activeSince: () => 'now()' } : {}),
        failingSince: s.failingSince,
        version: s.version,
        updatedAt: s.updatedAt,
      });
      await this.audit.record(m, actor, { action: 'webhook.update', objectType: SUBSCRIPTION, objectId: id, details: { fields, status: s.status } });
      return presentWebhook(s);
    });
    await this.queue(resumed);
    return view;
  }

  async remove(actor: Actor, id: string): Promise<void> {
    await this.transactions.run(async (m) => {
      await this.owned(actor, id, m, true);
      await this.webhooks.deleteSubscription(m, id);
      await this.audit.record(m, actor, { action: 'webhook.delete', objectType: SUBSCRIPTION, objectId: id });
    });
  }

  /** A new secret; the previous one keeps signing (a second signature) for 24 h. */
  async rotateSecret(actor: Actor, id: string): Promise<WebhookWithSecretView> {
    const secret = newSecret();
    return this.transactions.run(async (m) => {
      const s = await this.owned(actor, id, m, true);
      s.previousSecretCipher = s.secretCipher;
      s.previousSecretExpiresAt = new Date(Date.now() + PREVIOUS_SECRET_VALID_MS);
      s.secretCipher = this.cipher.encrypt(secret, WEBHOOK_SECRET_CONTEXT);
      s.version += 1;
      s.updatedAt = new Date();
      await this.webhooks.saveSubscription(m, id, {
        secretCipher: s.secretCipher,
        previousSecretCipher: s.previousSecretCipher,
        previousSecretExpiresAt: s.previousSecretExpiresAt,
        version: s.version,
        updatedAt: s.updatedAt,
      });
      await this.audit.record(m, actor, { action: 'webhook.rotate_secret', objectType: SUBSCRIPTION, objectId: id });
      return { ...presentWebhook(s), secret };
    });
  }

  /** A `webhook.test` delivery to this subscription, made and queued now. */
  async test(actor: Actor, id: string): Promise<WebhookDeliveryView> {
    const delivery = await this.transactions.run(async (m) => {
      const s = await this.owned(actor, id, m);
      this.requireActive(s);
      const eventId = randomUUID();
      const payload = webhookPayload({
        id: eventId,
        type: TEST_EVENT_TYPE,
        aggregateType: SUBSCRIPTION,
        aggregateId: s.id,
        brandId: null,
        data: { subscriptionId: s.id, message: 'This is a test delivery from the labor-brands registry.' },
        occurredAt: new Date().toISOString(),
      });
      const made = await this.webhooks.insertDeliveryWithPayload(m, { eventId, eventSeq: null, subscriptionId: s.id, eventType: TEST_EVENT_TYPE, brandId: null, payload: payload as unknown as Record<string, unknown> }, this.config.webhookRetryForMs);
      await this.audit.record(m, actor, { action: 'webhook.test', objectType: SUBSCRIPTION, objectId: id, details: { deliveryId: made.id } });
      return made;
    });
    await this.queue([{ id: delivery.id, subscriptionId: delivery.subscriptionId }]);
    return presentDelivery(delivery);
  }

  async deliveries(actor: Actor, id: string, query: ListDeliveriesQuery): Promise<Page<WebhookDeliveryView>> {
    await this.owned(actor, id);
    const page = newestFirst(query);
    const rows = await this.webhooks.listDeliveries(id, query.status, page.after, page.fetch);
    return newestFirstPageOf(rows, page, (d) => d.createdAt, presentDelivery);
  }

  /** Sends a delivery again now, whatever its status (receivers deduplicate by `webhook-id`). */
  async retryDelivery(actor: Actor, id: string, deliveryId: string): Promise<WebhookDeliveryView> {
    const delivery = await this.transactions.run(async (m) => {
      const s = await this.owned(actor, id, m);
      if (!(await this.webhooks.findDelivery(id, deliveryId, m))) throw notFound(msg('object.delivery'));
      this.requireActive(s);
      const due = await this.webhooks.retryNow(m, id, deliveryId);
      if (!due) throw new ProblemError('INVALID_TRANSITION', msg('webhook.deliveryInProgress'));
      await this.audit.record(m, actor, { action: 'webhook.retry_delivery', objectType: SUBSCRIPTION, objectId: id, details: { deliveryId } });
      return due;
    });
    await this.queue([{ id: delivery.id, subscriptionId: delivery.subscriptionId }]);
    return presentDelivery(delivery);
  }

  /** Queued now; a failure (Redis away) leaves them to the reconciler. */
  private async queue(deliveries: Array<{ id: string; subscriptionId: string }>): Promise<void> {
    await queueDeliveries(this.queues, this.config, deliveries).catch(() => undefined);
  }

  private requireActive(s: WebhookSubscription): void {
    if (s.status !== 'active') throw new ProblemError('INVALID_TRANSITION', msg('webhook.disabled'));
  }

  /** Its organization's or, for the platform, anyone's; 404 otherwise. */
  private async visible(actor: Actor, id: string, m?: Db, lock = false): Promise<WebhookSubscription> {
    const s = await this.webhooks.findSubscription(id, m, lock);
    if (!s || !Policy.actsFor(actor, s.organizationId)) throw notFound(msg('object.webhook'));
    return s;
  }

  /** For changes and the delivery log: its organization only (the platform may look, not act: 403). */
  private async owned(actor: Actor, id: string, m?: Db, lock = false): Promise<WebhookSubscription> {
    const s = await this.visible(actor, id, m, lock);
    if (s.organizationId !== actor.organizationId) throw new ProblemError('FORBIDDEN', msg('webhook.ownOrganizationOnly'));
    return s;
  }

  /**
   * The URL rules (checkWebhookUrl) and where its host points now (WebhookSender.refusedTarget): 400
   * WEBHOOK_URL_NOT_ALLOWED for http in production or a host that resolves to a refused address.
   */
  private async allowedUrl(text: string): Promise<string> {
    const check = checkWebhookUrl(text, { production: this.config.production, allowPrivateTargets: this.config.webhookAllowPrivateTargets });
    if (!check.ok) {
      const problem = check.code === 'HTTPS_REQUIRED' ? 'WEBHOOK_URL_NOT_ALLOWED' : 'VALIDATION_FAILED';
      throw new ProblemError(problem, check.message, [{ field: 'url', code: check.code, message: check.message }]);
    }
    let refused;
    try {
      refused = await this.sender.refusedTarget(check.url);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') {
        const message = msg('webhook.hostUnresolvable', { host: check.url.hostname.slice(0, 253) });
        throw new ProblemError('VALIDATION_FAILED', message, [{ field: 'url', code: 'UNRESOLVABLE_HOST', message }]);
      }
      throw new ProblemError('SERVICE_UNAVAILABLE', msg('webhook.dnsUnavailable'), undefined, { 'retry-after': '5' });
    }
    if (refused) {
      const message = msg('webhook.addressRefused', { reason: refused.reason });
      throw new ProblemError('WEBHOOK_URL_NOT_ALLOWED', message, [{ field: 'url', code: 'ADDRESS_NOT_ALLOWED', message }]);
    }
    return text;
  }
}
