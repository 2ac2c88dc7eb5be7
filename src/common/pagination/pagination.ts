import type { Type } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ProblemError } from '../problems/problem';
import { msg } from '../i18n/message';

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

/** The OpenAPI shape of a page of `item`s: `class BrandPage extends PageOf(BrandView) {}`. */
export function PageOf<T>(item: Type<T>): Type<Page<T>> {
  class PageOfItems implements Page<T> {
    @ApiProperty({ type: [item] }) items: T[];
    @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for the next page; null on the last' }) nextCursor: string | null;
  }
  return PageOfItems;
}

/** The answer to a cursor this service did not hand out (or one tampered with). */
export const invalidCursor = (): ProblemError =>
  new ProblemError('VALIDATION_FAILED', msg('cursor.invalid'), [{ field: 'cursor', code: 'INVALID_CURSOR', message: msg('field.cursor') }]);

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

const MAX_BIGINT = 2n ** 63n - 1n;

/** A position in a bigint sequence (history and event timelines page by their `seq`), within Postgres's bigint. */
export function cursorSeq(value: string | number | null): string {
  if (typeof value !== 'string' || !/^\d{1,19}$/.test(value) || BigInt(value) > MAX_BIGINT) throw invalidCursor();
  return value;
}

/** A sort value of a figure (an int, a bigint of fen, or a fraction), as the column it is compared with takes it. */
export function cursorNumber(value: string | number | null, kind: 'int' | 'bigint' | 'float'): string | number {
  if (kind === 'float') {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidCursor();
    return value;
  }
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || !/^-?\d{1,19}$/.test(text)) throw invalidCursor();
  const n = BigInt(text);
  const max = kind === 'int' ? 2n ** 31n - 1n : MAX_BIGINT;
  if (n > max || n < -max - 1n) throw invalidCursor();
  return text;
}

/** Where a newest-first page continues: strictly after the last row seen, by (creation time, id). */
export interface NewestFirstKey {
  at: string;
  id: string;
}

export interface NewestFirstPage {
  limit: number;
  /** Rows to read: one more than the page, to know whether another follows. */
  fetch: number;
  after: NewestFirstKey | null;
}

/** The page a newest-first list is asked for, its cursor checked (a forged one is 400 INVALID_CURSOR). */
export function newestFirst(query: PageQuery): NewestFirstPage {
  const limit = pageLimit(query);
  const cursor = decodeCursor(query.cursor, 2);
  return { limit, fetch: limit + 1, after: cursor ? { at: cursorTimestamp(cursor[0]), id: cursorUuid(cursor[1]) } : null };
}

/** The page of rows read for `newestFirst`, with the cursor of its last row when more follow. */
export function newestFirstPageOf<R extends { id: string }, T>(rows: R[], page: NewestFirstPage, at: (row: R) => Date, present: (row: R) => T): Page<T> {
  return toPage(rows, page.limit, (r) => [at(r).toISOString(), r.id], present);
}

/** Where an oldest-first timeline continues: after an outbox or history position (`seq`). */
export interface SequencePage {
  limit: number;
  fetch: number;
  afterSeq: string;
}

export function inSequence(query: PageQuery): SequencePage {
  const limit = pageLimit(query);
  const cursor = decodeCursor(query.cursor, 1);
  return { limit, fetch: limit + 1, afterSeq: cursor ? cursorSeq(cursor[0]) : '0' };
}
