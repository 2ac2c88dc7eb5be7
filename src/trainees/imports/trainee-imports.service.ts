import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Readable } from 'node:stream';
import type { Actor } from '../../common/auth/actor';
import { PiiCipher } from '../../common/crypto/pii-cipher';
import { PII_CIPHER } from '../../common/crypto/pii.provider';
import type { Language } from '../../common/i18n/language';
import { msg, render } from '../../common/i18n/message';
import { uuidV7 } from '../../common/identifiers/uuid-v7';
import { csvRecord, UTF8_BOM } from '../../common/tabular/tabular-stream';
import { newestFirst, newestFirstPageOf, type Page, type PageQuery } from '../../common/pagination/pagination';
import { notFound, ProblemError } from '../../common/problems/problem';
import { Transactions } from '../../database/transactions';
import { AuditLog } from '../../audit/audit.service';
import type { ImportFileType } from '../import/import-body';
import { readRoster } from '../import/roster-reader';
import { ImportFileError } from '../import/row-reader';
import { parseRegistration } from '../registration';
import { TraineeCopyBatch } from '../trainees.repository';
import { TraineesService } from '../trainees.service';
import { countLineBreaks, IMPORT_BATCH_MS, IMPORT_BATCH_ROWS, IMPORT_CHUNK_BYTES, importChunkContext, importProgress, isUnfinished, MAX_IMPORT_ROWS } from './trainee-import.rules';
import { TraineeImportsRepository, type ImportCheckpoint, type StoredImportError, type TraineeImportRow } from './trainee-imports.repository';
import type { TraineeImportView } from './trainee-import.dto';

/** The import ended or moved on elsewhere (cancelled, finished by another worker): this run stops, writing nothing more. */
class ImportStopped extends Error {}

/** Starts a run of an import (the job queue); given by the module so that this service does not know BullMQ. */
export const IMPORT_RUNS = Symbol('IMPORT_RUNS');
export interface ImportRuns {
  queue(importId: string): Promise<void>;
}

/**
 * Import jobs (API.md, Import jobs): the file is stored encrypted, in chunks, then a worker reads it twice: once to
 * check that it is a readable file (counting its rows), then to write it in batches, each committed with its
 * checkpoint (rows done and counters) in one transaction, so a run that dies resumes after the last committed row
 * with nothing lost or written twice.
 */
@Injectable()
export class TraineeImportsService {
  private readonly logger = new Logger(TraineeImportsService.name);

  constructor(
    private readonly imports: TraineeImportsRepository,
    private readonly trainees: TraineesService,
    private readonly transactions: Transactions,
    private readonly audit: AuditLog,
    @Inject(PII_CIPHER) private readonly cipher: PiiCipher,
    @Inject(IMPORT_RUNS) private readonly runs: ImportRuns,
  ) {}

  present(row: TraineeImportRow, language: Language): TraineeImportView {
    return {
      id: row.id,
      brandId: row.brandId,
      status: row.status,
      format: row.format,
      encoding: row.encoding,
      fileName: row.fileName,
      bytes: Number(row.bytes),
      progress: importProgress(row.status, { checkedBytes: Number(row.checkedBytes), bytes: Number(row.bytes), rowsDone: row.rowsDone, totalRows: row.totalRows }),
      received: row.received,
      created: row.created,
      duplicates: row.duplicates,
      rejected: row.rejected,
      createdAt: row.createdAt.toISOString(),
      startedAt: row.startedAt?.toISOString() ?? null,
      finishedAt: row.finishedAt?.toISOString() ?? null,
      failure: row.failure ? { code: row.failure.code, message: render(row.failure.message, language) } : null,
    };
  }

