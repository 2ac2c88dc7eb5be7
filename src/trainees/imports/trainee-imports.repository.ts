import { Injectable } from '@nestjs/common';
import type { Actor } from '../../common/auth/actor';
import type { Message } from '../../common/i18n/message';
import type { NewestFirstKey } from '../../common/pagination/pagination';
import { Db, Repository } from '../../database/repository';
import { returnedRows } from '../../database/transactions';
import type { ImportFormat } from '../import/row-reader';
import type { ImportStatus } from './trainee-import.rules';

export interface TraineeImportRow {
  id: string;
  brandId: string;
  actor: Actor;
  status: ImportStatus;
  format: ImportFormat;
  encoding: string | null;
  fileName: string | null;
  bytes: string;
  chunks: number;
  checkedBytes: string;
  totalRows: number | null;
  rowsDone: number;
  received: number;
  created: number;
  duplicates: number;
  rejected: number;
  failure: { code: string; message: Message } | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface ImportCheckpoint {
  rowsDone: number;
  received: number;
  created: number;
  duplicates: number;
  rejected: number;
}

export interface StoredImportError {
  row: number;
  field: string;
  code: string;
  message: Message;
}

const COLUMNS = `id, brand_id AS "brandId", actor, status, format, encoding, file_name AS "fileName", bytes, chunks, checked_bytes AS "checkedBytes", total_rows AS "totalRows",
  rows_done AS "rowsDone", received, created, duplicates, rejected, failure, created_at AS "createdAt", started_at AS "startedAt", finished_at AS "finishedAt"`;

/** Owner of trainee_imports, trainee_import_chunks and trainee_import_errors. */
@Injectable()
export class TraineeImportsRepository extends Repository {
  async insert(m: Db, row: { id: string; brandId: string; actor: Actor; format: ImportFormat; encoding: string | null; fileName: string | null; bytes: number; chunks: number }): Promise<void> {
    await m.query(
      `INSERT INTO trainee_imports (id, brand_id, actor, format, encoding, file_name, bytes, chunks) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [row.id, row.brandId, JSON.stringify(row.actor), row.format, row.encoding, row.fileName, row.bytes, row.chunks],
    );
  }

  async insertChunk(m: Db, importId: string, position: number, cipher: Buffer): Promise<void> {
    await m.query(`INSERT INTO trainee_import_chunks (import_id, position, cipher) VALUES ($1, $2, $3)`, [importId, position, cipher]);
  }

  async chunk(importId: string, position: number): Promise<Buffer | null> {
    const rows: Array<{ cipher: Buffer }> = await this.db().query(`SELECT cipher FROM trainee_import_chunks WHERE import_id = $1 AND position = $2`, [importId, position]);
    return rows[0]?.cipher ?? null;
  }

  async deleteChunks(m: Db | undefined, importId: string): Promise<void> {
    await this.db(m).query(`DELETE FROM trainee_import_chunks WHERE import_id = $1`, [importId]);
  }

  async find(id: string, m?: Db, lock = false): Promise<TraineeImportRow | null> {
    const rows: TraineeImportRow[] = await this.db(m).query(`SELECT ${COLUMNS} FROM trainee_imports WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0] ?? null;
  }

  listByBrand(brandId: string, after: NewestFirstKey | null, fetch: number): Promise<TraineeImportRow[]> {
    return this.db().query(
      `SELECT ${COLUMNS} FROM trainee_imports WHERE brand_id = $1 ${after ? 'AND (created_at, id) < ($3, $4)' : ''} ORDER BY created_at DESC, id DESC LIMIT $2`,
      after ? [brandId, fetch, after.at, after.id] : [brandId, fetch],
    );
  }

  /** Queued → running (a resumed one stays running); false when the import is no longer unfinished. */
  async start(id: string): Promise<boolean> {
    const rows: unknown[] = await this.db().query(
      `UPDATE trainee_imports SET status = 'running', started_at = coalesce(started_at, now()), updated_at = now()
        WHERE id = $1 AND status IN ('queued', 'running') RETURNING 1`,
      [id],
    );
    return returnedRows(rows).length > 0;
  }

  /** How far the first pass has read the stored file (its share of progress). */
  async setChecked(id: string, checkedBytes: number): Promise<void> {
    await this.db().query(`UPDATE trainee_imports SET checked_bytes = $2, updated_at = now() WHERE id = $1 AND status = 'running'`, [id, checkedBytes]);
  }

  async setFileFacts(id: string, facts: { totalRows: number; encoding: string | null }): Promise<void> {
    await this.db().query(`UPDATE trainee_imports SET total_rows = $2, checked_bytes = bytes, encoding = coalesce($3, encoding), updated_at = now() WHERE id = $1`, [id, facts.totalRows, facts.encoding]);
  }

  /** The batch's checkpoint, in the transaction that wrote it. */
  async checkpoint(m: Db, id: string, c: ImportCheckpoint): Promise<void> {
    await m.query(
      `UPDATE trainee_imports SET rows_done = $2, received = $3, created = $4, duplicates = $5, rejected = $6, updated_at = now() WHERE id = $1`,
      [id, c.rowsDone, c.received, c.created, c.duplicates, c.rejected],
    );
  }

  async insertErrors(m: Db, importId: string, errors: StoredImportError[]): Promise<void> {
    if (!errors.length) return;
    await m.query(
      `INSERT INTO trainee_import_errors (import_id, row, field, code, message)
       SELECT $1, u.row, u.field, u.code, u.message FROM unnest($2::int[], $3::text[], $4::text[], $5::jsonb[]) AS u(row, field, code, message)
       ON CONFLICT DO NOTHING`,
      [importId, errors.map((e) => e.row), errors.map((e) => e.field), errors.map((e) => e.code), errors.map((e) => JSON.stringify(e.message))],
    );
  }

  errorsAfter(importId: string, afterRow: number, limit: number): Promise<StoredImportError[]> {
    return this.db().query(`SELECT row, field, code, message FROM trainee_import_errors WHERE import_id = $1 AND row > $2 ORDER BY row LIMIT $3`, [importId, afterRow, limit]);
  }

  /** Ends an unfinished import; false when it had already ended. */
  async finish(m: Db | undefined, id: string, status: ImportStatus, failure: { code: string; message: Message } | null): Promise<boolean> {
    const rows: unknown[] = await this.db(m).query(
      `UPDATE trainee_imports SET status = $2, failure = $3, finished_at = now(), updated_at = now()
        WHERE id = $1 AND status IN ('queued', 'running') RETURNING id`,
      [id, status, failure === null ? null : JSON.stringify(failure)],
    );
    return returnedRows(rows).length > 0;
  }

  /** Unfinished imports nobody has moved for `staleSeconds`: their job was lost (Redis) and is queued again. */
  async stalled(staleSeconds: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.db().query(
      `SELECT id FROM trainee_imports WHERE status IN ('queued', 'running') AND updated_at < now() - make_interval(secs => $1) ORDER BY updated_at LIMIT 100`,
      [staleSeconds],
    );
    return rows.map((r) => r.id);
  }
}

