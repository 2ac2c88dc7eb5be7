/**
 * The stable error vocabulary of the API (API.md, Conventions). Clients branch on `code`, never on `title`
 * or `detail`, so a code, once published, keeps its meaning.
 */
export const PROBLEM_STATUS = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  INVALID_CREDIT_CODE: 400,
  INVALID_REGION_CODE: 400,
  INVALID_NATIONAL_ID: 400,
  INVALID_IMPORT_FILE: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  OUT_OF_JURISDICTION: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  INVALID_TRANSITION: 409,
  VERSION_CONFLICT: 409,
  DUPLICATE_CREDIT_CODE: 409,
  DUPLICATE_TRAINEE: 409,
  BRAND_NOT_CERTIFIED: 409,
  TRAINEE_HAS_OPEN_PLACEMENT: 409,
  IDEMPOTENCY_IN_PROGRESS: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const;

export type ProblemCode = keyof typeof PROBLEM_STATUS;

const TITLES: Record<ProblemCode, string> = {
  VALIDATION_FAILED: 'The request is not valid',
  MALFORMED_JSON: 'The body is not well-formed JSON',
  INVALID_CREDIT_CODE: 'Invalid Unified Social Credit Code',
  INVALID_REGION_CODE: 'Invalid administrative region code',
  INVALID_NATIONAL_ID: 'Invalid resident identity number',
  INVALID_IMPORT_FILE: 'The import file cannot be read',
  UNAUTHENTICATED: 'Missing, invalid or revoked API key',
  FORBIDDEN: 'Your organization may not do this',
  OUT_OF_JURISDICTION: 'Outside your jurisdiction',
  NOT_FOUND: 'Not found',
  METHOD_NOT_ALLOWED: 'Method not allowed',
  INVALID_TRANSITION: 'Not allowed in the current status',
  VERSION_CONFLICT: 'The object was changed by someone else',
  DUPLICATE_CREDIT_CODE: 'An organization with this credit code exists',
  DUPLICATE_TRAINEE: 'This person is already a trainee of the brand',
  BRAND_NOT_CERTIFIED: 'The brand is not certified',
  TRAINEE_HAS_OPEN_PLACEMENT: 'The trainee already has an open placement',
  IDEMPOTENCY_IN_PROGRESS: 'A request with this Idempotency-Key is still in progress',
  PAYLOAD_TOO_LARGE: 'The body is too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported content type',
  IDEMPOTENCY_KEY_REUSED: 'Idempotency-Key reused with a different request',
  RATE_LIMITED: 'Too many requests',
  INTERNAL_ERROR: 'Internal error',
  SERVICE_UNAVAILABLE: 'A dependency is unavailable; retry later',
};

export interface FieldError {
  field: string;
  code: string;
  message: string;
}

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  errors?: FieldError[];
  instance?: string;
}

export const PROBLEM_TYPE_BASE = 'https://labor-brands.example/problems/';

/** An expected failure of a use case; the problem filter turns it into an RFC 9457 document. */
export class ProblemError extends Error {
  readonly status: number;
  constructor(
    readonly code: ProblemCode,
    detail?: string,
    readonly errors?: FieldError[],
    /** Extra response headers, e.g. Retry-After. */
    readonly headers?: Record<string, string>,
  ) {
    super(detail ?? TITLES[code]);
    this.status = PROBLEM_STATUS[code];
    this.name = 'ProblemError';
  }

  toDocument(): ProblemDocument {
    return problemDocument(this.code, this.message, this.errors);
  }
}

export function problemDocument(code: ProblemCode, detail?: string, errors?: FieldError[]): ProblemDocument {
  const doc: ProblemDocument = {
    type: PROBLEM_TYPE_BASE + code.toLowerCase().replace(/_/g, '-'),
    title: TITLES[code],
    status: PROBLEM_STATUS[code],
    detail: detail ?? TITLES[code],
    code,
  };
  if (errors && errors.length) doc.errors = errors;
  return doc;
}

export const notFound = (what: string): ProblemError => new ProblemError('NOT_FOUND', `${what} not found`);
export const forbidden = (detail: string): ProblemError => new ProblemError('FORBIDDEN', detail);
export const validationFailed = (field: string, code: string, message: string): ProblemError =>
  new ProblemError('VALIDATION_FAILED', message, [{ field, code, message }]);
