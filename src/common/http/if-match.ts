import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ProblemError } from '../problems/problem';

/**
 * The `If-Match` header as an expected version: `3`, `"3"` or `W/"3"` (the ETag we send is `"3"`); `*` or no
 * header means "whatever the current version is".
 */
export function parseIfMatch(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const value = (Array.isArray(header) ? header.join(',') : header).trim();
  if (value === '*') return undefined;
  const m = /^(?:W\/)?"?(\d{1,9})"?$/.exec(value);
  if (!m) {
    throw new ProblemError('VALIDATION_FAILED', 'If-Match must be the version of the object, e.g. "3"', [
      { field: 'If-Match', code: 'INVALID_HEADER', message: 'must be a version number such as "3"' },
    ]);
  }
  return Number(m[1]);
}

export const IfMatch = createParamDecorator((_data: unknown, ctx: ExecutionContext): number | undefined =>
  parseIfMatch(ctx.switchToHttp().getRequest<FastifyRequest>().headers['if-match']),
);

export function requireVersion(current: number, expected: number | undefined, what: string): void {
  if (expected !== undefined && expected !== current) {
    throw new ProblemError('VERSION_CONFLICT', `${what} is at version ${current}, not ${expected}; read it again and retry`);
  }
}
