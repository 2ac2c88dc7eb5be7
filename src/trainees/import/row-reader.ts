/**
 * Streaming reader of bulk import bodies (CSV or NDJSON), one row at a time: the first stage of
 * `POST /v1/brands/:brandId/trainees/import`. It knows files, not trainees: validating what a row says (the
 * identity number's checksum, target groups, …) is the caller's job, done with the same rules as a single
 * registration.
 *
 * Two kinds of failure, because API.md distinguishes them:
 * - `ImportFileError` (thrown): the body is not a readable file at all (400 INVALID_IMPORT_FILE, nothing
 *   written): not UTF-8, empty, a CSV header that lacks a required column or has an unknown, empty or duplicate
 *   one, a CSV record longer than `maxRowBytes`.
 * - a row with `error` (yielded): that row is reported and skipped, reading goes on. Codes: `MALFORMED_ROW`
 *   (a CSV record with misplaced quotes or the wrong number of fields; an NDJSON line that is not a JSON object),
 *   `UNKNOWN_FIELD` (an NDJSON key that is not a known column), `ROW_TOO_LONG` (an NDJSON line over
 *   `maxRowBytes`). `field` is '' when the error concerns the row as a whole.
 *
 * Header problems and invalid UTF-8 in the first chunk are thrown before any row is yielded. Invalid UTF-8 further
 * on, or an over-long CSV record, can only be seen when reading reaches it, after earlier rows have been yielded:
 * the caller must then undo what it wrote for those rows (one transaction for the whole import does that), since
 * the API promises that nothing is written for an unreadable file.
 *
 * Rows are numbered from 1 in the order they occur; the CSV header is not a row. Blank lines, and CSV records
 * whose fields are all empty or whitespace (what spreadsheets write for an empty row), are skipped and not
 * counted: they are neither received nor rejected.
 *
 * Fields: CSV values are strings, and an empty cell is `undefined` (CSV cannot tell "empty" from "not given",
 * and an empty optional phone must not be rejected as a malformed phone number); only the header's columns are
 * present. NDJSON values are passed through as JSON.parse returns them (`unknown`), not stringified: whether
 * `expectedMonthlySalaryFen` is the number 500000 or the string "500000" is for validation to judge. Keys missing
 * from an NDJSON line are likewise for validation to report, as for a single registration.
 *
 * Memory stays flat however large the body: this is an async generator that pulls the next chunk only when the
 * consumer asks for more rows (back-pressure), keeps no more than one record (at most `maxRowBytes` plus one
 * 16 KiB slice) and never the whole body.
 */

import { Parser } from 'csv-parse';
import * as ExcelJS from 'exceljs';
import { Readable } from 'node:stream';
import { msg, render, type Message } from '../../common/i18n/message';
import { ProblemError } from '../../common/problems/problem';

export type ImportFormat = 'csv' | 'ndjson' | 'xlsx';

/**
 * CSV cells are strings; .xlsx cells are strings or, where the sheet stores a number, that number (so that an
 * identity number Excel turned into a number, its last digits already lost, can be told from one typed as text).
 */
export type CsvFields = Record<string, string | number | undefined>;
export type NdjsonFields = Record<string, unknown>;

export type ImportRowErrorCode = 'MALFORMED_ROW' | 'UNKNOWN_FIELD' | 'ROW_TOO_LONG';

export interface ImportRowError {
  field: string;
  code: ImportRowErrorCode;
  message: Message;
}

export type ImportRow<Fields = CsvFields | NdjsonFields> =
  | { row: number; fields: Fields }
  | { row: number; error: ImportRowError };

export interface ImportReadOptions {
  /** CSV: columns the header must contain. (NDJSON: missing keys are left to row validation.) */
  requiredColumns: readonly string[];
  /** Every column (CSV) or key (NDJSON) that may appear; anything else is rejected. */
  knownColumns: readonly string[];
  /** Longest record or line accepted, in bytes of UTF-8; default 64 KiB. */
  maxRowBytes?: number;
  /**
   * CSV and .xlsx: reads the header row instead of the known/required check, returning the key each position's
   * cells are given under (or throwing ImportFileError). The roster's Chinese headers are read this way.
   */
  header?: (cells: string[]) => string[];
}

