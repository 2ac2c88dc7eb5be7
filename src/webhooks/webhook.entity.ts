import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { sqlIn } from '../database/sql';
import { DELIVERY_STATUSES, DISABLED_REASONS, OPEN_DELIVERY_STATUSES, SUBSCRIPTION_STATUSES, type DeliveryStatus, type DisabledReason, type SubscriptionStatus } from './webhook.rules';

/** An organization's webhook: where its events go, which types, and the secret that signs them (encrypted). */
@Entity('webhook_subscriptions')
@Check('ck_webhook_subscriptions_status', sqlIn('status', SUBSCRIPTION_STATUSES))
@Check('ck_webhook_subscriptions_disabled_reason', `disabled_reason IS NULL OR ${sqlIn('disabled_reason', DISABLED_REASONS)}`)
@Index('ix_webhook_subscriptions_organization', ['organizationId', 'createdAt', 'id'])
@Index('ix_webhook_subscriptions_created', ['createdAt', 'id'])
export class WebhookSubscription {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  organizationId: string;

  @ManyToOne('Organization', { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'organization_id', foreignKeyConstraintName: 'fk_webhook_subscriptions_organization' })
  organization?: never;

  @Column({ type: 'text' })
  url: string;

  /** Event types and `<aggregate>.*` patterns, or `{*}`. */
  @Column({ type: 'text', array: true })
  eventTypes: string[];

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ type: 'text', default: 'active' })
  status: SubscriptionStatus;

  @Column({ type: 'text', nullable: true })
  disabledReason: DisabledReason | null;

  /** The signing secret (`whsec_…`), AES-256-GCM under the PII keyring. */
  @Column({ type: 'bytea' })
  secretCipher: Buffer;

  /** The secret before the last rotation, which also signs until `previousSecretExpiresAt`. */
  @Column({ type: 'bytea', nullable: true })
  previousSecretCipher: Buffer | null;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  previousSecretExpiresAt: Date | null;

  /** Since when it is active (made, or enabled again): it receives the events that occur from then on. */
  @Column({ type: 'timestamptz', precision: 3, default: () => 'now()' })
  activeSince: Date;

  /** Since when no attempt has succeeded (null while they do): past WEBHOOK_DISABLE_AFTER_MS the subscription is disabled. */
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  failingSince: Date | null;

  @Column({ type: 'int', default: 1 })
  version: number;

  @Column({ type: 'timestamptz', precision: 3, default: () => 'now()' })
  createdAt: Date;

  @Column({ type: 'timestamptz', precision: 3, default: () => 'now()' })
  updatedAt: Date;
}

/**
 * One event for one subscription: made in Postgres before it is attempted (one per event and subscription), then
 * attempted by the `webhooks` queue's jobs until it succeeds or its retry window ends. Its id (a UUID v7, made in
 * time order) is the `webhook-id` of every attempt.
 */
@Entity('webhook_deliveries')
@Check('ck_webhook_deliveries_status', sqlIn('status', DELIVERY_STATUSES))
// One per event and subscription, by the event's outbox position: it grows at one edge per subscription (event ids
// are random). Test pings have no position (NULL), and are made once each anyway.
@Index('ux_webhook_deliveries_subscription_event', ['subscriptionId', 'eventSeq'], { unique: true })
@Index('ix_webhook_deliveries_subscription', ['subscriptionId', 'createdAt', 'id'])
@Index('ix_webhook_deliveries_due', ['nextAttemptAt'], { where: sqlIn('status', OPEN_DELIVERY_STATUSES) })
export class WebhookDelivery {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  subscriptionId: string;

  @ManyToOne(() => WebhookSubscription, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'subscription_id', foreignKeyConstraintName: 'fk_webhook_deliveries_subscription' })
  subscription?: never;

  /** The outbox event delivered (its body is built from it), or the id given to a test ping. */
  @Column({ type: 'uuid' })
  eventId: string;

  /** The event's outbox position (`seq`); null for a test ping. */
  @Column({ type: 'bigint', nullable: true })
  eventSeq: string | null;

  @Column({ type: 'text' })
  eventType: string;

  @Column({ type: 'uuid', nullable: true })
  brandId: string | null;

  /** The body of a delivery that has no outbox event (a test ping); null for domain events. */
  @Column({ type: 'jsonb', nullable: true })
  payload: Record<string, unknown> | null;

  @Column({ type: 'text', default: 'pending' })
  status: DeliveryStatus;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  /** When it is due; null once settled, and while its subscription is disabled. */
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  nextAttemptAt: Date | null;

  /** Retried until then (made + WEBHOOK_RETRY_FOR_MS), then failed. */
  @Column({ type: 'timestamptz', precision: 3 })
  expiresAt: Date;

  /** A worker is attempting it until then (it claimed it); a worker that died leaves it to expire. */
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  lockedUntil: Date | null;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  lastAttemptAt: Date | null;

  @Column({ type: 'int', nullable: true })
  responseStatus: number | null;

  @Column({ type: 'int', nullable: true })
  durationMs: number | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ type: 'timestamptz', precision: 3, default: () => 'now()' })
  createdAt: Date;
}

/**
 * How far the fan-out safety net has read the outbox, as an (xid, seq) position (see OutboxEvent.xid): every
 * event before it has its deliveries. One row.
 */
@Entity('webhook_fanout_cursor')
@Check('ck_webhook_fanout_cursor_one_row', 'id = 1')
export class WebhookFanoutCursor {
  @PrimaryColumn({ type: 'smallint' })
  id: number;

  @Column({ type: 'bigint' })
  xid: string;

  @Column({ type: 'bigint' })
  seq: string;

  @Column({ type: 'timestamptz', precision: 3, default: () => 'now()' })
  updatedAt: Date;
}
