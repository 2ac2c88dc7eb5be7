import { Transform, type Readable } from 'node:stream';
import { ProblemError } from '../../common/problems/problem';
import { msg } from '../../common/i18n/message';

export const IMPORT_MEDIA_TYPES = ['text/csv', 'application/x-ndjson'] as const;

/** The routes that take an import file as their streamed body (by their route pattern). */
export function isImportRoute(routeUrl: string): boolean {
  return /\/trainees\/import$/.test(routeUrl);
}

/** The import format from Content-Type; a declared charset other than UTF-8 is refused up front. */
export function importFormat(contentType: string | undefined): 'csv' | 'ndjson' {
  const [type, ...params] = (contentType ?? '').split(';').map((p) => p.trim().toLowerCase());
  if (type !== 'text/csv' && type !== 'application/x-ndjson') {
    throw new ProblemError('UNSUPPORTED_MEDIA_TYPE', msg('import.mediaType'));
  }
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (charset && charset !== 'utf-8' && charset !== 'utf8') throw new ProblemError('INVALID_IMPORT_FILE', msg('import.charset', { charset: charset.slice(0, 40) }));
  return type === 'text/csv' ? 'csv' : 'ndjson';
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
