/**
 * How other statements touch the outbox (`outbox_events`, owned by this module): the shape that appends events,
 * for a fast path that writes a whole change and its event in one statement, and the reads the statistics make in
 * their own snapshot. OutboxRepository uses the same pieces.
 */

import type { ArchivedTable } from '../database/month-archive';

/**
 * The outbox as `npm run archive` sees it: month partitions written out in `seq` order, and never a month that
 * still holds an event the relay has not delivered (its job would be lost with it).
 */
export const OUTBOX_ARCHIVE: ArchivedTable = {
  table: 'outbox_events',
  order: 'seq',
  keep: { where: 'delivered_at IS NULL', rows: 'undelivered events', until: 'a worker (the outbox relay) has delivered them' },
};

/** Postgres channel the relays listen on; writers NOTIFY it after their transaction commits. */
export const OUTBOX_CHANNEL = 'outbox_events';

/** The columns a new event is given; the select passed to appendEventsSql yields them in this order. */
export const OUTBOX_EVENT_COLUMNS = ['brand_id', 'aggregate_type', 'aggregate_id', 'type', 'data', 'actor_organization_id'] as const;

/**
 * The id of the current transaction as a bigint (an xid8 fits one): the `xid` column's default, through a
 * function of its own so the default reads the same in the entity and in the catalogue.
 */
export const WRITING_TRANSACTION_FUNCTION = 'outbox_writing_xid';
export const WRITING_TRANSACTION_SQL = `${WRITING_TRANSACTION_FUNCTION}()`;
export const WRITING_TRANSACTION_FUNCTION_DDL = `CREATE FUNCTION ${WRITING_TRANSACTION_FUNCTION}() RETURNS bigint LANGUAGE sql VOLATILE AS $$SELECT pg_current_xact_id()::text::bigint$$`;

/**
 * Every transaction with an id below this has ended (committed or rolled back): the oldest still running in
 * this snapshot, or the next id to be handed out. No event can appear later with a smaller `xid`, so a reader
 * ordered by (xid, seq) may pass every position below it.
 */
export const SETTLED_BELOW_SQL = 'pg_snapshot_xmin(pg_current_snapshot())::text::bigint';

/** `INSERT INTO outbox_events (…columns) <select>`; add a RETURNING clause as needed. */
export function appendEventsSql(select: string): string {
  return `INSERT INTO outbox_events (${OUTBOX_EVENT_COLUMNS.join(', ')}) ${select}`;
}

/** The newest event of a brand (`id`, `seq`, `occurred_at`), for a LATERAL join: what a brand's figures are stamped with. */
export function newestBrandEventSql(brandId: string): string {
  return `SELECT id, seq, occurred_at FROM outbox_events WHERE brand_id = ${brandId} ORDER BY seq DESC LIMIT 1`;
}

/** Events of brands (`brand_id`, `seq`, `occurred_at`) among the newest `window`: bounded reads of recent activity. */
export function recentBrandEventsSql(window: number): string {
  return `SELECT brand_id, seq, occurred_at FROM outbox_events
           WHERE brand_id IS NOT NULL AND seq > (SELECT COALESCE(max(seq), 0) - ${Math.trunc(window)} FROM outbox_events)`;
}
