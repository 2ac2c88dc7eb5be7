import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ProblemError } from '../problems/problem';
import { msg, type Message } from '../i18n/message';

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
    throw new ProblemError('VALIDATION_FAILED', msg('ifMatch.invalid'), [{ field: 'If-Match', code: 'INVALID_HEADER', message: msg('field.header', { what: msg('ifMatch.what') }) }]);
  }
  return Number(m[1]);
}

export const IfMatch = createParamDecorator((_data: unknown, ctx: ExecutionContext): number | undefined =>
  parseIfMatch(ctx.switchToHttp().getRequest<FastifyRequest>().headers['if-match']),
);

/** 409 VERSION_CONFLICT when the caller read another version of `what` (a catalogue object name, e.g. object.brand). */
export function requireVersion(current: number, expected: number | undefined, what: Message): void {
  if (expected !== undefined && expected !== current) {
    throw new ProblemError('VERSION_CONFLICT', msg('version.conflict', { what, current, expected }));
  }
}
