import { once } from 'node:events';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { Client } from 'pg';
import { ident, monthPartitions, monthsInDefaultBefore, prepareMonthPartitionsIn, type InTransaction, type MonthPartition, type Sql } from './month-partitions';

/**
 * `npm run archive`: whole months of a month-partitioned table written to gzip-compressed NDJSON (one row a line,
 * Postgres's own `row_to_json`, timestamps in UTC), checked, then detached and dropped. Knows no product: each
 * table's owner describes it (an ArchivedTable).
 *
 * Safe to stop and run again: a month is dropped only after its file is complete (written under a temporary name,
 * flushed to disk, renamed) and holds exactly the partition's rows, checked again under the lock that detaches it.
 * A file left by a run stopped before the drop is kept when it holds the month, and never overwritten otherwise.
 */

export interface ArchivedTable {
  table: string;
  /** The order rows are written in (a column list of the table). */
  order: string;
  /** Rows that must not leave the database yet: a month holding any is refused, saying what they are and until when. */
  keep?: { where: string; rows: string; until: string };
}

export interface MonthOutcome {
  table: string;
  month: string;
  file: string;
  rows: number;
  /** Why the month stays (null: archived and dropped). */
  refused: string | null;
}

/** Rows fetched per round trip: the memory the archive holds at once, whatever the month's size. */
const FETCH_ROWS = 1000;
/** Detaching takes a brief exclusive lock on the table; rather than queue every writer behind a long transaction, give up. */
const LOCK_TIMEOUT = '10s';

export function archiveFileName(table: string, month: string): string {
  return `${table}-${month}.ndjson.gz`;
}

function rowsOf(client: Client): Sql {
  return { query: async (sql: string, params?: unknown[]) => (await client.query(sql, params)).rows } as Sql;
}

function transactionOf(client: Client): InTransaction {
  return async (work) => {
    await client.query('BEGIN');
    try {
      const result = await work(rowsOf(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  };
}

/**
 * Archives every month partition of `spec.table` before `before` (`YYYY-MM`), oldest first, into `directory`. Rows of
 * such months that the default partition caught first move into partitions of their months, so they leave too.
 */
export async function archiveMonthsBefore(client: Client, spec: ArchivedTable, before: string, directory: string): Promise<MonthOutcome[]> {
  await fs.mkdir(directory, { recursive: true });
  const strays = await monthsInDefaultBefore(rowsOf(client), spec.table, before);
  if (strays.length) await prepareMonthPartitionsIn(transactionOf(client), rowsOf(client), spec.table, strays);
  const months = (await monthPartitions(rowsOf(client), spec.table)).filter((p) => p.month < before);
  const outcomes: MonthOutcome[] = [];
  for (const partition of months) outcomes.push(await archiveMonth(client, spec, partition, directory));
  return outcomes;
}

async function archiveMonth(client: Client, spec: ArchivedTable, partition: MonthPartition, directory: string): Promise<MonthOutcome> {
  const file = join(directory, archiveFileName(spec.table, partition.month));
  const p = ident(partition.name);
  const outcome = (rows: number, refused: string | null): MonthOutcome => ({ table: spec.table, month: partition.month, file, rows, refused });
  if (spec.keep) {
    const kept = Number((await client.query(`SELECT count(*) AS n FROM ${p} WHERE ${spec.keep.where}`)).rows[0].n);
    if (kept > 0) return outcome(0, `it holds ${kept} ${spec.keep.rows}; it can be archived once ${spec.keep.until}`);
  }
  let rows: number;
  if (await exists(file)) {
    // A run stopped between writing and dropping: the file stands if it holds the month, and is never overwritten.
    rows = await countLines(file);
    const count = Number((await client.query(`SELECT count(*) AS n FROM ${p}`)).rows[0].n);
    if (rows !== count) return outcome(0, `${file} already exists with ${rows} rows where the month holds ${count}: move it away and run again`);
  } else {
    rows = await writeMonth(client, p, spec.order, file);
    const reread = await countLines(file);
    if (reread !== rows) throw new Error(`${file} reads back ${reread} rows where ${rows} were written`);
  }
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
    await client.query(`ALTER TABLE ${ident(spec.table)} DETACH PARTITION ${p}`);
    // Under the detach's lock nothing can change any more: the file must hold exactly what is dropped.
    const count = Number((await client.query(`SELECT count(*) AS n FROM ${p}`)).rows[0].n);
    if (count !== rows) {
      await client.query('ROLLBACK');
      return outcome(0, `the month holds ${count} rows but ${file} ${rows} (rows came in while it was written): move the file away and run again`);
    }
    await client.query(`DROP TABLE ${p}`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
  return outcome(rows, null);
}

/** Streams the partition's rows into `file` through gzip, FETCH_ROWS at a time; answers how many it wrote. */
async function writeMonth(client: Client, partition: string, order: string, file: string): Promise<number> {
  const partial = `${file}.partial`;
  const gzip = createGzip();
  const written = pipeline(gzip, createWriteStream(partial));
  let rows = 0;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET LOCAL TimeZone = 'UTC'`);
    await client.query(`DECLARE archive_rows NO SCROLL CURSOR FOR SELECT row_to_json(t)::text AS line FROM ${partition} t ORDER BY ${order}`);
    for (;;) {
      const batch: Array<{ line: string }> = (await client.query(`FETCH ${FETCH_ROWS} FROM archive_rows`)).rows;
      if (!batch.length) break;
      rows += batch.length;
      if (!gzip.write(`${batch.map((r) => r.line).join('\n')}\n`)) await once(gzip, 'drain');
    }
    await client.query('COMMIT');
    gzip.end();
    await written;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    gzip.destroy(err as Error);
    await written.catch(() => undefined);
    await fs.rm(partial, { force: true });
    throw err;
  }
  const handle = await fs.open(partial, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(partial, file);
  return rows;
}

/** Lines of a gzip NDJSON file, read as a stream (JSON text never holds a raw newline). */
export async function countLines(file: string): Promise<number> {
  let lines = 0;
  await pipeline(createReadStream(file), createGunzip(), async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    }
  });
  return lines;
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