export type ImportSource = NodeJS.ReadableStream | AsyncIterable<Buffer | Uint8Array | string>;

/** The body is not a readable import file; the reason says why and is safe to show to the uploader. */
export class ImportFileError extends Error {
  override readonly name = 'ImportFileError';
  constructor(readonly reason: Message) {
    super(render(reason, 'en'));
  }
}

/** A register body is a few hundred bytes; a row this long is a broken file (or an attack), not data. */
export const DEFAULT_MAX_ROW_BYTES = 64 * 1024;

/**
 * The CSV parser is fed at most this much at a time, so that a record which never ends (an unclosed quote
 * swallowing the rest of the body) is noticed within this many bytes of passing `maxRowBytes`.
 */
const SLICE_BYTES = 16 * 1024;

/**
 * Names are echoed in messages only when they look like field names. A heading that does not is most often a
 * data row standing where the header should be, that is someone's name or identity number, which must not end
 * up in a response that may be stored or logged.
 */
const FIELD_NAME_LIKE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;


export function readImportRows(
  source: ImportSource,
  format: 'csv',
  options: ImportReadOptions,
): AsyncGenerator<ImportRow<CsvFields>>;
export function readImportRows(
  source: ImportSource,
  format: 'ndjson',
  options: ImportReadOptions,
): AsyncGenerator<ImportRow<NdjsonFields>>;
export function readImportRows(source: ImportSource, format: 'xlsx', options: ImportReadOptions): AsyncGenerator<ImportRow<CsvFields>>;
export function readImportRows(source: ImportSource, format: ImportFormat, options: ImportReadOptions): AsyncGenerator<ImportRow>;
export function readImportRows(source: ImportSource, format: ImportFormat, options: ImportReadOptions): AsyncGenerator<ImportRow> {
  // Checked here rather than inside the generators so that a programming error surfaces at the call, not at
  // the first row.
  const maxRowBytes = options.maxRowBytes ?? DEFAULT_MAX_ROW_BYTES;
  if (!Number.isSafeInteger(maxRowBytes) || maxRowBytes < 1) {
    throw new RangeError(`maxRowBytes must be a positive integer, got ${maxRowBytes}`);
  }
  const known = new Set(options.knownColumns);
  const unknownRequired = options.requiredColumns.filter((column) => !known.has(column));
  if (unknownRequired.length > 0) {
    throw new RangeError(`required columns must be known columns: ${unknownRequired.join(', ')}`);
  }
  const columns: ColumnRules = { known, knownList: options.knownColumns, required: options.requiredColumns, header: options.header };
  switch (format) {
    case 'csv':
      return readCsvRows(chunksOf(source), columns, maxRowBytes);
    case 'xlsx':
      return readXlsxRows(source, columns, maxRowBytes);
    case 'ndjson':
      return readNdjsonRows(chunksOf(source), known, maxRowBytes);
    default:
      throw new RangeError(`unknown import format '${String(format)}'`);
  }
}

interface ColumnRules {
  known: ReadonlySet<string>;
  knownList: readonly string[];
  required: readonly string[];
  header?: (cells: string[]) => string[];
}

// ---------------------------------------------------------------------------------------------------- CSV

/** Pushed into the parser's output by `on_skip`, in order among the records. */
class UnparsableRecord {
  constructor(readonly code: string | undefined) {}
}

interface ParsedRecord {
  record: string[];
  /** The record's text as it appeared in the body, up to the first character of its line break. */
  raw: string;
}

/**
 * csv-parse is run with quotes and column counts relaxed, and every record is then checked strictly here,
 * so nothing is accepted silently. Why not let csv-parse reject bad records itself (`skip_records_with_error`)?
 * It reports one error per misplaced quote, several for one record, and nothing when a bad record ends, so the
 * row numbers of everything after it could not be kept right; and after a bad closing quote it stays inside the
 * quoted field, swallowing the following lines. Relaxed, it ends a record with bad quotes at the end of its
 * line, and the raw text lets this reader judge each record exactly once. The one error still raised (a quote
 * open at the end of the body) arrives through `on_skip`.
 */
