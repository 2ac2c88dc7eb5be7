/**
 * The statistics maths, pure. Definitions (API.md, Statistics):
 *
 * - Quartiles and median are Postgres `percentile_cont` (continuous percentile, linear interpolation between the
 *   closest ranks — Hyndman & Fan type 7, also Excel's PERCENTILE.INC and numpy's default): over n sorted values
 *   v[0..n-1], the p-quantile sits at position h = p·(n−1); with k = ⌊h⌋ it is v[k] + (h − k)·(v[k+1] − v[k]).
 *   An even count's median is therefore the mean of the two middle values.
 * - Money figures are rounded to the nearest fen, halves away from zero (as Postgres `round(numeric)`).
 *
 * The service fetches only the ranks these positions name (an index-ordered scan, no sort), so the positions are
 * computed here, once, and tested against `percentile_cont` on the same data.
 */

/** 0-based ranks whose values determine the p-quantile of n values: one rank, or two to interpolate between. */
export function quantileRanks(n: number, p: number): [number, number] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError('a quantile needs at least one value');
  if (!(p >= 0 && p <= 1)) throw new RangeError('p must be within [0, 1]');
  const h = p * (n - 1);
  const k = Math.floor(h);
  return [k, Math.min(k + 1, n - 1)];
}

/**
 * The p-quantile from the values at the two ranks `quantileRanks` named. The fraction h − k is a multiple of
 * 1/4 for the quartiles, exact in binary floating point, so the result is exact before rounding.
 */
export function interpolateQuantile(n: number, p: number, low: number, high: number): number {
  const h = p * (n - 1);
  const fraction = h - Math.floor(h);
  return low + fraction * (high - low);
}

/** Nearest whole fen, halves away from zero. */
export function roundFen(value: number): number {
  return Math.sign(value) * Math.round(Math.abs(value));
}

/** percentile_cont over an already sorted array: the reference the tests compare the SQL path with. */
export function percentileCont(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const [lo, hi] = quantileRanks(sorted.length, p);
  return interpolateQuantile(sorted.length, p, sorted[lo], sorted[hi]);
}

/** Salary figures below this sample size are suppressed for the public (small cells identify people). */
export const SUPPRESSION_THRESHOLD = 5;

export function isSuppressed(sampleSize: number): boolean {
  return sampleSize < SUPPRESSION_THRESHOLD;
}

/** A share in [0, 1]; null when there is nothing to divide by. */
export function rate(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

/** Adds calendar months the way Postgres `date + interval 'N months'` does: the day clamps to the month's end. */
export function addCalendarMonths(isoDate: string, months: number): string {
  const [y, m, d] = isoDate.split('-').map(Number);
  const target = new Date(Date.UTC(y, m - 1 + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d, lastDay));
  return target.toISOString().slice(0, 10);
}
