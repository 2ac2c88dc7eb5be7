/**
 * The stable error vocabulary of the API (API.md, Conventions). Clients branch on `code`, never on `title`
 * or `detail`, so a code, once published, keeps its meaning.
 */
import type { Language } from '../i18n/language';
import { msg, render, type Message } from '../i18n/message';
import type { MessageKey } from '../i18n/messages';

export const PROBLEM_STATUS = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  INVALID_CREDIT_CODE: 400,
  INVALID_REGION_CODE: 400,
  INVALID_NATIONAL_ID: 400,
  INVALID_IMPORT_FILE: 400,
  MALFORMED_REQUEST: 400,
  WEBHOOK_URL_NOT_ALLOWED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  OUT_OF_JURISDICTION: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  NOT_ACCEPTABLE: 406,
  REQUEST_TIMEOUT: 408,
  INVALID_TRANSITION: 409,
  VERSION_CONFLICT: 409,
  DUPLICATE_CREDIT_CODE: 409,
  DUPLICATE_TRAINEE: 409,
  BRAND_NOT_CERTIFIED: 409,
  TRAINEE_HAS_OPEN_PLACEMENT: 409,
  IDEMPOTENCY_IN_PROGRESS: 409,
  PAYLOAD_TOO_LARGE: 413,
  URI_TOO_LONG: 414,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  HEADERS_TOO_LARGE: 431,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ProblemCode = keyof typeof PROBLEM_STATUS;

/** Each code's title is the catalogue's `title.<CODE>` (a compile error names a code without one). */
const titleOf = (code: ProblemCode): Message => ({ key: `title.${code}` satisfies MessageKey, params: {} });

/** An error of one field of the input: a machine `code` and a `message` for a person. */
export interface FieldError {
  field: string;
  code: string;
  message: Message;
}

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  errors?: Array<{ field: string; code: string; message: string }>;
  instance?: string;
}

export const PROBLEM_TYPE_BASE = 'https://labor-brands.example/problems/';

/** The media type of every error answer (RFC 9457). */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';
export const PROBLEM_CONTENT_TYPE = `${PROBLEM_MEDIA_TYPE}; charset=utf-8`;

/**
 * An expected failure of a use case; the problem filter turns it into an RFC 9457 document in the language the
 * request asks for. `detail` and the field messages are catalogue messages (common/i18n/messages.ts).
 */
export class ProblemError extends Error {
  readonly status: number;
  constructor(
    readonly code: ProblemCode,
    readonly detail?: Message,
    readonly errors?: FieldError[],
    /** Extra response headers, e.g. Retry-After. */
    readonly headers?: Record<string, string>,
  ) {
    super(render(detail ?? titleOf(code), 'en'));
    this.status = PROBLEM_STATUS[code];
    this.name = 'ProblemError';
  }

  toDocument(language: Language): ProblemDocument {
    return problemDocument(language, this.code, this.detail, this.errors);
  }
}

export function problemDocument(language: Language, code: ProblemCode, detail?: Message, errors?: FieldError[]): ProblemDocument {
  const title = render(titleOf(code), language);
  const doc: ProblemDocument = {
    type: PROBLEM_TYPE_BASE + code.toLowerCase().replace(/_/g, '-'),
    title,
    status: PROBLEM_STATUS[code],
    detail: detail ? render(detail, language) : title,
    code,
  };
  if (errors && errors.length) doc.errors = errors.map((e) => ({ field: e.field, code: e.code, message: render(e.message, language) }));
  return doc;
}

export const notFound = (what: Message): ProblemError => new ProblemError('NOT_FOUND', msg('notFound.object', { what }));
export const validationFailed = (field: string, code: string, message: Message): ProblemError =>
  new ProblemError('VALIDATION_FAILED', message, [{ field, code, message }]);
