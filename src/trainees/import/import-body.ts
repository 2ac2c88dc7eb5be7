import { Transform, type Readable } from 'node:stream';
import { ProblemError } from '../../common/problems/problem';
import { msg } from '../../common/i18n/message';
import type { ImportFormat } from './row-reader';

export const XLSX_MEDIA_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
export const IMPORT_MEDIA_TYPES = ['text/csv', 'application/x-ndjson', XLSX_MEDIA_TYPE] as const;

/** The routes that take an import file as their streamed body (by their route pattern). */
export function isImportRoute(routeUrl: string): boolean {
  return /\/trainees\/import$/.test(routeUrl) || /\/brands\/:brandId\/trainee-imports$/.test(routeUrl);
}

/** The text encodings an import file may be in; undefined: not declared, the reader sniffs it. */
export type ImportCharset = 'utf-8' | 'gb18030';

/** A file's format and declared encoding, from its Content-Type. */
export interface ImportFileType {
  format: ImportFormat;
  charset: ImportCharset | undefined;
}

/** What Chinese Windows and browsers call GB18030 or its subsets; GB18030 decodes them all. */
const GB_CHARSETS = new Set(['gb18030', 'gbk', 'gb2312', 'cp936', 'x-gbk', 'windows-936', 'euc-cn']);

/**
 * The import format from Content-Type. A declared charset decides the encoding of a CSV (UTF-8 or GB18030/GBK;
 * another is 415); NDJSON is JSON, so UTF-8 only; a workbook has no charset.
 */
export function importFileType(contentType: string | undefined): ImportFileType {
  const [type, ...params] = (contentType ?? '').split(';').map((p) => p.trim().toLowerCase());
  const format = type === 'text/csv' ? 'csv' : type === 'application/x-ndjson' ? 'ndjson' : type === XLSX_MEDIA_TYPE ? 'xlsx' : undefined;
  if (format === undefined) throw new ProblemError('UNSUPPORTED_MEDIA_TYPE', msg('import.mediaType'));
  const declared = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (!declared || format === 'xlsx') return { format, charset: undefined };
  const charset: ImportCharset | undefined = declared === 'utf-8' || declared === 'utf8' ? 'utf-8' : GB_CHARSETS.has(declared) ? 'gb18030' : undefined;
  if (charset === undefined || (format === 'ndjson' && charset !== 'utf-8')) {
    throw new ProblemError('UNSUPPORTED_MEDIA_TYPE', msg('import.unknownCharset', { charset: declared.slice(0, 40) }));
  }
  return { format, charset };
}

/**
 * Counts the bytes of a streamed body and fails with 413 past the limit. Fastify enforces its body limit only on
 * bodies it buffers; an import is streamed straight to the parser, so the count happens here.
 */
export function limitImportBody(body: Readable, contentLength: string | undefined, importLimitBytes: number): Readable {
  const declared = contentLength !== undefined ? Number(contentLength) : NaN;
  if (Number.isFinite(declared) && declared > importLimitBytes) {
    throw new ProblemError('PAYLOAD_TOO_LARGE', msg('import.tooLarge', { bytes: importLimitBytes }));
  }
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > importLimitBytes) return done(new ProblemError('PAYLOAD_TOO_LARGE', msg('import.tooLarge', { bytes: importLimitBytes })));
      done(null, chunk);
    },
  });
  body.on('error', (err) => counter.destroy(err));
  // The body flows into the counter as soon as it is piped, while the service is still checking the brand, so the
  // limit can be passed (or the client can go away) before the reader has attached to the counter. Without a
  // listener that 'error' event would be an uncaught exception that ends the process; the reader still gets the
  // error, since iterating an errored stream rejects with it.
  counter.on('error', () => undefined);
  return body.pipe(counter);
}
