import { Injectable } from '@nestjs/common';
import type { OrganizationKind } from '../common/auth/actor';
import { uuidV7 } from '../common/identifiers/uuid-v7';
import type { NewestFirstKey } from '../common/pagination/pagination';
import { Db, Repository } from '../database/repository';
import { sqlIn } from '../database/sql';
import { returnedRows } from '../database/transactions';
import { ORGANIZATIONS_TABLE } from '../organizations/organizations.fragments';
import { WebhookDelivery, WebhookFanoutCursor, WebhookSubscription } from './webhook.entity';
import { failedTooLongSql, OPEN_DELIVERY_STATUSES, type AttemptOutcome, type DeliveryStatus, type DisabledReason } from './webhook.rules';

/** An active subscription with what the access rules need of its organization. */
export interface Subscriber {
  id: string;
  organizationId: string;
  kind: OrganizationKind;
  regionCode: string;
  eventTypes: string[];
  /** It receives the events that occur from then on. */
  activeSince: Date;
  /** Null while its attempts succeed. */
  failingSince: Date | null;
}

export interface NewDelivery {
  eventId: string;
  /** The event's outbox position; null for a test ping. */
  eventSeq: string | null;
  subscriptionId: string;
  eventType: string;
  brandId: string | null;
}

/** A delivery claimed for an attempt, with what sending it takes. */
export interface ClaimedDelivery {
  id: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  payload: Record<string, unknown> | null;
  attempts: number;
  expiresAt: Date;
  url: string;
  secretCipher: Buffer;
  previousSecretCipher: Buffer | null;
  previousSecretExpiresAt: Date | null;
  /** The subscription's: null while its attempts succeed. */
  failingSince: Date | null;
}

export interface RecordedAttempt {
  id: string;
  subscriptionId: string;
  status: DeliveryStatus;
  outcome: AttemptOutcome;
  attemptedAt: Date;
  nextAttemptAt: Date | null;
  responseStatus: number | null;
  durationMs: number;
  error: string | null;
}

const OPEN = sqlIn('d.status', OPEN_DELIVERY_STATUSES);

/** A claimed delivery `d` with its subscription `s`: a ClaimedDelivery. */
const CLAIMED = `d.id, d.subscription_id AS "subscriptionId", d.event_id AS "eventId", d.event_type AS "eventType", d.payload,
                 d.attempts, d.expires_at AS "expiresAt", s.url, s.secret_cipher AS "secretCipher", s.failing_since AS "failingSince",
                 s.previous_secret_cipher AS "previousSecretCipher", s.previous_secret_expires_at AS "previousSecretExpiresAt"`;

/** The only code that reads and writes `webhook_subscriptions`, `webhook_deliveries` and `webhook_fanout_cursor`. */
@Injectable()
export class WebhooksRepository extends Repository {
  // ------------------------------------------------------------------------------------------ subscriptions

  insertSubscription(m: Db, subscription: Partial<WebhookSubscription>): Promise<WebhookSubscription> {
    return m.save(m.create(WebhookSubscription, subscription));
  }

