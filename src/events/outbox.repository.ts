import { Injectable } from '@nestjs/common';
import { Client } from 'pg';
import { brandColumns, brandsTable } from '../brands/brands.fragments';
import { monthPartitions, prepareMonthPartitions } from '../database/month-partitions';
import { Db, Repository } from '../database/repository';
import { SqlCondition, SqlParams } from '../database/sql';
import type { EventColumns } from '../policy/policy';
import { appendEventsSql, OUTBOX_ARCHIVE, OUTBOX_CHANNEL, SETTLED_BELOW_SQL } from './outbox.fragments';

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

/** A position in the outbox's (xid, seq) order; see OutboxEvent.xid. */
export interface OutboxPosition {
  xid: string;
  seq: string;
}

export interface PositionedRow extends OutboxRow {
  xid: string;
}

/** What a scan in (xid, seq) order found: the rows, and where it may resume. */
export interface SettledScan<R> {
  rows: R[];
  /** The position after which the next scan continues: the last row, or every settled position when the scan reached them all. */
  next: OutboxPosition;
}

export interface FeedFilter {
  /** Exact types, or `<prefix>.*` patterns; empty for every type. */
  types: string[];
  brandId?: string;
}

/** The columns of an OutboxRow, of the table or of an alias. */
function rowOf(alias?: string): string {
  const a = alias ? `${alias}.` : '';
  return `${a}id, ${a}seq, ${a}type, ${a}aggregate_type AS "aggregateType", ${a}aggregate_id AS "aggregateId", ${a}brand_id AS "brandId",
          ${a}data, ${a}actor_organization_id AS "actorOrganizationId", ${a}occurred_at AS "occurredAt"`;
}

