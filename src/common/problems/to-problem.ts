import { HttpException } from '@nestjs/common';
import type { Language } from '../i18n/language';
import { msg, type Message } from '../i18n/message';
import { FieldError, ProblemCode, ProblemDocument, ProblemError, problemDocument } from './problem';

export interface ProblemResponse {
  document: ProblemDocument;
  headers: Record<string, string>;
  /** True when the failure is ours, not the caller's: logged with its stack, never shown. */
  unexpected: boolean;
}

/** Errors of Fastify's own body handling, which happen before any Nest code runs. */
const FASTIFY_CODES: Record<string, ProblemCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
};

/** Connection-level failures of Postgres or Redis: the request may succeed if retried. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH',
  '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08006',
]);

const HTTP_STATUS_CODES: Record<number, ProblemCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'INVALID_TRANSITION',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

function isUnavailable(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string }; message?: string; name?: string };
  const code = e?.driverError?.code ?? e?.code;
  if (code && UNAVAILABLE_CODES.has(code)) return true;
  const message = e?.message ?? '';
  return (
    message.includes('Connection terminated') ||
    message.includes('timeout exceeded when trying to connect') ||
    message.includes("Stream isn't writeable") ||
    message.includes('Connection is closed') ||
    // TypeORM releases a transaction's runner when its connection dies (a Postgres restart): the next statement fails so.
    e?.name === 'QueryRunnerAlreadyReleasedError' ||
    message.includes('was already released') ||
    e?.name === 'MaxRetriesPerRequestError'
  );
}

/** Any error as the problem document to answer, in `language`. */
export function toProblem(err: unknown, language: Language): ProblemResponse {
  if (err instanceof ProblemError) {
    return { document: err.toDocument(language), headers: err.headers ?? {}, unexpected: false };
  }
  const expected = (code: ProblemCode, detail?: Message): ProblemResponse => ({ document: problemDocument(language, code, detail), headers: {}, unexpected: false });
  const fastifyCode = (err as { code?: string })?.code;
  if (fastifyCode && FASTIFY_CODES[fastifyCode]) {
    const code = FASTIFY_CODES[fastifyCode];
    const detail =
      code === 'PAYLOAD_TOO_LARGE' ? msg('body.tooLarge')
      : code === 'UNSUPPORTED_MEDIA_TYPE' ? msg('body.unsupportedType')
      : code === 'MALFORMED_JSON' ? msg('body.malformed')
      : msg('body.invalidContentLength');
    return expected(code, detail);
  }
  if (err instanceof SyntaxError && (err as { statusCode?: number }).statusCode === 400) return expected('MALFORMED_JSON', msg('body.malformed'));
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const code = HTTP_STATUS_CODES[status];
    if (code) return expected(code, status === 404 ? msg('notFound.route') : status === 405 ? msg('error.methodNotAllowed') : undefined);
  }
  const status = (err as { statusCode?: number })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500 && HTTP_STATUS_CODES[status]) return expected(HTTP_STATUS_CODES[status]);
  if (isUnavailable(err)) {
    return { document: problemDocument(language, 'SERVICE_UNAVAILABLE', msg('error.unavailable')), headers: { 'retry-after': '1' }, unexpected: true };
  }
  return { document: problemDocument(language, 'INTERNAL_ERROR', msg('error.unexpected')), headers: {}, unexpected: true };
}

/** The document as sent: `instance` is the request's path (never its query string, which may hold personal data). */
export function documentForRequest(document: ProblemDocument, url: string): ProblemDocument {
  return { ...document, instance: url.split('?')[0] };
}

export type { FieldError };
