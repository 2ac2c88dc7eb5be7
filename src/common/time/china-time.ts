/**
 * China's civil time (UTC+8 all year, no daylight saving since 1991): validity dates, "today" for expiry, the day a
 * placement was confirmed and the nightly refresh are all reckoned in it, whatever the server's own zone.
 */
export const CHINA_TIME_ZONE = 'Asia/Shanghai';
export const CHINA_UTC_OFFSET = '+08:00';
export const CHINA_UTC_OFFSET_MS = 8 * 3_600_000;

/** A real calendar date `YYYY-MM-DD` (no 30 February). */
export function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/** The date in China, `YYYY-MM-DD`. */
export function chinaToday(now: Date = new Date()): string {
  return new Date(now.getTime() + CHINA_UTC_OFFSET_MS).toISOString().slice(0, 10);
}