async function* readCsvRows(
  chunks: AsyncIterable<Buffer>,
  columns: ColumnRules,
  maxRowBytes: number,
): AsyncGenerator<ImportRow<CsvFields>> {
  const parser: Parser = new Parser({
    bom: true,
    raw: true,
    relax_quotes: true,
    relax_column_count: true,
    // Empty lines come through as records (and are skipped below) rather than being skipped by the parser,
    // which would keep appending them to the raw text of the next record: a body of blank lines would then
    // grow one buffer without limit.
    skip_empty_lines: false,
    skip_records_with_error: true,
    // Explicit, rather than guessed from the first line, so that a hand-edited file mixing line endings
    // does not glue records together.
    record_delimiter: ['\r\n', '\n', '\r'],
    on_skip: (error) => {
      parser.push(new UnparsableRecord(error?.code));
      return undefined;
    },
  });
  // A stream error nobody listens to would crash the process; failures are read from `parser.errored` instead.
  parser.on('error', () => undefined);

  const utf8 = new Utf8Check();
  const reader = new CsvRecordReader(columns, maxRowBytes);
  let bytesWithoutRecord = 0;

  try {
    for await (const chunk of chunks) {
      utf8.check(chunk);
      for (let offset = 0; offset < chunk.length; offset += SLICE_BYTES) {
        const slice = chunk.subarray(offset, offset + SLICE_BYTES);
        // Parsing happens synchronously inside write(), and everything it produced is read out below before
        // the next write, so the parser never holds more than one slice's records.
        parser.write(slice);
        if (parser.errored) throw parser.errored;
        let recordEnded = false;
        for (let item = parser.read() as unknown; item !== null; item = parser.read() as unknown) {
          recordEnded = true;
          const row = reader.accept(item as ParsedRecord | UnparsableRecord);
          if (row !== undefined) yield row;
        }
        // A record ending in this slice means the one being read began in it; otherwise the whole slice
        // belongs to the record still open. Counting only whole slices never overestimates its length.
        bytesWithoutRecord = recordEnded ? 0 : bytesWithoutRecord + slice.length;
        if (bytesWithoutRecord > maxRowBytes) reader.tooLong();
      }
    }
    utf8.end();
    parser.end();
    for await (const item of parser) {
      const row = reader.accept(item as ParsedRecord | UnparsableRecord);
      if (row !== undefined) yield row;
    }
    reader.end();
  } finally {
    parser.destroy();
  }
}

class CsvRecordReader {
  private header: string[] | undefined;
  private row = 0;

  constructor(
    private readonly columns: ColumnRules,
    private readonly maxRowBytes: number,
  ) {}

  accept(item: ParsedRecord | UnparsableRecord): ImportRow<CsvFields> | undefined {
    if (item instanceof UnparsableRecord) {
      if (this.header === undefined) {
        throw new ImportFileError(msg('import.headerQuote'));
      }
      this.row += 1;
      return { row: this.row, error: malformed(msg('import.rowQuote')) };
    }

    const { record, raw } = item;
    if (isBlankRecord(record)) return undefined;
    if (utf8LengthExceeds(raw, this.maxRowBytes)) this.tooLong();

    if (this.header === undefined) {
      if (!hasWellFormedQuotes(raw)) {
        throw new ImportFileError(msg('import.headerQuotes'));
      }
      this.header = this.columns.header ? this.columns.header(record) : checkHeader(record, this.columns);
      return undefined;
    }

    this.row += 1;
    if (!hasWellFormedQuotes(raw)) {
      return {
        row: this.row,
        error: malformed(msg('import.rowQuotes')),
      };
    }
    if (record.length !== this.header.length) {
      return {
        row: this.row,
        error: malformed(msg('import.rowFields', { fields: record.length, columns: this.header.length })),
      };
    }
    const fields: CsvFields = {};
    for (let index = 0; index < record.length; index++) {
      fields[this.header[index]] = record[index] === '' ? undefined : record[index];
    }
    return { row: this.row, fields };
  }

  tooLong(): never {
    throw new ImportFileError(
      this.header === undefined ? msg('import.headerTooLong', { bytes: this.maxRowBytes }) : msg('import.rowTooLongCsv', { row: this.row + 1, bytes: this.maxRowBytes }),
    );
  }