  findSubscription(id: string, m?: Db, lock = false): Promise<WebhookSubscription | null> {
    return this.db(m).findOne(WebhookSubscription, { where: { id }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
  }

  /** Newest first; one organization's, or every one's (the platform). */
  listSubscriptions(organizationId: string | null, after: NewestFirstKey | null, fetch: number): Promise<WebhookSubscription[]> {
    const qb = this.db().createQueryBuilder(WebhookSubscription, 's').orderBy('s.createdAt', 'DESC').addOrderBy('s.id', 'DESC').take(fetch);
    if (organizationId) qb.andWhere('s.organizationId = :organizationId', { organizationId });
    if (after) qb.andWhere('(s.createdAt, s.id) < (:at, :id)', { at: after.at, id: after.id });
    return qb.getMany();
  }

  async saveSubscription(m: Db, id: string, fields: { [K in keyof WebhookSubscription]?: WebhookSubscription[K] | (() => string) }): Promise<void> {
    await m.update(WebhookSubscription, { id }, fields);
  }

  /** Deletes the subscription and its deliveries (cascade). */
  async deleteSubscription(m: Db, id: string): Promise<void> {
    await m.delete(WebhookSubscription, { id });
  }

  /** Every active subscription, with its organization's kind and region (the organizations module's table). */
  activeSubscribers(m?: Db): Promise<Subscriber[]> {
    return this.db(m).query(
      `SELECT s.id, s.organization_id AS "organizationId", o.kind, o.region_code AS "regionCode", s.event_types AS "eventTypes", s.active_since AS "activeSince",
              s.failing_since AS "failingSince"
         FROM webhook_subscriptions s JOIN ${ORGANIZATIONS_TABLE} o ON o.id = s.organization_id
        WHERE s.status = 'active'`,
    );
  }

  /** A disabled subscription's open deliveries wait, unscheduled, until it is enabled again. */
  async pauseDeliveries(m: Db | undefined, subscriptionIds: string[]): Promise<void> {
    if (!subscriptionIds.length) return;
    await this.db(m).query(`UPDATE webhook_deliveries d SET next_attempt_at = NULL WHERE d.subscription_id = ANY($1::uuid[]) AND ${OPEN} AND d.next_attempt_at IS NOT NULL`, [subscriptionIds]);
  }

  /** Re-enabled: its open deliveries are due now; answers their ids. */
  async resumeDeliveries(m: Db, subscriptionId: string): Promise<Array<{ id: string; subscriptionId: string }>> {
    return returnedRows<{ id: string; subscriptionId: string }>(
      await m.query(`UPDATE webhook_deliveries d SET next_attempt_at = now() WHERE d.subscription_id = $1 AND ${OPEN} RETURNING d.id, d.subscription_id AS "subscriptionId"`, [subscriptionId]),
    );
  }

  // ------------------------------------------------------------------------------------------- deliveries

  /** One row per (event, subscription), made once however often asked; answers the new ones. */
  async insertDeliveries(m: Db | undefined, deliveries: NewDelivery[], retryForMs: number): Promise<Array<{ id: string; subscriptionId: string }>> {
    if (!deliveries.length) return [];
    return this.db(m).query(
      `INSERT INTO webhook_deliveries (id, event_id, event_seq, subscription_id, event_type, brand_id, status, next_attempt_at, expires_at)
       SELECT i, e, q, s, t, b, 'pending', now(), now() + $7::bigint * interval '1 millisecond'
         FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::uuid[], $5::text[], $6::uuid[]) AS x(i, e, q, s, t, b)
       ON CONFLICT (subscription_id, event_seq) DO NOTHING
       RETURNING id, subscription_id AS "subscriptionId"`,
      [
        deliveries.map(() => uuidV7()),
        deliveries.map((d) => d.eventId),
        deliveries.map((d) => d.eventSeq),
        deliveries.map((d) => d.subscriptionId),
        deliveries.map((d) => d.eventType),
        deliveries.map((d) => d.brandId),
        retryForMs,
      ],
    );
  }

  /** A delivery that carries its own body (the test ping). */
  async insertDeliveryWithPayload(m: Db, delivery: NewDelivery & { payload: Record<string, unknown> }, retryForMs: number): Promise<WebhookDelivery> {
    const [row]: Array<{ id: string }> = await m.query(
      `INSERT INTO webhook_deliveries (id, event_id, subscription_id, event_type, brand_id, payload, status, next_attempt_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'pending', now(), now() + $7::bigint * interval '1 millisecond') RETURNING id`,
      [uuidV7(), delivery.eventId, delivery.subscriptionId, delivery.eventType, delivery.brandId, JSON.stringify(delivery.payload), retryForMs],
    );
    return (await this.findDelivery(delivery.subscriptionId, row.id, m))!;
  }

  findDelivery(subscriptionId: string, id: string, m?: Db): Promise<WebhookDelivery | null> {
    return this.db(m).findOne(WebhookDelivery, { where: { id, subscriptionId } });
  }

  /** A subscription's deliveries, newest first. */
  listDeliveries(subscriptionId: string, status: DeliveryStatus | undefined, after: NewestFirstKey | null, fetch: number): Promise<WebhookDelivery[]> {
    const qb = this.db()
      .createQueryBuilder(WebhookDelivery, 'd')
      .where('d.subscriptionId = :subscriptionId', { subscriptionId })
      .orderBy('d.createdAt', 'DESC')
      .addOrderBy('d.id', 'DESC')
      .take(fetch);
    if (status) qb.andWhere('d.status = :status', { status });
    if (after) qb.andWhere('(d.createdAt, d.id) < (:at, :id)', { at: after.at, id: after.id });
    return qb.getMany();
  }

  /** Due now, whatever its status, unless an attempt is under way; null when one is. */
  async retryNow(m: Db, subscriptionId: string, id: string): Promise<WebhookDelivery | null> {
    const rows = returnedRows<{ id: string }>(
      await m.query(
        `UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now()
          WHERE id = $1 AND subscription_id = $2 AND (locked_until IS NULL OR locked_until < now()) RETURNING id`,
        [id, subscriptionId],
      ),
    );
    return rows.length ? this.findDelivery(subscriptionId, id, m) : null;
  }

  /**
   * Claims deliveries for an attempt: those among `ids` that are open, due (up to a second early, for clock skew
   * between hosts), of an active subscription and not being attempted; each is locked for `leaseMs`, after which
   * another worker may take it (its holder died). Concurrent claims of one row: the second finds it locked.
   */
  async claim(ids: string[], leaseMs: number): Promise<ClaimedDelivery[]> {
    const rows = returnedRows<ClaimedDelivery>(
      await this.db().query(
        `UPDATE webhook_deliveries d SET locked_until = now() + $2::int * interval '1 millisecond'
           FROM webhook_subscriptions s
          WHERE d.id = ANY($1::uuid[]) AND s.id = d.subscription_id AND s.status = 'active' AND ${OPEN}
            AND d.next_attempt_at <= now() + interval '1 second' AND (d.locked_until IS NULL OR d.locked_until < now())
          RETURNING ${CLAIMED}`,
        [ids, leaseMs],
      ),
    );
    return rows;
  }

  /** Keeps a claim alive while its attempts take long (they wait for connections, or for slow receivers). */
  async renewClaim(ids: string[], leaseMs: number): Promise<void> {
    await this.db().query(
      `UPDATE webhook_deliveries d SET locked_until = now() + $2::int * interval '1 millisecond' WHERE d.id = ANY($1::uuid[]) AND d.locked_until IS NOT NULL AND ${OPEN}`,
      [ids, leaseMs],
    );
  }

  /** Writes the attempts' results and releases the claims. */
  async recordAttempts(attempts: RecordedAttempt[]): Promise<void> {
    if (!attempts.length) return;
    await this.db().query(
      `UPDATE webhook_deliveries d
          SET status = r.status, attempts = d.attempts + 1, last_attempt_at = r.at, next_attempt_at = r.next,
              response_status = r.code, duration_ms = r.ms, error = r.error, locked_until = NULL
         FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::int[], $6::int[], $7::text[]) AS r(id, status, at, next, code, ms, error)
        WHERE d.id = r.id`,
      [
        attempts.map((a) => a.id),
        attempts.map((a) => a.status),
        attempts.map((a) => a.attemptedAt.toISOString()),
        attempts.map((a) => a.nextAttemptAt?.toISOString() ?? null),
        attempts.map((a) => a.responseStatus),
        attempts.map((a) => a.durationMs),
        attempts.map((a) => a.error),
      ],
    );
  }

  /**
   * What the attempts say about their subscriptions: a success clears `failing_since`, a failure sets it if
   * unset; a `410 Gone` disables the subscription, and so does failing for `disableAfterMs` (failedTooLong).
   * Answers the subscriptions disabled now, with why.
   */
  async recordSubscriptionHealth(attempts: RecordedAttempt[], disableAfterMs: number): Promise<Array<{ id: string; reason: DisabledReason }>> {
    if (!attempts.length) return [];
    const failingSince = `(CASE WHEN a.ok THEN NULL ELSE COALESCE(s.failing_since, now()) END)`;
    const tooLong = failedTooLongSql(failingSince, 'now()', '$3::bigint');
    const rows = returnedRows<{ id: string; reason: DisabledReason | null }>(
      await this.db().query(
        `WITH a AS (SELECT subscription_id, bool_or(outcome = 'success') AS ok, bool_or(outcome = 'gone') AS gone
                      FROM unnest($1::uuid[], $2::text[]) AS r(subscription_id, outcome) GROUP BY subscription_id),
              decided AS (SELECT s.id, ${failingSince} AS failing_since,
                                 CASE WHEN a.gone THEN 'gone' WHEN ${tooLong} THEN 'failing' END AS reason
                            FROM webhook_subscriptions s JOIN a ON a.subscription_id = s.id
                           WHERE s.status = 'active' ORDER BY s.id FOR UPDATE OF s)
         UPDATE webhook_subscriptions s
            SET failing_since = d.failing_since,
                status = CASE WHEN d.reason IS NULL THEN s.status ELSE 'disabled' END,
                disabled_reason = COALESCE(d.reason, s.disabled_reason),
                version = s.version + (d.reason IS NOT NULL)::int,
                updated_at = CASE WHEN d.reason IS NULL THEN s.updated_at ELSE now() END
           FROM decided d
          WHERE s.id = d.id AND (s.failing_since IS DISTINCT FROM d.failing_since OR d.reason IS NOT NULL)
          RETURNING s.id, d.reason`,
        [attempts.map((a) => a.subscriptionId), attempts.map((a) => a.outcome), disableAfterMs],
      ),
    );
    return rows.filter((r): r is { id: string; reason: DisabledReason } => r.reason !== null);
  }

  /**
   * Open deliveries of active subscriptions that were due more than `graceMs` ago and that nobody is attempting:
   * their job was lost (Redis lost its data) or never queued (Redis was away), oldest first.
   */
  async overdue(graceMs: number, limit: number): Promise<Array<{ id: string; subscriptionId: string }>> {
    return this.db().query(
      `SELECT d.id, d.subscription_id AS "subscriptionId" FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.status = 'active'
        WHERE ${OPEN} AND d.next_attempt_at < now() - $1::int * interval '1 millisecond' AND (d.locked_until IS NULL OR d.locked_until < now())
        ORDER BY d.next_attempt_at LIMIT $2`,
      [graceMs, limit],
    );
  }

  /** Open deliveries due now (of active subscriptions), and how long the oldest has been due: the backlog. */
  async backlog(): Promise<{ count: number; oldestDueSeconds: number }> {
    const [row] = await this.db().query(
      `SELECT count(*)::int AS count, COALESCE(EXTRACT(EPOCH FROM now() - min(d.next_attempt_at)), 0)::float8 AS "oldestDueSeconds"
         FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.status = 'active'
        WHERE ${OPEN} AND d.next_attempt_at <= now()`,
    );
    return row;
  }

  // ----------------------------------------------------------------------------------------- fan-out cursor

  /** The fan-out cursor, locked for the caller's transaction; null while another process holds it. */
  async lockCursor(m: Db): Promise<{ xid: string; seq: string } | null> {
    const [row] = await m.query(`SELECT xid::text AS xid, seq::text AS seq FROM webhook_fanout_cursor WHERE id = 1 FOR UPDATE SKIP LOCKED`);
    return row ?? null;
  }

  async saveCursor(m: Db, position: { xid: string; seq: string }): Promise<void> {
    await m.update(WebhookFanoutCursor, { id: 1 }, { xid: position.xid, seq: position.seq, updatedAt: new Date() });
  }
}
