import { Injectable } from '@nestjs/common';
import { Client } from 'pg';
import { Db, Repository } from '../database/repository';
import { appendEventsSql, OUTBOX_CHANNEL } from './outbox.fragments';

export interface NewEvent {
  type: string;
  aggregateType: string;
  aggregateId: string;
  brandId: string | null;
  data: Record<string, unknown>;
  actorOrganizationId: string | null;
}

export interface OutboxRow extends NewEvent {
  id: string;
  seq: string;
  occurredAt: Date;
}

const ROW = `id, seq, type, aggregate_type AS "aggregateType", aggregate_id AS "aggregateId", brand_id AS "brandId",
             data, actor_organization_id AS "actorOrganizationId", occurred_at AS "occurredAt"`;

/** The only code that reads and writes `outbox_events` (besides the fragments it exports). */
@Injectable()
export class OutboxRepository extends Repository {
  async append(m: Db, events: NewEvent[]): Promise<Array<{ id: string; seq: string; occurredAt: Date }>> {
    return m.query(
      `${appendEventsSql('SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::jsonb[], $6::uuid[])')}
       RETURNING id, seq, occurred_at AS "occurredAt"`,
      [
        events.map((e) => e.brandId),
        events.map((e) => e.aggregateType),
        events.map((e) => e.aggregateId),
        events.map((e) => e.type),
        events.map((e) => JSON.stringify(e.data)),
        events.map((e) => e.actorOrganizationId),
      ],
    );
  }

  /** Claims the oldest undelivered events for the caller's transaction; rows other relays hold are skipped. */
  claimUndelivered(m: Db, limit: number): Promise<OutboxRow[]> {
    return m.query(`SELECT ${ROW} FROM outbox_events WHERE delivered_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`, [limit]);
  }

  async markDelivered(m: Db, ids: string[]): Promise<void> {
    await m.query(`UPDATE outbox_events SET delivered_at = now() WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /** One aggregate's events after a position, oldest first. */
  timeline(aggregateType: string, aggregateId: string, afterSeq: string, limit: number): Promise<OutboxRow[]> {
    return this.db().query(
      `SELECT ${ROW} FROM outbox_events WHERE aggregate_id = $1 AND aggregate_type = $2 AND seq > $3 ORDER BY seq LIMIT $4`,
      [aggregateId, aggregateType, afterSeq, limit],
    );
  }

  /** How many events wait for the relay, and how old the oldest is (seconds). */
  async backlog(): Promise<{ count: number; oldestAgeSeconds: number }> {
    const [row] = await this.db().query(
      `SELECT count(*)::int AS count, COALESCE(EXTRACT(EPOCH FROM now() - min(occurred_at)), 0)::float8 AS "oldestAgeSeconds"
         FROM outbox_events WHERE delivered_at IS NULL`,
    );
    return row;
  }

  /** Wakes the relays. */
  async notify(): Promise<void> {
    await this.db().query(`SELECT pg_notify($1, '')`, [OUTBOX_CHANNEL]);
  }

  /**
   * A connection of its own (not pooled, which could not keep listening) for `listen`; the caller watches its
   * `notification`, `error` and `end` events and ends it.
   */
  listener(databaseUrl: string): Client {
    return new Client({ connectionString: databaseUrl, application_name: 'labor-brands:outbox-listen', keepAlive: true });
  }

  async listen(client: Client): Promise<void> {
    await client.connect();
    await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
  }
}