  end(): void {
    if (this.header === undefined) throw new ImportFileError(msg('import.emptyCsv'));
  }
}

function checkHeader(record: string[], { known, knownList, required }: ColumnRules): string[] {
  const problems: Message[] = [];
  const seen = new Set<string>();
  const unknown: Message[] = [];
  record.forEach((name, index) => {
    const position = index + 1;
    if (name.trim() === '') {
      problems.push(msg('import.headerEmpty', { position }));
    } else if (!known.has(name)) {
      unknown.push(describeUnknownName(name, position, knownList));
    } else if (seen.has(name)) {
      problems.push(msg('import.headerDuplicate', { column: name }));
    }
    seen.add(name);
  });
  const missing = required.filter((column) => !seen.has(column));
  if (missing.length > 0) problems.unshift(msg(missing.length > 1 ? 'import.headerMissingMany' : 'import.headerMissing', { columns: missing.join(', ') }));
  if (unknown.length > 0) problems.push(msg(unknown.length > 1 ? 'import.headerUnknownMany' : 'import.headerUnknown', { columns: msg('import.list', { items: unknown }) }));
  if (problems.length > 0) {
    throw new ImportFileError(msg('import.header', { problems, columns: knownList.join(', ') }));
  }
  return record;
}

function describeUnknownName(name: string, position: number, knownList: readonly string[]): Message {
  if (!FIELD_NAME_LIKE.test(name.trim())) return msg('import.headerNotAName', { position });
  const near = knownList.find((column) => column.toLowerCase() === name.trim().toLowerCase());
  // JSON.stringify makes stray spaces visible: " nationalId".
  return near === undefined ? msg('import.headerName', { name: JSON.stringify(name) }) : msg('import.headerNameNear', { name: JSON.stringify(name), near });
}

