/**
 * The rules of webhooks and the event feed (API.md, Integrations), pure so they unit-test in milliseconds: which
 * event types exist and how a subscription names them, what a delivery's body is, how it is signed (Standard
 * Webhooks), what an attempt's answer means, when it is tried again, and when a subscription is disabled.
 */
import { msg, type Message } from '../common/i18n/message';
import { createHmac, randomBytes } from 'node:crypto';
import { BRAND_TRANSITIONS } from '../brands/brand.rules';
import { eventTypeMatches, isEventTypePattern } from '../events/event-types.rules';
import { PLACEMENT_RULES } from '../placements/placement.rules';

// ------------------------------------------------------------------------------------------- event types

/** Every type of domain event the service writes, by aggregate: what subscriptions and the feed may ask for. */
export const DOMAIN_EVENT_TYPES: readonly string[] = [
  'organization.created',
  'brand.created',
  'brand.updated',
  ...Object.values(BRAND_TRANSITIONS).map((t) => t.event),
  'trainee.registered',
  'trainee.updated',
  'trainee.status_changed',
  'trainee.erased',
  'trainee.imported',
  'certification.issued',
  'certification.revoked',
  'placement.proposed',
  ...Object.values(PLACEMENT_RULES).map((r) => r.event),
].filter((type, i, all) => all.indexOf(type) === i);

/** The test ping of `POST /v1/webhooks/:id/test`: sent on request only, never subscribed to. */
export const TEST_EVENT_TYPE = 'webhook.test';

export const EVENT_AGGREGATES: readonly string[] = [...new Set(DOMAIN_EVENT_TYPES.map((t) => t.slice(0, t.indexOf('.'))))];

/** `*`, `<aggregate>.*` of a known aggregate, or a known type; anything else (a typo) is refused. */
export function isSubscribableEventType(pattern: string): boolean {
  if (!isEventTypePattern(pattern)) return false;
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return EVENT_AGGREGATES.includes(pattern.slice(0, -2));
  return DOMAIN_EVENT_TYPES.includes(pattern);
}

/** Whether a subscription's (or a feed request's) list of types names this type. */
export function subscribedTo(eventTypes: readonly string[], type: string): boolean {
  return eventTypes.some((pattern) => eventTypeMatches(pattern, type));
}

/** The list a subscription stores: each pattern once, `*` alone when it is there. */
export function normalizeEventTypes(eventTypes: readonly string[]): string[] {
  if (eventTypes.includes('*')) return ['*'];
  return [...new Set(eventTypes)];
}

// -------------------------------------------------------------------------------------------------- body

/**
 * Keys that would carry personal data. Events carry ids and facts only (the outbox's contract); these are
 * removed from every body and feed item all the same, at any depth, so a future event that slipped one in
 * still never leaves the service with it.
 */
export const PERSONAL_DATA_KEYS: readonly string[] = ['fullName', 'name', 'nationalId', 'nationalIdNumber', 'idNumber', 'phone', 'phoneNumber', 'mobile'];

export function withoutPersonalData(data: Record<string, unknown>): Record<string, unknown> {
  const clean = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(clean);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([k]) => !PERSONAL_DATA_KEYS.includes(k)).map(([k, v]) => [k, clean(v)]));
    }
    return value;
  };
  return clean(data) as Record<string, unknown>;
}

export interface EventFacts {
  id: string;
  /** Its outbox position. */
  seq: string;
  type: string;
  aggregateType: string;
  aggregateId: string;
  brandId: string | null;
  data: Record<string, unknown>;
  /** ISO 8601 instant. */
  occurredAt: string;
}

/** The facts of an event as stored or relayed (`occurredAt` a Date or an ISO string). */
export function eventFacts(event: Omit<EventFacts, 'occurredAt' | 'seq'> & { seq: string | number; occurredAt: Date | string }): EventFacts {
  return {
    id: event.id,
    seq: String(event.seq),
    type: event.type,
    aggregateType: event.aggregateType,
    aggregateId: event.aggregateId,
    brandId: event.brandId,
    data: event.data,
    occurredAt: new Date(event.occurredAt).toISOString(),
  };
}

/** A feed item's and a delivery's `data`: the event's data (no personal data) with its ids added. */
export function eventData(event: Omit<EventFacts, 'seq'>): Record<string, unknown> {
  return { ...withoutPersonalData(event.data), eventId: event.id, brandId: event.brandId, aggregateType: event.aggregateType, aggregateId: event.aggregateId };
}

