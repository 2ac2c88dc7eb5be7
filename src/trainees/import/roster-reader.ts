/**
 * The rows of a roster file as register bodies, whatever the file: CSV in UTF-8 or GB18030/GBK, .xlsx, NDJSON,
 * English or Chinese headers (API.md, Trainees "Import"). Shared by the synchronous import route and the import
 * jobs' worker: row-reader.ts reads the file, roster-columns.ts says what its columns mean, and this module joins
 * the two and settles the text encoding. Each yielded row is ready for parseRegistration, or carries the one
 * problem that stops it.
 */
import * as iconv from 'iconv-lite';
import { msg } from '../../common/i18n/message';
import { REGISTRATION_FIELDS, REQUIRED_REGISTRATION_FIELDS } from '../registration';
import type { ImportCharset } from './import-body';
import { normaliseIdentityCell, planRosterHeader, rosterRowFields, type RosterHeader } from './roster-columns';
import { ImportFileError, readImportRows, type ImportFormat, type ImportSource } from './row-reader';

export interface RosterRowError {
  field: string;
  code: string;
  message: import('../../common/i18n/message').Message;
}

export type RosterRow = { row: number; fields: Record<string, unknown> } | { row: number; error: RosterRowError };

/** How much of a CSV without a declared charset is looked at to tell UTF-8 from GB18030. */
export const SNIFF_BYTES = 64 * 1024;

export interface RosterFile {
  format: ImportFormat;
  /** The declared charset of a CSV; undefined: sniffed (a BOM or valid UTF-8 means UTF-8, else GB18030). */
  charset?: ImportCharset;
  /** Told the encoding a CSV was read in, once it is settled (an import job records it). */
  onEncoding?: (encoding: ImportCharset) => void;
}

export async function* readRoster(source: ImportSource, file: RosterFile): AsyncGenerator<RosterRow> {
  const turn = eventLoopTurns();
  if (file.format === 'ndjson') {
    for await (const row of readImportRows(source, 'ndjson', { requiredColumns: [...REQUIRED_REGISTRATION_FIELDS], knownColumns: [...REGISTRATION_FIELDS] })) {
      await turn();
      if ('error' in row) yield row;
      else yield { row: row.row, fields: ndjsonFields(row.fields) };
    }
    return;
  }
  let header: RosterHeader | undefined;
  let keys: string[] = [];
  const planHeader = (cells: string[]): string[] => {
    const plan = planRosterHeader(cells);
    if (!plan.ok) throw new ImportFileError(msg('import.header', { problems: plan.problems, columns: msg('import.rosterColumns') }));
    header = plan.header;
    // Keys by position, so that the cells come back in the header's order whatever their names.
    keys = cells.map((_, index) => String(index));
    return keys;
  };
  const body = file.format === 'csv' ? decodeCsv(source, file.charset, file.onEncoding) : source;
  for await (const row of readImportRows(body, file.format, { requiredColumns: [], knownColumns: [], header: planHeader })) {
    await turn();
    if ('error' in row) {
      yield row;
      continue;
    }
    const cells = keys.map((key) => row.fields[key] as string | number | undefined);
    const result = rosterRowFields(header as RosterHeader, cells);
    yield result.ok ? { row: row.row, fields: result.fields } : { row: row.row, error: { field: result.field, code: result.code, message: result.message } };
  }
}

/** How long a reader may hold the event loop before the process's other requests get a turn. */
const TURN_MS = 10;

/**
 * The rows of a file chunk, and their checking and encryption by the caller, run in promise callbacks, which no
 * I/O can interrupt: a 64 KiB chunk is a thousand rows. Awaited before each row, this yields to the event loop once
 * TURN_MS has passed, so that an import (its worker beside the API in one process) leaves other requests their
 * latency (`GET /v1/brands/:id` p99 < 50 ms while an import runs, issue 13).
 */
function eventLoopTurns(): () => Promise<void> | undefined {
  let since = performance.now();
  return () => {
    if (performance.now() - since < TURN_MS) return undefined;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        since = performance.now();
        resolve();
      }),
    );
  };
}

/**
 * An NDJSON line is a register body, but it is still a file's cell: the identity number and phone are
 * NFKC-normalised and trimmed as in CSV, other strings trimmed. Values of other types are left for validation.
 */
function ndjsonFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value !== 'string') out[key] = value;
    else if (key === 'nationalId' || key === 'phone') out[key] = normaliseIdentityCell(value);
    else out[key] = value.trim();
  }
  return out;
}

/**
 * A CSV's bytes as UTF-8, decoded as it streams. Declared: as declared. Otherwise the first SNIFF_BYTES decide:
 * a UTF-8 BOM or valid UTF-8 (a character cut at the end of the sniffed bytes is fine) means UTF-8, passed on as it
 * is so that the reader still refuses a broken byte further on; anything else is GB18030, what Excel writes on
 * Chinese Windows, and GB18030 decodes every byte sequence.
 */
export async function* decodeCsv(source: ImportSource, declared: ImportCharset | undefined, onEncoding?: (encoding: ImportCharset) => void): AsyncGenerator<Buffer> {
  const chunks = bufferChunks(source);
  let encoding = declared;
  const held: Buffer[] = [];
  if (encoding === undefined) {
    let size = 0;
    for (;;) {
      const next = await chunks.next();
      if (next.done) break;
      held.push(next.value);
      size += next.value.length;
      if (size >= SNIFF_BYTES) break;
    }
    encoding = sniffEncoding(Buffer.concat(held));
  }
  onEncoding?.(encoding);
  if (encoding === 'utf-8') {
    yield* held;
    yield* chunks;
    return;
  }
  const decoder = iconv.getDecoder('gb18030');
  for (const chunk of held) yield Buffer.from(decoder.write(chunk), 'utf8');
  for await (const chunk of chunks) yield Buffer.from(decoder.write(chunk), 'utf8');
  const tail = decoder.end();
  if (tail) yield Buffer.from(tail, 'utf8');
}

/** UTF-8 for a BOM, a UTF-16 BOM (so that the reader names the real problem) or valid UTF-8; else GB18030. */
export function sniffEncoding(prefix: Buffer): ImportCharset {
  if (prefix[0] === 0xef && prefix[1] === 0xbb && prefix[2] === 0xbf) return 'utf-8';
  if ((prefix[0] === 0xff && prefix[1] === 0xfe) || (prefix[0] === 0xfe && prefix[1] === 0xff)) return 'utf-8';
  try {
    // stream: true lets a character cut by the end of the prefix pass; only a wrong byte throws.
    new TextDecoder('utf-8', { fatal: true }).decode(prefix, { stream: true });
    return 'utf-8';
  } catch {
    return 'gb18030';
  }
}

async function* bufferChunks(source: ImportSource): AsyncGenerator<Buffer> {
  for await (const chunk of source as AsyncIterable<Buffer | Uint8Array | string>) {
    if (typeof chunk === 'string') yield Buffer.from(chunk, 'utf8');
    else if (Buffer.isBuffer(chunk)) yield chunk;
    else yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
}