function isBlankRecord(record: string[]): boolean {
  for (const field of record) {
    if (field.trim() !== '') return false;
  }
  return true;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;

/**
 * RFC 4180 quoting of one record's raw text: each field either contains no quote at all, or is enclosed in
 * quotes with every inner quote doubled. Linear in the record's length (every search resumes where the last
 * one stopped), so a hostile record full of quotes costs no more than a plain one.
 */
function hasWellFormedQuotes(raw: string): boolean {
  let nextQuote = raw.indexOf('"');
  if (nextQuote === -1) return true; // nearly every record of a real file
  let position = 0;
  let end = raw.length;
  // The record delimiter (its first character only, for CRLF) ends the raw text; inside quotes it would be
  // followed by the closing quote, so a final CR or LF is always the delimiter.
  if (end > position && (raw.charCodeAt(end - 1) === CR || raw.charCodeAt(end - 1) === LF)) end--;

  for (;;) {
    if (position < end && raw.charCodeAt(position) === QUOTE) {
      position++;
      for (;;) {
        const closing = raw.indexOf('"', position);
        if (closing === -1 || closing >= end) return false;
        if (closing + 1 < end && raw.charCodeAt(closing + 1) === QUOTE) {
          position = closing + 2;
          continue;
        }
        position = closing + 1;
        break;
      }
      if (position === end) return true;
      if (raw.charCodeAt(position) !== COMMA) return false;
      position++;
    } else {
      let comma = raw.indexOf(',', position);
      if (comma === -1 || comma > end) comma = end;
      if (nextQuote < position) nextQuote = raw.indexOf('"', position);
      if (nextQuote !== -1 && nextQuote < comma) return false;
      if (comma === end) return true;
      position = comma + 1;
    }
  }
}

function malformed(message: Message): ImportRowError {
  return { field: '', code: 'MALFORMED_ROW', message };
}

// --------------------------------------------------------------------------------------------------- XLSX

/**
 * The first worksheet of an .xlsx workbook, row by row, with exceljs's streaming reader: the zip is read as it
 * arrives, and only the shared-strings table is kept (a worksheet stored before that table is spooled to a
 * temporary file by exceljs, not held in memory). The first row with a non-blank cell is the header; blank rows
 * are skipped and not counted, as in CSV. Cells are given as the sheet stores them: text, or a number.
 */
async function* readXlsxRows(source: ImportSource, columns: ColumnRules, maxRowBytes: number): AsyncGenerator<ImportRow<CsvFields>> {
  const input = Readable.from(chunksOf(source));
  let failure: unknown;
  // unzipper does not always pass a source's error on to the reader; the body's own error (413 from the byte
  // counter, the client gone) must win over "not a workbook".
  input.on('error', (err) => (failure ??= err));
  const workbook = new ExcelJS.stream.xlsx.WorkbookReader(input, { sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'ignore', worksheets: 'emit', entries: 'ignore' });
  let header: string[] | undefined;
  let row = 0;
  let sawWorksheet = false;
  try {
    for await (const worksheet of workbook) {
      sawWorksheet = true;
      for await (const sheetRow of worksheet) {
        const cells = xlsxCells(sheetRow.values);
        if (cells.every((c) => c === undefined || (typeof c === 'string' && c.trim() === ''))) continue;
        if (header === undefined) {
          const names = cells.map((c) => (c === undefined ? '' : String(c)));
          if (names.join(',').length > maxRowBytes) throw new ImportFileError(msg('import.headerTooLongXlsx', { bytes: maxRowBytes }));
          header = columns.header ? columns.header(names) : checkHeader(names, columns);
          continue;
        }
        row += 1;
        if (cells.length > header.length && cells.slice(header.length).some((c) => c !== undefined && String(c).trim() !== '')) {
          yield { row, error: malformed(msg('import.rowFieldsXlsx', { columns: header.length })) };
          continue;
        }
        const fields: CsvFields = {};
        header.forEach((key, index) => {
          const cell = cells[index];
          fields[key] = cell === '' ? undefined : cell;
        });
        yield { row, fields };
      }
      // The first worksheet only: the others may hold notes, lookups or a previous version.
      break;
    }
  } catch (err) {
    if (failure !== undefined) throw failure;
    if (err instanceof ImportFileError || err instanceof ProblemError) throw err;
    throw new ImportFileError(msg('import.notXlsx'));
  } finally {
    input.destroy();
  }
  if (failure !== undefined) throw failure;
  if (!sawWorksheet) throw new ImportFileError(msg('import.notXlsx'));
  if (header === undefined) throw new ImportFileError(msg('import.emptyXlsx'));
}

/** One sheet row's values (exceljs: 1-based, sparse) as text or numbers; formulas give their result. */
function xlsxCells(values: ExcelJS.CellValue[] | Record<string, ExcelJS.CellValue>): Array<string | number | undefined> {
  const list = Array.isArray(values) ? values.slice(1) : [];
  const cells: Array<string | number | undefined> = [];
  for (let index = 0; index < list.length; index++) cells.push(xlsxCell(list[index]));
  return cells;
}

function xlsxCell(value: ExcelJS.CellValue | undefined): string | number | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if ('richText' in value && Array.isArray(value.richText)) return value.richText.map((part) => part.text).join('');
  if ('result' in value) return xlsxCell(value.result as ExcelJS.CellValue);
  if ('text' in value && typeof value.text === 'string') return value.text;
  if ('error' in value) return undefined;
  return undefined;
}

// ------------------------------------------------------------------------------------------------- NDJSON

