import type { DataSource, EntityManager } from 'typeorm';
import { addMonths, defaultPartitionName, monthOf, monthOfPartition, monthPartitionName, monthRange, monthStart } from './months';
import { inTransaction } from './transactions';

/**
 * Tables partitioned by month (declarative range partitioning on a timestamp; `outbox_events` and `audit_log`,
 * whose owners call these through their repositories): each month a partition named by months.ts, and a
 * default partition for rows no month takes. Knows no product: the partition column is read from the catalogue.
 */

/** Months made ahead of the current one, so that the month turning over never writes into the default partition. */
export const MONTHS_AHEAD = 2;

/**
 * Making a partition takes a brief exclusive lock on the parent; behind a long transaction it would queue every
 * writer behind it. Give up instead and let the next round (or start-up) try again.
 */
const LOCK_TIMEOUT = '5s';

/** What these need of a connection: a transaction's manager, the pool's, or a pg client adapted to answer rows. */
export type Sql = Pick<EntityManager, 'query'>;

export interface MonthPartition {
  name: string;
  month: string;
}

export const ident = (name: string): string => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain identifier: ${name}`);
  return `"${name}"`;
};

/** The month partitions of `table`, oldest first (the default partition is not among them). */
export async function monthPartitions(m: Sql, table: string): Promise<MonthPartition[]> {
  const rows: Array<{ name: string }> = await m.query(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass($1)`,
    [table],
  );
  return rows
    .flatMap((r) => {
      const month = monthOfPartition(table, r.name);
      return month ? [{ name: r.name, month }] : [];
    })
    .sort((a, b) => a.month.localeCompare(b.month));
}

/** Every table of the schema partitioned by range (each by month, by this project's convention). */
export async function monthPartitionedTables(m: Sql): Promise<string[]> {
  const rows: Array<{ name: string }> = await m.query(
    `SELECT c.relname AS name FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND p.partstrat = 'r' AND NOT c.relispartition ORDER BY 1`,
  );
  return rows.map((r) => r.name);
}

export async function partitionColumn(m: Sql, table: string): Promise<string> {
  const [row] = await m.query(
    `SELECT a.attname AS name FROM pg_partitioned_table p JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
      WHERE p.partrelid = to_regclass($1)`,
    [table],
  );
  if (!row) throw new Error(`${table} is not partitioned`);
  return row.name;
}

/**
 * Makes the month partitions of `table` among `months` that do not exist yet; answers the ones it made. Rows the
 * default partition caught for such a month move into the new partition, in the same transaction (the default's
 * own triggers, the audit log's append-only one included, are off for that move only: the rows change place, not
 * content). Several processes may run it at once: they take turns on an advisory lock per table.
 */
export function prepareMonthPartitions(dataSource: DataSource, table: string, months: string[]): Promise<string[]> {
  return prepareMonthPartitionsIn((work) => inTransaction(dataSource, work), dataSource.manager, table, months);
}

/** Runs `work` in one transaction of its connection. */
export type InTransaction = <T>(work: (m: Sql) => Promise<T>) => Promise<T>;

/** prepareMonthPartitions on any connection: `transaction` runs each month's work, `sql` reads the catalogue. */
export async function prepareMonthPartitionsIn(transaction: InTransaction, sql: Sql, table: string, months: string[]): Promise<string[]> {
  const existing = new Set((await monthPartitions(sql, table)).map((p) => p.month));
  const made: string[] = [];
  for (const month of months.filter((mo) => !existing.has(mo))) {
    const didMake = await transaction(async (m) => {
      await m.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
      await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`month-partitions:${table}`]);
      const name = monthPartitionName(table, month);
      const [{ exists }] = await m.query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [name]);
      if (exists) return false;
      const column = ident(await partitionColumn(m, table));
      const from = monthStart(month);
      const to = monthStart(addMonths(month, 1));
      const bounds = `FOR VALUES FROM ('${from}') TO ('${to}')`;
      const fallback = defaultPartitionName(table);
      const [{ stray }] = await m.query(
        `SELECT to_regclass($1) IS NOT NULL AND EXISTS (SELECT 1 FROM ${ident(table)} WHERE tableoid = to_regclass($1) AND ${column} >= $2 AND ${column} < $3) AS stray`,
        [fallback, from, to],
      );
      if (!stray) {
        await m.query(`CREATE TABLE ${ident(name)} PARTITION OF ${ident(table)} ${bounds}`);
        return true;
      }
      await m.query(`CREATE TABLE ${ident(name)} (LIKE ${ident(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
      await m.query(`ALTER TABLE ${ident(fallback)} DISABLE TRIGGER USER`);
      await m.query(
        `WITH moved AS (DELETE FROM ${ident(fallback)} WHERE ${column} >= $1 AND ${column} < $2 RETURNING *) INSERT INTO ${ident(name)} SELECT * FROM moved`,
        [from, to],
      );
      await m.query(`ALTER TABLE ${ident(fallback)} ENABLE TRIGGER USER`);
      await m.query(`ALTER TABLE ${ident(table)} ATTACH PARTITION ${ident(name)} ${bounds}`);
      return true;
    });
    if (didMake) made.push(month);
  }
  return made;
}

/** The months (UTC) of the rows the default partition of `table` holds from before `before`, oldest first. */
export async function monthsInDefaultBefore(m: Sql, table: string, before: string): Promise<string[]> {
  const fallback = defaultPartitionName(table);
  const [{ exists }] = await m.query(`SELECT to_regclass($1) IS NOT NULL AS exists`, [fallback]);
  if (!exists) return [];
  const column = ident(await partitionColumn(m, table));
  const rows: Array<{ month: string }> = await m.query(
    `SELECT DISTINCT to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM') AS month FROM ${ident(fallback)} WHERE ${column} < $1 ORDER BY 1`,
    [monthStart(before)],
  );
  return rows.map((r) => r.month);
}

/** The current month (UTC) and the MONTHS_AHEAD after it. */
export function comingMonths(now: Date = new Date()): string[] {
  const current = monthOf(now);
  return monthRange(current, addMonths(current, MONTHS_AHEAD));
}

/**
 * Start-up and migration: every month-partitioned table gets its partitions for the coming months, so a fresh
 * database (or one whose maintenance job has not run for months) writes into month partitions at once.
 */
export async function prepareComingMonths(dataSource: DataSource, now: Date = new Date()): Promise<Record<string, string[]>> {
  const made: Record<string, string[]> = {};
  for (const table of await monthPartitionedTables(dataSource.manager)) made[table] = await prepareMonthPartitions(dataSource, table, comingMonths(now));
  return made;
}
