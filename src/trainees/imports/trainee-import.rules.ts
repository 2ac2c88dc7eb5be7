/**
 * An import job's course (API.md, Import jobs): queued → running → succeeded | failed; queued or running →
 * cancelled. Pure rules, unit-tested.
 */
export const IMPORT_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/** The statuses in which an import still has work to do (and its stored file): what cancel stops. */
export const UNFINISHED_IMPORT_STATUSES: readonly ImportStatus[] = ['queued', 'running'];

export function isUnfinished(status: ImportStatus): boolean {
  return UNFINISHED_IMPORT_STATUSES.includes(status);
}

/** Files beyond either limit are refused (413 PAYLOAD_TOO_LARGE). */
export const MAX_IMPORT_ROWS = 1_000_000;

/** The stored file is cut into chunks this large, each encrypted on its own (and read back one at a time). */
export const IMPORT_CHUNK_BYTES = 1024 * 1024;

/** A batch is committed once it has this many rows, or once it has been gathering this long: with the commit itself, progress moves well within a second. */
export const IMPORT_BATCH_ROWS = 2000;
export const IMPORT_BATCH_MS = 250;

/** The associated data of one stored chunk: a chunk never passes for another position's, or another import's. */
export function importChunkContext(importId: string, position: number): string {
  return `trainee_import:${importId}:${position}`;
}

/** The share of progress the first pass (checking the whole file before writing any row) stands for. */
export const CHECK_SHARE = 0.1;

/**
 * Progress from 0 to 1, in two legs so that it moves through both passes: the check (bytes of the stored file read,
 * up to CHECK_SHARE), then the writing (rows done of the rows the check counted). 1 once succeeded; an import that
 * failed or was cancelled stays where it stopped. Rounded down to 0.001, so that it never shows 1 early.
 */
export function importProgress(status: ImportStatus, p: { checkedBytes: number; bytes: number; rowsDone: number; totalRows: number | null }): number {
  if (status === 'succeeded') return 1;
  const checked = p.totalRows !== null ? 1 : p.bytes > 0 ? Math.min(1, p.checkedBytes / p.bytes) : 0;
  const written = p.totalRows ? Math.min(1, p.rowsDone / p.totalRows) : 0;
  return Math.floor((CHECK_SHARE * checked + (1 - CHECK_SHARE) * written) * 1000) / 1000;
}

/** Line breaks in a CSV or NDJSON file: an upper bound of its rows (+1 for a last line without one). */
export function countLineBreaks(chunk: Buffer): number {
  let n = 0;
  for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) n++;
  return n;
}