async function* readNdjsonRows(
  chunks: AsyncIterable<Buffer>,
  known: ReadonlySet<string>,
  maxRowBytes: number,
): AsyncGenerator<ImportRow<NdjsonFields>> {
  // The decoder does two jobs: it rejects invalid UTF-8, and it carries a character split between chunks over
  // to the next one, so lines are cut on whole characters. It also drops a leading BOM.
  const utf8 = new Utf8Check();
  let row = 0;
  let sawContent = false;
  /** Start of the current line, from earlier chunks; never more than maxRowBytes. */
  let pending = '';
  /** The current line is already known to be too long: its remaining text is dropped until the newline. */
  let dropping = false;

  const lineRow = (line: string): ImportRow<NdjsonFields> | undefined => {
    // Length first, so that a line is too long (and counted) whether or not it arrived in one chunk.
    const tooLong = utf8LengthExceeds(line, maxRowBytes);
    if (!tooLong && line.trim() === '') return undefined;
    sawContent = true;
    row += 1;
    return tooLong ? { row, error: tooLongLine(maxRowBytes) } : parseLine(row, line, known);
  };

  for await (const chunk of chunks) {
    const text = utf8.check(chunk);
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      const piece = text.slice(start, newline);
      start = newline + 1;
      if (dropping) {
        dropping = false;
        sawContent = true;
        row += 1;
        yield { row, error: tooLongLine(maxRowBytes) };
        continue;
      }
      const line = pending === '' ? piece : pending + piece;
      pending = '';
      const result = lineRow(line);
      if (result !== undefined) yield result;
    }
    if (!dropping && start < text.length) {
      pending += text.slice(start);
      // Only the unfinished line is held; once it cannot fit, it is counted as a row and its text dropped.
      if (utf8LengthExceeds(pending, maxRowBytes)) {
        pending = '';
        dropping = true;
      }
    }
  }
  const tail = utf8.end();
  if (dropping) {
    row += 1;
    sawContent = true;
    yield { row, error: tooLongLine(maxRowBytes) };
  } else {
    const result = lineRow(pending + tail);
    if (result !== undefined) yield result;
  }
  if (!sawContent) throw new ImportFileError(msg('import.emptyNdjson'));
}

function parseLine(row: number, line: string, known: ReadonlySet<string>): ImportRow<NdjsonFields> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    // JSON.parse's own message quotes the input, which may be someone's identity number.
    return { row, error: malformed(msg('import.rowJson')) };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const kind = value === null ? msg('import.jsonNull') : Array.isArray(value) ? msg('import.jsonArray') : msg('import.jsonValue', { type: typeof value });
    return { row, error: malformed(msg('import.rowNotObject', { kind })) };
  }
  const fields = value as NdjsonFields;
  for (const key of Object.keys(fields)) {
    if (!known.has(key)) {
      const named = FIELD_NAME_LIKE.test(key);
      return {
        row,
        error: {
          field: named ? key : '',
          code: 'UNKNOWN_FIELD',
          message: named ? msg('import.rowUnknownField', { field: key }) : msg('import.rowUnknownFieldUnnamed'),
        },
      };
    }
  }
  return { row, fields };
}

function tooLongLine(maxRowBytes: number): ImportRowError {
  return { field: '', code: 'ROW_TOO_LONG', message: msg('import.rowTooLong', { bytes: maxRowBytes }) };
}

// ----------------------------------------------------------------------------------------------- shared

/** Any of the accepted sources, as Buffers; strings are taken to be text already and encoded as UTF-8. */
async function* chunksOf(source: ImportSource): AsyncGenerator<Buffer> {
  for await (const chunk of source as AsyncIterable<Buffer | Uint8Array | string>) {
    if (typeof chunk === 'string') yield Buffer.from(chunk, 'utf8');
    else if (Buffer.isBuffer(chunk)) yield chunk;
    else yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
}

/** Streaming UTF-8 validation; returns the decoded text of what it has checked so far. */
class Utf8Check {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private firstBytes: number[] = [];

  check(bytes: Buffer): string {
    if (this.firstBytes.length < 2) this.firstBytes.push(...bytes.subarray(0, 2 - this.firstBytes.length));
    try {
      return this.decoder.decode(bytes, { stream: true });
    } catch {
      throw new ImportFileError(this.startsLikeUtf16() ? msg('import.utf16') : msg('import.notUtf8'));
    }
  }

  end(): string {
    try {
      return this.decoder.decode();
    } catch {
      throw new ImportFileError(msg('import.notUtf8End'));
    }
  }

  private startsLikeUtf16(): boolean {
    const [first, second] = this.firstBytes;
    return (first === 0xff && second === 0xfe) || (first === 0xfe && second === 0xff);
  }
}

/** Whether `text` takes more than `limit` bytes as UTF-8, without encoding it when the answer is obvious. */
function utf8LengthExceeds(text: string, limit: number): boolean {
  // Each UTF-16 code unit is 1 to 3 bytes of UTF-8 (a surrogate pair, two units, is 4).
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  return Buffer.byteLength(text, 'utf8') > limit;
}
