/**
 * Writes a table (a header row, then batches of rows) as a CSV or .xlsx byte stream for an HTTP answer, in constant
 * memory whatever the number of rows: the next batch is asked for only once the bytes of the last one are on their
 * way to the client (back-pressure), and a failure while rows are read destroys the stream with the error, so the
 * answer is cut off (no final chunk) and no client takes a truncated file for a whole one.
 */
import ExcelJS from 'exceljs';
import { PassThrough, Readable } from 'node:stream';
import type { TabularFormat } from './tabular-format';

/** A cell: text, a number, or nothing (an empty cell). */
export type Cell = string | number | null;

export interface Table {
  header: readonly string[];
  /** Rows in batches: each batch is one read of the source (a keyset page), written out before the next is asked for. */
  batches: AsyncIterable<readonly Cell[][]>;
  /** The .xlsx worksheet's name (at most 31 characters, none of []:*?/\). */
  sheetName: string;
}

export const UTF8_BOM = '\uFEFF';

/**
 * Spreadsheets run a cell that begins with one of these as a formula (CSV injection): a name or a cohort typed as
 * `=HYPERLINK(…)` would act when the file is opened. Such text is written with a leading apostrophe, which Excel and
 * LibreOffice read as "this is text". Only CSV needs it: an .xlsx cell is typed, its text is never a formula.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

function csvCell(cell: Cell): string {
  if (cell === null) return '';
  if (typeof cell === 'number') return String(cell);
  const text = FORMULA_START.test(cell) ? `'${cell}` : cell;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV record, RFC 4180 (CRLF line ends, what Excel writes). */
export function csvRecord(cells: readonly Cell[]): string {
  return cells.map(csvCell).join(',') + '\r\n';
}

/** What a Readable buffers before it stops asking for more: about one batch of rows. */
const STREAM_BUFFER_BYTES = 256 * 1024;

async function* csvChunks(table: Table): AsyncGenerator<Buffer> {
  yield Buffer.from(UTF8_BOM + csvRecord(table.header), 'utf8');
  for await (const batch of table.batches) {
    let text = '';
    for (const row of batch) text += csvRecord(row);
    yield Buffer.from(text, 'utf8');
  }
}

function csvStream(table: Table): Readable {
  // Readable.from pulls the generator only when the stream is read: the database is read as fast as the client takes
  // the file. Destroying the stream (the client went away) returns the generator, which ends the reading.
  return Readable.from(csvChunks(table), { objectMode: false, highWaterMark: STREAM_BUFFER_BYTES });
}

/**
 * Bytes written into the workbook and not yet taken by the client. exceljs does not wait for its zip stream: rows
 * written while the client is slow pile up in the sheet's compressor (inside exceljs) and then in `out`. Both are
 * counted, so that writing waits for them to drain.
 */
function pendingBytes(sheet: ExcelJS.Worksheet, out: PassThrough): number {
  // The sheet's stream is exceljs's StreamBuf; `pipes` is the zip entry it writes into, a PassThrough of
  // readable-stream 2 (archiver's), which has no writableLength: its buffered lengths are read from its states.
  type Buffered = { _writableState?: { length?: number }; _readableState?: { length?: number } };
  const pipes = (sheet as unknown as { stream?: { pipes?: Buffered[] } }).stream?.pipes ?? [];
  let pending = out.readableLength + out.writableLength;
  for (const pipe of pipes) pending += (pipe._writableState?.length ?? 0) + (pipe._readableState?.length ?? 0);
  return pending;
}

const XLSX_PENDING_LIMIT_BYTES = 1024 * 1024;
const XLSX_WAIT_MS = 5;

async function writeXlsx(table: Table, out: PassThrough): Promise<void> {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  const sheet = workbook.addWorksheet(table.sheetName);
  sheet.addRow([...table.header]).commit();
  for await (const batch of table.batches) {
    for (const row of batch) sheet.addRow(row as Cell[]).commit();
    while (!out.destroyed && pendingBytes(sheet, out) > XLSX_PENDING_LIMIT_BYTES) await new Promise((resolve) => setTimeout(resolve, XLSX_WAIT_MS));
    // The client went away: stop reading (leaving the loop returns the source, which ends its reads).
    if (out.destroyed) return;
  }
  sheet.commit();
  await workbook.commit();
}

function xlsxStream(table: Table): Readable {
  const out = new PassThrough({ highWaterMark: STREAM_BUFFER_BYTES });
  writeXlsx(table, out).catch((err: unknown) => out.destroy(err instanceof Error ? err : new Error(String(err))));
  return out;
}

/** The table as the bytes of a file in `format`, to be piped into an answer. */
export function tabularStream(format: TabularFormat, table: Table): Readable {
  return format === 'csv' ? csvStream(table) : xlsxStream(table);
}

/**
 * `iterable` with its first item already read: a failure of the first read (the database down, say) then surfaces
 * before the answer's headers are sent, as a problem document, rather than as a cut-off file.
 */
export async function startedIterable<T>(iterable: AsyncIterable<T>): Promise<AsyncIterable<T>> {
  const iterator = iterable[Symbol.asyncIterator]();
  const first = await iterator.next();
  return {
    async *[Symbol.asyncIterator]() {
      try {
        if (first.done) return;
        yield first.value;
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
      } finally {
        // Ends the source's reads when the consumer stops early (the client went away).
        await iterator.return?.();
      }
    },
  };
}

/** Batches of `T` as batches of rows of cells. */
export async function* mapBatches<T>(batches: AsyncIterable<readonly T[]>, row: (item: T) => Cell[]): AsyncGenerator<Cell[][]> {
  for await (const batch of batches) yield batch.map(row);
}
