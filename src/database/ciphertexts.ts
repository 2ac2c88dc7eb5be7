import type { DataSource } from 'typeorm';
import { inTransaction } from './transactions';

/**
 * Re-encryption of values stored encrypted, for key rotation (`npm run pii:reencrypt`). Each table's owner
 * describes its encrypted columns (an `EncryptedTable`); this runs the batches, knowing no product.
 *
 * A value's first bytes name the key it is under (the cipher's header), so the values still due are found by
 * comparing those bytes with the current key's: progress lives in the data itself, and a run that is stopped
 * resumes by running again.
 */

export interface EncryptedColumn {
  column: string;
  /** The associated data the value was encrypted with, from the row's key and `contextColumns`. */
  context: (row: Record<string, unknown>) => string;
}

export interface EncryptedTable {
  table: string;
  /** The primary key, with each column's Postgres type: batches walk the table in this order. */
  key: ReadonlyArray<{ column: string; type: string }>;
  columns: readonly EncryptedColumn[];
  /** Other columns the contexts are made of. */
  contextColumns?: readonly string[];
  /** A column that records the key of the row's ciphertexts, kept in step. */
  keyIdColumn?: string;
}

/** What the runner needs of the cipher (PiiCipher). */
export interface Rekeyer {
  readonly currentKeyId: string;
  readonly currentHeaderBytes: Buffer;
  reencrypt(blob: Buffer, context: string): Buffer;
}

const ident = (name: string): string => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain identifier: ${name}`);
  return `"${name}"`;
};

/** `col IS NOT NULL AND its header is not the current key's`, for each encrypted column. */
function staleSql(t: EncryptedTable, header: string, headerLength: string): string {
  return `(${t.columns.map(({ column }) => `substring(${ident(column)} FROM 1 FOR ${headerLength}) <> ${header}`).join(' OR ')})`;
}

/** How many rows hold a value not under the current key. */
export async function countStale(dataSource: DataSource, t: EncryptedTable, rekeyer: Rekeyer): Promise<number> {
  const [row] = await dataSource.query(`SELECT count(*)::int AS n FROM ${ident(t.table)} WHERE ${staleSql(t, '$1', '$2')}`, [
    rekeyer.currentHeaderBytes,
    rekeyer.currentHeaderBytes.length,
  ]);
  return row.n;
}

/** The values of a table by the key they are under: what a key's retirement waits for. */
export async function valuesByKey(dataSource: DataSource, t: EncryptedTable): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const { column } of t.columns) {
    const c = ident(column);
    const rows: Array<{ key: string; n: number }> = await dataSource.query(
      `SELECT convert_from(substring(${c} FROM 3 FOR get_byte(${c}, 1)), 'SQL_ASCII') AS key, count(*)::int AS n
         FROM ${ident(t.table)} WHERE ${c} IS NOT NULL GROUP BY 1`,
    );
    for (const r of rows) counts[r.key] = (counts[r.key] ?? 0) + r.n;
  }
  return counts;
}

/**
 * Re-encrypts the next `limit` rows after `after` (a key tuple, null to start) that hold a value not under the
 * current key, in one transaction: the rows are locked, so a concurrent write to one waits and is never lost.
 * Answers how many rows were rewritten and the last key seen (null when the table is done).
 */
export async function reencryptBatch(
  dataSource: DataSource,
  t: EncryptedTable,
  rekeyer: Rekeyer,
  after: unknown[] | null,
  limit: number,
): Promise<{ rewritten: number; last: unknown[] | null }> {
  const keys = t.key.map((k) => ident(k.column));
  const tuple = (values: string[]): string => `(${values.join(', ')})`;
  const params: unknown[] = [rekeyer.currentHeaderBytes, rekeyer.currentHeaderBytes.length, limit];
  const afterSql = after ? ` AND ${tuple(keys)} > ${tuple(t.key.map((k, i) => `$${params.push(after[i])}::${k.type}`))}` : '';
  const selected = [...t.key.map((k) => k.column), ...(t.contextColumns ?? []), ...t.columns.map((c) => c.column)];
  return inTransaction(dataSource, async (m) => {
    const rows: Array<Record<string, unknown>> = await m.query(
      `SELECT ${selected.map((c) => `${ident(c)} AS ${ident(c)}`).join(', ')} FROM ${ident(t.table)}
        WHERE ${staleSql(t, '$1', '$2')}${afterSql}
        ORDER BY ${keys.join(', ')} LIMIT $3 FOR UPDATE`,
      params,
    );
    if (rows.length === 0) return { rewritten: 0, last: null };
    const columns = t.columns.map(({ column, context }) =>
      rows.map((row) => {
        const blob = row[column] as Buffer | null;
        return blob === null ? null : rekeyer.reencrypt(blob, context(row));
      }),
    );
    const update: unknown[] = [...t.key.map((k) => rows.map((r) => r[k.column])), ...columns];
    const unnest = [...t.key.map((k, i) => `$${i + 1}::${k.type}[]`), ...t.columns.map((_, i) => `$${t.key.length + i + 1}::bytea[]`)];
    const names = [...t.key.map((k) => ident(k.column)), ...t.columns.map((c) => ident(c.column))];
    const sets = t.columns.map((c) => `${ident(c.column)} = v.${ident(c.column)}`);
    if (t.keyIdColumn) sets.push(`${ident(t.keyIdColumn)} = $${update.push(rekeyer.currentKeyId)}`);
    await m.query(
      `UPDATE ${ident(t.table)} AS t SET ${sets.join(', ')}
         FROM unnest(${unnest.join(', ')}) AS v(${names.join(', ')})
        WHERE ${keys.map((k) => `t.${k} = v.${k}`).join(' AND ')}`,
      update,
    );
    const lastRow = rows[rows.length - 1];
    return { rewritten: rows.length, last: t.key.map((k) => lastRow[k.column]) };
  });
}
