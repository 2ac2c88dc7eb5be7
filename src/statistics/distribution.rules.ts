/**
 * The shapes the public pages draw, made from the tallies, pure (API.md, Public pages):
 *
 * - A brand's salary distribution, from its `active_salary` cells (how many active placements have an annual
 *   salary in each CNY 1,000 band). The cells are grouped into bins of one display width, chosen so that the middle
 *   90 % of salaries spans at most TARGET_BINS bins; then every bin of fewer than `minCount` people is merged into a
 *   neighbour until none is left. So no published bucket counts fewer than 5 people, and every bucket edge lies on
 *   the CNY 1,000 grid: no bucket places anyone's salary more finely than CNY 1,000 a year. Bins nobody falls in are
 *   left out (a gap between two buckets holds nobody). Fewer than `minCount` salaries in all: nothing is shown.
 * - A brand's placements and ends by month, from its `confirmed_on` and `ended_on` day cells.
 */
import { SUPPRESSION_THRESHOLD } from './statistics.math';
import { BUCKET_WIDTH, type BucketCount } from './tallies.rules';

/** Display widths a distribution may use, in fen: CNY 1,000, 2,000, 5,000, 10,000, … 1,000,000 a year. */
export const DISTRIBUTION_WIDTHS_FEN: readonly number[] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].map((k) => k * BUCKET_WIDTH.salary);

/** At most this many bins over the middle 90 % of the salaries (before merging). */
export const TARGET_BINS = 12;

export interface DistributionBucket {
  /** Lower edge, inclusive, annual fen. */
  fromFen: number;
  /** Upper edge, exclusive, annual fen. */
  toFen: number;
  count: number;
}

export interface SalaryDistribution {
  /** The display width the salaries were binned by; a merged bucket spans several. */
  bucketWidthFen: number;
  buckets: DistributionBucket[];
  /** Salaries counted (active placements), shown or not. */
  sampleSize: number;
  /** True when there are fewer than `minCount` salaries (5 for the public, as the brand's salary figures): no bucket is shown. */
  suppressed: boolean;
}

/** The value-ordered cell at a 0-based rank of the values the cells count. */
function cellAtRank(cells: readonly BucketCount[], rank: number): number {
  let before = 0;
  for (const [bucket, n] of cells) {
    if (rank < before + n) return bucket;
    before += n;
  }
  return cells[cells.length - 1][0];
}

/** The narrowest display width that spreads the middle 90 % of the values over at most TARGET_BINS bins. */
export function displayWidth(cells: readonly BucketCount[], cellWidth: number = BUCKET_WIDTH.salary): number {
  const total = cells.reduce((s, [, n]) => s + n, 0);
  const low = cellAtRank(cells, Math.floor(0.05 * (total - 1)));
  const high = cellAtRank(cells, Math.ceil(0.95 * (total - 1)));
  const from = low * cellWidth;
  const to = (high + 1) * cellWidth;
  for (const width of DISTRIBUTION_WIDTHS_FEN) {
    if (width < cellWidth || width % cellWidth !== 0) continue;
    if (Math.ceil(to / width) - Math.floor(from / width) <= TARGET_BINS) return width;
  }
  return DISTRIBUTION_WIDTHS_FEN[DISTRIBUTION_WIDTHS_FEN.length - 1];
}

/**
 * Merges buckets until every one counts at least `minCount`: the smallest bucket (the lowest of equals) joins the
 * neighbour nearer to it in salary (on a tie the smaller neighbour, then the lower one). Needs a total of at least
 * `minCount`.
 */
export function mergeSmallBuckets(buckets: readonly DistributionBucket[], minCount: number): DistributionBucket[] {
  const merged = buckets.map((b) => ({ ...b }));
  for (;;) {
    let smallest = -1;
    for (let i = 0; i < merged.length; i++) {
      if (merged[i].count < minCount && (smallest < 0 || merged[i].count < merged[smallest].count)) smallest = i;
    }
    if (smallest < 0 || merged.length < 2) return merged;
    const left = smallest - 1;
    const right = smallest + 1;
    let into: number;
    if (left < 0) into = right;
    else if (right >= merged.length) into = left;
    else {
      const leftGap = merged[smallest].fromFen - merged[left].toFen;
      const rightGap = merged[right].fromFen - merged[smallest].toFen;
      if (leftGap !== rightGap) into = leftGap < rightGap ? left : right;
      else into = merged[right].count < merged[left].count ? right : left;
    }
    const [a, b] = into < smallest ? [into, smallest] : [smallest, into];
    merged.splice(a, 2, { fromFen: merged[a].fromFen, toFen: merged[b].toFen, count: merged[a].count + merged[b].count });
  }
}

/**
 * The distribution of the salaries the cells count (`[cell, people]`, a cell being ⌊annual fen / cellWidth⌋),
 * with no bucket under `minCount` people (SUPPRESSION_THRESHOLD for the public).
 */
export function salaryDistribution(cells: readonly BucketCount[], minCount: number = SUPPRESSION_THRESHOLD, cellWidth: number = BUCKET_WIDTH.salary): SalaryDistribution {
  const sorted = cells.filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]);
  const sampleSize = sorted.reduce((s, [, n]) => s + n, 0);
  if (sampleSize === 0 || sampleSize < minCount) return { bucketWidthFen: cellWidth, buckets: [], sampleSize, suppressed: sampleSize < minCount };
  const width = displayWidth(sorted, cellWidth);
  const bins: DistributionBucket[] = [];
  for (const [cell, n] of sorted) {
    const fromFen = Math.floor((cell * cellWidth) / width) * width;
    const last = bins[bins.length - 1];
    if (last && last.fromFen === fromFen) last.count += n;
    else bins.push({ fromFen, toFen: fromFen + width, count: n });
  }
  return { bucketWidthFen: width, buckets: mergeSmallBuckets(bins, minCount), sampleSize, suppressed: false };
}

export interface MonthCount {
  /** `YYYY-MM` (China calendar). */
  month: string;
  confirmed: number;
  ended: number;
}

/** `YYYY-MM` of a day number (days since 1970-01-01). */
export function monthOfDay(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 7);
}

function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

/**
 * Placements confirmed and ended in each month, oldest first, every month from the first with either through
 * `currentMonth` (or the last with either, if later), months without any included as zeros. Empty when there is
 * nothing at all.
 */
export function placementsByMonth(confirmedDays: readonly BucketCount[], endedDays: readonly BucketCount[], currentMonth: string): MonthCount[] {
  const counts = new Map<string, { confirmed: number; ended: number }>();
  const add = (days: readonly BucketCount[], key: 'confirmed' | 'ended'): void => {
    for (const [day, n] of days) {
      if (n === 0) continue;
      const month = monthOfDay(day);
      const entry = counts.get(month) ?? { confirmed: 0, ended: 0 };
      entry[key] += n;
      counts.set(month, entry);
    }
  };
  add(confirmedDays, 'confirmed');
  add(endedDays, 'ended');
  if (counts.size === 0) return [];
  const months = [...counts.keys()].sort();
  const last = months[months.length - 1] > currentMonth ? months[months.length - 1] : currentMonth;
  const items: MonthCount[] = [];
  for (let month = months[0]; month <= last; month = nextMonth(month)) {
    const entry = counts.get(month) ?? { confirmed: 0, ended: 0 };
    items.push({ month, confirmed: entry.confirmed, ended: entry.ended });
  }
  return items;
}