export interface WebhookPayload {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

/** The body of a delivery (Standard Webhooks): `{ type, timestamp, data }`. */
export function webhookPayload(event: Omit<EventFacts, 'seq'>): WebhookPayload {
  return { type: event.type, timestamp: event.occurredAt, data: eventData(event) };
}

// --------------------------------------------------------------------------------------------- signatures

export const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;

/** A new signing secret, `whsec_<base64 of 32 random bytes>`, as Standard Webhooks libraries read it. */
export function newSecret(random: (n: number) => Buffer = randomBytes): string {
  return SECRET_PREFIX + random(SECRET_BYTES).toString('base64');
}

/** The HMAC key of a secret. */
export function secretKey(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('not a webhook secret');
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
}

/**
 * `webhook-signature`: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` per key, space-separated (during a
 * rotation the new secret's first, then the old one's).
 */
export function signatureHeader(id: string, timestampSeconds: number, body: string, keys: readonly Buffer[]): string {
  return keys.map((key) => `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.`).update(body).digest('base64')}`).join(' ');
}

/** After a rotation the previous secret keeps signing this long (API.md: 24 h). */
export const PREVIOUS_SECRET_VALID_MS = 24 * 3_600_000;

// ------------------------------------------------------------------------------------------ subscriptions

export const SUBSCRIPTION_STATUSES = ['active', 'disabled'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/** Why a subscription is disabled: by its organization, a `410 Gone`, or every attempt failing for days. */
export const DISABLED_REASONS = ['manual', 'gone', 'failing'] as const;
export type DisabledReason = (typeof DISABLED_REASONS)[number];

/**
 * A subscription none of whose attempts has succeeded since `failingSince` (set by the first failure after a
 * success, cleared by the next success) is disabled once that is `disableAfterMs` ago.
 */
export function failedTooLong(failingSince: Date | null, now: Date, disableAfterMs: number): boolean {
  return failingSince !== null && now.getTime() - failingSince.getTime() >= disableAfterMs;
}

/** failedTooLong in SQL, over a timestamptz expression, the time now and the threshold in milliseconds. */
export function failedTooLongSql(failingSince: string, now: string, disableAfterMs: string): string {
  return `(${failingSince} IS NOT NULL AND ${now} - ${failingSince} >= ${disableAfterMs} * interval '1 millisecond')`;
}

// ------------------------------------------------------------------------------------------- deliveries

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'retrying', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** Deliveries still to be attempted (at `nextAttemptAt`). */
export const OPEN_DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'retrying'];

/** What an attempt's answer means: any 2xx succeeds, `410 Gone` ends the subscription, anything else is retried. */
export type AttemptOutcome = 'success' | 'gone' | 'failure';

export function outcomeOf(responseStatus: number | null): AttemptOutcome {
  if (responseStatus !== null && responseStatus >= 200 && responseStatus < 300) return 'success';
  if (responseStatus === 410) return 'gone';
  return 'failure';
}

export interface RetrySchedule {
  /** Delay after the first failed attempt; it doubles with each further one. */
  baseMs: number;
  maxDelayMs: number;
  /** A delivery is retried until this long after it was made, then `failed`. */
  retryForMs: number;
}

/**
 * The pause after the `attempts`-th failed attempt: exponential back-off (base × 2^(attempts−1), capped) with
 * "equal jitter": between half and all of that, so receivers recovering from an outage are not hit in lockstep.
 */
export function retryDelayMs(attempts: number, schedule: RetrySchedule, random: () => number = Math.random): number {
  const nominal = Math.min(schedule.maxDelayMs, schedule.baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 40));
  return Math.round(nominal / 2 + random() * (nominal / 2));
}

/** A claim outlives the longest attempt (the timeout) by this much: time to record the results. */
export const LEASE_MARGIN_MS = 10_000;

/** How long a worker holds the deliveries it attempts; past it another may take them (the first one died). */
export function deliveryLeaseMs(timeoutMs: number): number {
  return timeoutMs + LEASE_MARGIN_MS;
}

export interface AttemptResult {
  status: DeliveryStatus;
  /** When to try again; null once the delivery is settled. */
  nextAttemptAt: Date | null;
}

/**
 * A delivery after an attempt: succeeded; failed at once on `410 Gone`; otherwise retrying after the back-off,
 * unless that would fall after its retry window (`expiresAt`), which makes it failed.
 */
export function afterAttempt(outcome: AttemptOutcome, attempts: number, expiresAt: Date, now: Date, schedule: RetrySchedule, random: () => number = Math.random): AttemptResult {
  if (outcome === 'success') return { status: 'succeeded', nextAttemptAt: null };
  if (outcome === 'gone') return { status: 'failed', nextAttemptAt: null };
  const next = new Date(now.getTime() + retryDelayMs(attempts, schedule, random));
  if (next.getTime() > expiresAt.getTime()) return { status: 'failed', nextAttemptAt: null };
  return { status: 'retrying', nextAttemptAt: next };
}

// ----------------------------------------------------------------------------------------------- URLs

export const MAX_URL_LENGTH = 2048;

export type UrlCheck = { ok: true; url: URL } | { ok: false; code: 'INVALID_URL' | 'HTTPS_REQUIRED'; message: Message };

/**
 * A subscription's URL: absolute `https` (or `http` outside production, or anywhere when private targets are
 * allowed), with a host, without credentials or a fragment. Where the host points is checked by the sender.
 */
export function checkWebhookUrl(text: string, options: { production: boolean; allowPrivateTargets: boolean }): UrlCheck {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, code: 'INVALID_URL', message: msg('webhook.urlAbsolute') };
  }
  if (text.length > MAX_URL_LENGTH) return { ok: false, code: 'INVALID_URL', message: msg('webhook.urlTooLong', { max: MAX_URL_LENGTH }) };
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, code: 'INVALID_URL', message: msg('webhook.urlScheme') };
  if (!url.hostname) return { ok: false, code: 'INVALID_URL', message: msg('webhook.urlHost') };
  if (url.username || url.password) return { ok: false, code: 'INVALID_URL', message: msg('webhook.urlCredentials') };
  if (url.hash) return { ok: false, code: 'INVALID_URL', message: msg('webhook.urlFragment') };
  if (url.protocol === 'http:' && options.production && !options.allowPrivateTargets) {
    return { ok: false, code: 'HTTPS_REQUIRED', message: msg('webhook.urlHttps') };
  }
  return { ok: true, url };
}
