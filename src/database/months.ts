/**
 * Calendar months as `YYYY-MM`, in UTC: the unit tables partitioned by month are cut into, named and archived by.
 * UTC rather than China time so that a partition's bounds read the same on every server and in every session.
 */

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function isMonth(value: string): boolean {
  return MONTH.test(value);
}

/** The month an instant falls in (UTC). */
export function monthOf(at: Date): string {
  return at.toISOString().slice(0, 7);
}

/** `month` moved by `n` months (negative: back). */
export function addMonths(month: string, n: number): string {
  const m = MONTH.exec(month);
  if (!m) throw new Error(`not a month: ${month}`);
  const index = Number(m[1]) * 12 + Number(m[2]) - 1 + n;
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** The months from `from` to `to`, both included, oldest first (none when `to` is before `from`). */
export function monthRange(from: string, to: string): string[] {
  const months: string[] = [];
  for (let m = from; m <= to; m = addMonths(m, 1)) months.push(m);
  return months;
}

/** The first instant of the month, as a timestamptz literal Postgres reads the same in every time zone. */
export function monthStart(month: string): string {
  if (!isMonth(month)) throw new Error(`not a month: ${month}`);
  return `${month}-01 00:00:00+00`;
}

/** `outbox_events` + `2026-12` → `outbox_events_y2026m12` (the migration that partitioned the tables names them so too). */
export function monthPartitionName(table: string, month: string): string {
  if (!isMonth(month)) throw new Error(`not a month: ${month}`);
  return `${table}_y${month.slice(0, 4)}m${month.slice(5, 7)}`;
}

/** The month a partition of `table` holds, from its name; null for the default partition or a foreign name. */
export function monthOfPartition(table: string, partition: string): string | null {
  if (!partition.startsWith(`${table}_y`)) return null;
  const m = /^(\d{4})m(\d{2})$/.exec(partition.slice(table.length + 2));
  const month = m ? `${m[1]}-${m[2]}` : '';
  return isMonth(month) ? month : null;
}

/** The partition that catches rows no month partition takes. */
export function defaultPartitionName(table: string): string {
  return `${table}_default`;
}

/**
 * The first month kept when `retention` whole months before the current one stay in the database: every month
 * before it may be archived. An explicit `before` can only move it back, never into the retained months.
 */
export function archiveCutoff(now: Date, retention: number, before?: string): string {
  const kept = addMonths(monthOf(now), -retention);
  return before !== undefined && before < kept ? before : kept;
}