const ROW = rowOf();

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

  /**
   * Up to `limit` events after `after` in (xid, seq) order, only of transactions that have ended: no event can
   * still appear before the last one returned. When fewer come back, `next` is the settled horizon itself, so a
   * reader passes everything that has ended even when none of it was an event.
   */
  async settledAfter(m: Db | undefined, after: OutboxPosition, limit: number): Promise<SettledScan<PositionedRow>> {
    const rows: Array<PositionedRow & { horizon: string }> = await this.db(m).query(
      `WITH horizon AS MATERIALIZED (SELECT ${SETTLED_BELOW_SQL} AS xid)
       SELECT ${ROW}, xid::text AS xid, (SELECT xid FROM horizon)::text AS horizon
         FROM outbox_events
        WHERE (xid, seq) > ($1::bigint, $2::bigint) AND xid < (SELECT xid FROM horizon)
        ORDER BY xid, seq LIMIT $3`,
      [after.xid, after.seq, limit],
    );
    if (rows.length === limit) {
      const last = rows[rows.length - 1];
      return { rows, next: { xid: last.xid, seq: String(last.seq) } };
    }
    const horizon = rows[0]?.horizon ?? (await this.horizon(m));
    return { rows, next: this.furthest(after, { xid: horizon, seq: '0' }) };
  }

  /**
   * The event feed: among the next `scan` settled events after `after` (see settledAfter), the first `limit`
   * that pass `visible` (the access policy, over the event's brand row and named employer) and the filter.
   */
  async feed(after: OutboxPosition, filter: FeedFilter, visible: SqlCondition<EventColumns>, limit: number, scan: number): Promise<SettledScan<PositionedRow>> {
    const p = new SqlParams([after.xid, after.seq, scan]);
    const conditions: string[] = [visible({ ...brandColumns('b'), employerId: `(e.data->>'employerId')` }, p)];
    if (filter.types.length && !filter.types.includes('*')) {
      const exact = filter.types.filter((t) => !t.endsWith('.*'));
      const prefixes = filter.types.filter((t) => t.endsWith('.*')).map((t) => `${t.slice(0, -1).replace(/[\\_%]/g, '\\$&')}%`);
      conditions.push(`(e.type = ANY(${p.add(exact)}::text[]) OR e.type LIKE ANY(${p.add(prefixes)}::text[]))`);
    }
    if (filter.brandId) conditions.push(`e.brand_id = ${p.add(filter.brandId)}`);
    const rows: Array<PositionedRow & { horizon: string; scanned: number; lastXid: string | null; lastSeq: string | null; position_xid: string }> = await this.db().query(
      `WITH horizon AS MATERIALIZED (SELECT ${SETTLED_BELOW_SQL} AS xid),
       scanned AS MATERIALIZED (
         SELECT * FROM outbox_events
          WHERE (xid, seq) > ($1::bigint, $2::bigint) AND xid < (SELECT xid FROM horizon)
          ORDER BY xid, seq LIMIT $3),
       last AS (SELECT xid, seq FROM scanned ORDER BY xid DESC, seq DESC LIMIT 1),
       summary AS (SELECT (SELECT count(*)::int FROM scanned) AS scanned, (SELECT xid FROM horizon)::text AS horizon,
                          (SELECT xid::text FROM last) AS "lastXid", (SELECT seq::text FROM last) AS "lastSeq"),
       hits AS (
         SELECT ${rowOf('e')}, e.xid AS position_xid
           FROM scanned e LEFT JOIN ${brandsTable('b')} ON b.id = e.brand_id
          WHERE ${conditions.join(' AND ')}
          ORDER BY e.xid, e.seq LIMIT ${p.add(limit)})
       SELECT summary.*, hits.*, hits.position_xid::text AS xid FROM summary LEFT JOIN hits ON TRUE ORDER BY hits.position_xid, hits.seq`,
      p.values,
    );
    const summary = rows[0];
    const hits = rows.filter((r) => r.id !== null).map(({ horizon: _h, scanned: _s, lastXid: _x, lastSeq: _q, position_xid: _p, ...row }) => row);
    let next: OutboxPosition;
    if (hits.length === limit) {
      const last = hits[hits.length - 1];
      next = { xid: last.xid, seq: String(last.seq) };
    } else if (summary.scanned === scan && summary.lastXid !== null && summary.lastSeq !== null) {
      next = { xid: summary.lastXid, seq: summary.lastSeq };
    } else {
      next = this.furthest(after, { xid: summary.horizon, seq: '0' });
    }
    return { rows: hits, next };
  }

  /** Events by id (any order), for bodies built from them. */
  byIds(ids: string[]): Promise<OutboxRow[]> {
    return this.db().query(`SELECT ${ROW} FROM outbox_events WHERE id = ANY($1::uuid[])`, [ids]);
  }

  private async horizon(m?: Db): Promise<string> {
    const [row] = await this.db(m).query(`SELECT (${SETTLED_BELOW_SQL})::text AS xid`);
    return row.xid;
  }

  /** The later of two positions: a cursor never moves back, whatever the horizon says. */
  private furthest(a: OutboxPosition, b: OutboxPosition): OutboxPosition {
    const ax = BigInt(a.xid);
    const bx = BigInt(b.xid);
    if (ax !== bx) return ax > bx ? a : b;
    return BigInt(a.seq) >= BigInt(b.seq) ? a : b;
  }

  /** How many events wait for the relay, and how old the oldest is (seconds). */
  async backlog(): Promise<{ count: number; oldestAgeSeconds: number }> {
    const [row] = await this.db().query(
      `SELECT count(*)::int AS count, COALESCE(EXTRACT(EPOCH FROM now() - min(occurred_at)), 0)::float8 AS "oldestAgeSeconds"
         FROM outbox_events WHERE delivered_at IS NULL`,
    );
    return row;
  }

  /** Makes the month partitions among `months` that are missing (rows the default partition caught move in); answers those made. */
  prepareMonths(months: string[]): Promise<string[]> {
    return prepareMonthPartitions(this.dataSource, OUTBOX_ARCHIVE.table, months);
  }

  /** The months the outbox holds a partition for, oldest first. */
  async months(): Promise<string[]> {
    return (await monthPartitions(this.db(), OUTBOX_ARCHIVE.table)).map((p) => p.month);
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
