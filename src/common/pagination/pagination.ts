import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ProblemError } from '../problems/problem';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** `?limit=&cursor=` of every list route. */
export class PageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, description: 'Items per page; outside 1–500 is a 400.' })
  @IsOptional()
  // Plain digits only: Number() would also take '1e2', ' 5' or '0x10'.
  @Transform(({ value }) => (typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor: the `nextCursor` of the previous page.' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The answer to a cursor this service did not hand out (or one tampered with). */
export const invalidCursor = (): ProblemError =>
  new ProblemError('VALIDATION_FAILED', 'cursor is not a cursor this list returned', [
    { field: 'cursor', code: 'INVALID_CURSOR', message: 'pass the nextCursor of the previous page unchanged' },
  ]);

/**
 * Keyset cursors: the sort key of the last row seen, base64url-encoded so clients treat it as opaque. A page
 * continues strictly after that key, so rows inserted meanwhile never shift what comes next.
 */
export function encodeCursor(key: ReadonlyArray<string | number | null>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined, arity: number): Array<string | number | null> | null {
  if (cursor === undefined) return null;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || key.length !== arity || !key.every((v) => v === null || typeof v === 'string' || typeof v === 'number')) {
    throw invalidCursor();
  }
  return key as Array<string | number | null>;
}

/** Given `limit + 1` rows, returns the page and the cursor of its last row when more follow. */
export function toPage<R, T>(rows: R[], limit: number, keyOf: (row: R) => ReadonlyArray<string | number | null>, present: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  return {
    items: pageRows.map(present),
    nextCursor: more ? encodeCursor(keyOf(pageRows[pageRows.length - 1])) : null,
  };
}

export const pageLimit = (q: PageQuery): number => q.limit ?? DEFAULT_PAGE_SIZE;

/**
 * Cursor timestamps must be the ISO instants the server wrote (`Date#toISOString`, years 0001–9999, which Postgres
 * reads too); anything else is a forged cursor. `Date.parse` alone is not enough: it accepts `'1'` or
 * `'March 7 2024'`, which Postgres refuses (a 500) or reads differently.
 */
const CURSOR_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export function cursorTimestamp(value: string | number | null): string {
  if (
    typeof value !== 'string' ||
    !CURSOR_INSTANT.test(value) ||
    value.startsWith('0000') ||
    Number.isNaN(Date.parse(value)) ||
    new Date(value).toISOString() !== value
  ) {
    throw invalidCursor();
  }
  return value;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function cursorUuid(value: string | number | null): string {
  if (typeof value !== 'string' || !UUID.test(value)) {
    throw invalidCursor();
  }
  return value;
}

/** A position in a bigint sequence (history and event timelines page by their `seq`). */
export function cursorSeq(value: string | number | null): string {
  if (typeof value !== 'string' || !/^\d{1,19}$/.test(value)) throw invalidCursor();
  return value;
}