  /**
   * Stores the streamed file (encrypted, a chunk at a time) and the queued import in one transaction, then queues
   * its run. Beyond MAX_IMPORT_ROWS line breaks (CSV, NDJSON) or the byte limit: 413, nothing stored.
   */
  async create(actor: Actor, brandId: string, body: Readable, file: ImportFileType, fileName: string | null): Promise<TraineeImportRow> {
    const id = uuidV7();
    await this.transactions.run(async (m) => {
      await this.trainees.operatedOpenBrand(actor, brandId, m);
      let position = 0;
      let bytes = 0;
      let lines = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const store = async (): Promise<void> => {
        if (pendingBytes === 0) return;
        const plain = Buffer.concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
        await this.imports.insertChunk(m, id, position, this.cipher.encryptBytes(plain, importChunkContext(id, position)));
        position++;
      };
      for await (const chunk of body as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        if (file.format !== 'xlsx') {
          lines += countLineBreaks(chunk);
          if (lines > MAX_IMPORT_ROWS + 1) throw new ProblemError('PAYLOAD_TOO_LARGE', msg('import.tooManyRows', { rows: MAX_IMPORT_ROWS }));
        }
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= IMPORT_CHUNK_BYTES) await store();
      }
      await store();
      await this.imports.insert(m, { id, brandId, actor, format: file.format, encoding: file.format === 'ndjson' ? 'utf-8' : (file.charset ?? null), fileName, bytes, chunks: position });
      await this.audit.record(m, actor, { action: 'trainee.import_job.create', objectType: 'trainee_import', objectId: id, brandId, details: { format: file.format, bytes } });
    });
    // Lost (Redis away)? The sweeper queues unfinished imports nobody moves.
    await this.runs.queue(id).catch(() => undefined);
    return (await this.imports.find(id))!;
  }

  /** An import the caller may see: the operator of its brand (others: 404, or 403 where the brand is visible). */
  async get(actor: Actor, id: string): Promise<TraineeImportRow> {
    const row = await this.imports.find(id);
    if (!row) throw notFound(msg('object.traineeImport'));
    try {
      await this.trainees.requireOperator(actor, row.brandId);
    } catch (err) {
      if (err instanceof ProblemError) throw notFound(msg('object.traineeImport'));
      throw err;
    }
    return row;
  }

  async list(actor: Actor, brandId: string, query: PageQuery, language: Language): Promise<Page<TraineeImportView>> {
    await this.trainees.requireOperator(actor, brandId);
    const page = newestFirst(query);
    const rows = await this.imports.listByBrand(brandId, page.after, page.fetch);
    return newestFirstPageOf(rows, page, (r) => r.createdAt, (r) => this.present(r, language));
  }

  /** Stops a queued or running import: rows already written stay and are counted; the stored file goes. */
  async cancel(actor: Actor, id: string): Promise<TraineeImportRow> {
    const row = await this.get(actor, id);
    await this.transactions.run(async (m) => {
      const locked = await this.imports.find(id, m, true);
      if (!locked || !isUnfinished(locked.status)) throw new ProblemError('INVALID_TRANSITION', msg('importJob.finished', { status: row.status }));
      await this.imports.finish(m, id, 'cancelled', null);
      await this.imports.deleteChunks(m, id);
      await this.audit.record(m, actor, { action: 'trainee.import_job.cancel', objectType: 'trainee_import', objectId: id, brandId: row.brandId });
    });
    return (await this.imports.find(id))!;
  }

  /** The error report: a BOM, the header, then every rejected row's errors, in pages, messages in `language`. */
  async *errorReport(id: string, language: Language): AsyncGenerator<string> {
    yield UTF8_BOM + csvRecord(['row', 'field', 'code', 'message']);
    let after = 0;
    for (;;) {
      const page = await this.imports.errorsAfter(id, after, 5000);
      if (page.length === 0) return;
      yield page.map((e) => csvRecord([e.row, e.field, e.code, render(e.message, language)])).join('');
      after = page[page.length - 1].row;
    }
  }

  // ------------------------------------------------------------------------------------------------ the worker

  /** Runs (or resumes) an import to its end; idempotent, and safe beside another run of the same import. */
  async run(id: string): Promise<void> {
    let row = await this.imports.find(id);
    if (!row || !isUnfinished(row.status)) return;
    if (!(await this.imports.start(id))) return;
    try {
      if (row.totalRows === null) {
        if (!(await this.check(row))) return;
        row = (await this.imports.find(id))!;
      }
      await this.write(row);
    } catch (err) {
      if (err instanceof ImportStopped) return;
      throw err;
    }
  }

  /** The first pass: is it a readable file, and how many rows. An unreadable one ends failed, nothing written. */
  private async check(row: TraineeImportRow): Promise<boolean> {
    let rows = 0;
    let encoding: string | null = row.encoding;
    let checkedBytes = 0;
    let reported = Date.now();
    const counted = async function* (file: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
      for await (const chunk of file) {
        checkedBytes += chunk.length;
        yield chunk;
      }
    };
    try {
      for await (const _ of readRoster(counted(this.storedFile(row)), { format: row.format, charset: row.encoding === 'gb18030' || row.encoding === 'utf-8' ? row.encoding : undefined, onEncoding: (e) => (encoding = e) })) {
        rows++;
        // Progress moves during the check too (a million rows take seconds to read).
        if (Date.now() - reported >= IMPORT_BATCH_MS) {
          reported = Date.now();
          await this.imports.setChecked(row.id, checkedBytes);
        }
        if (rows > MAX_IMPORT_ROWS) {
          await this.fail(row, 'PAYLOAD_TOO_LARGE', msg('import.tooManyRows', { rows: MAX_IMPORT_ROWS }));
          return false;
        }
      }
    } catch (err) {
      if (!(err instanceof ImportFileError)) throw err;
      await this.fail(row, 'INVALID_IMPORT_FILE', err.reason);
      return false;
    }
    await this.imports.setFileFacts(row.id, { totalRows: rows, encoding: row.format === 'csv' ? encoding : row.encoding });
    return true;
  }

  private async fail(row: TraineeImportRow, code: string, message: import('../../common/i18n/message').Message): Promise<void> {
    await this.transactions.run(async (m) => {
      await this.imports.finish(m, row.id, 'failed', { code, message });
      await this.imports.deleteChunks(m, row.id);
    });
  }

  /** The second pass: rows after the checkpoint, in batches committed with their checkpoint. */
  private async write(row: TraineeImportRow): Promise<void> {
    const today = new Date();
    const counters: ImportCheckpoint = { rowsDone: row.rowsDone, received: row.received, created: row.created, duplicates: row.duplicates, rejected: row.rejected };
    let registrations = new TraineeCopyBatch();
    let errors: StoredImportError[] = [];
    let lastRow = row.rowsDone;
    let gathering = Date.now();

    const commit = async (): Promise<void> => {
      const batch = registrations;
      const batchErrors = errors;
      const expected = counters.rowsDone;
      const next: ImportCheckpoint = { ...counters, rowsDone: lastRow, received: counters.received + batch.size + batchErrors.length, rejected: counters.rejected + batchErrors.length };
      await this.transactions.run(async (m) => {
        const locked = await this.imports.find(row.id, m, true);
        // Cancelled, ended, or moved on by another run of the same import: this batch is not ours to write.
        if (!locked || locked.status !== 'running' || locked.rowsDone !== expected) throw new ImportStopped();
        const written = await this.trainees.registerImported(m, row.actor, row.brandId, batch);
        next.created += written.created;
        next.duplicates += written.duplicates;
        await this.imports.insertErrors(m, row.id, batchErrors);
        await this.imports.checkpoint(m, row.id, next);
      });
      Object.assign(counters, next);
      registrations = new TraineeCopyBatch();
      errors = [];
      gathering = Date.now();
    };

    const charset = row.encoding === 'gb18030' || row.encoding === 'utf-8' ? row.encoding : undefined;
    try {
      for await (const item of readRoster(this.storedFile(row), { format: row.format, charset })) {
        if (item.row <= row.rowsDone) continue;
        lastRow = item.row;
        if ('error' in item) errors.push({ row: item.row, ...item.error });
        else {
          const parsed = parseRegistration(item.fields, today);
          if (parsed.ok) this.trainees.importBatchRow(registrations, parsed.value);
          else errors.push({ row: item.row, ...parsed.error });
        }
        if (registrations.size + errors.length >= IMPORT_BATCH_ROWS || Date.now() - gathering >= IMPORT_BATCH_MS) await commit();
      }
      if (registrations.size + errors.length > 0) await commit();
    } catch (err) {
      // The check pass read this file through; failing now means it changed under us (a key rotation cannot do that).
      if (err instanceof ImportFileError) {
        this.logger.error(`import ${row.id}: the stored file became unreadable after its check`);
        await this.fail(row, 'INVALID_IMPORT_FILE', err.reason);
        return;
      }
      throw err;
    }
    await this.transactions.run(async (m) => {
      const locked = await this.imports.find(row.id, m, true);
      if (!locked || locked.status !== 'running' || locked.rowsDone !== counters.rowsDone) return;
      await this.imports.finish(m, row.id, 'succeeded', null);
      await this.imports.deleteChunks(m, row.id);
      await this.audit.record(m, row.actor, {
        action: 'trainee.import',
        objectType: 'brand',
        objectId: row.brandId,
        brandId: row.brandId,
        details: { format: row.format, importId: row.id, received: counters.received, created: counters.created, duplicates: counters.duplicates, rejected: counters.rejected },
      });
    });
  }

  /** The stored file, decrypted a chunk at a time; a chunk gone (the import was cancelled) stops the run. */
  private async *storedFile(row: TraineeImportRow): AsyncGenerator<Buffer> {
    for (let position = 0; position < row.chunks; position++) {
      const cipher = await this.imports.chunk(row.id, position);
      if (!cipher) throw new ImportStopped();
      yield this.cipher.decryptBytes(cipher, importChunkContext(row.id, position));
    }
  }

  /** Imports nobody has moved for a while (their job lost with Redis, or dead-lettered): queued again. */
  async requeueStalled(staleSeconds: number): Promise<number> {
    const ids = await this.imports.stalled(staleSeconds);
    for (const id of ids) await this.runs.queue(id);
    return ids.length;
  }
}
