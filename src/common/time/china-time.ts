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
  // Arithmetic rather than a Date and its ISO string: every imported row's birth date comes through here.
  const year = Number(value.slice(0, 4));
  const month = Number(value.slice(5, 7));
  const day = Number(value.slice(8, 10));
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 ? (leap ? 29 : 28) : DAYS_IN_MONTH[month - 1]);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The date in China, `YYYY-MM-DD`. */
export function chinaToday(now: Date = new Date()): string {
  // An import checks every row against one `today`: the last answer is kept rather than recomputed per row.
  const at = now.getTime();
  if (at !== lastTodayAt) {
    lastTodayAt = at;
    lastToday = new Date(at + CHINA_UTC_OFFSET_MS).toISOString().slice(0, 10);
  }
  return lastToday;
}

let lastTodayAt = NaN;
let lastToday = '';
