/**
 * Order statistics from bucket counts, pure. The database keeps, per brand, how many values of a figure fall in
 * each bucket (migration StatisticsTallies); a value's bucket is ⌊value / width⌋, so every value of an earlier
 * bucket is smaller than every value of a later one. The value at a 0-based rank r then lies in the bucket whose
 * cumulative count first exceeds r, at offset r − (count of the buckets before it) among that bucket's values in
 * order — which the partial index ordered by the value hands over after skipping only that many entries.
 */
import { quantileRanks } from './statistics.math';

/** A bucket's number and how many values it holds. */
export type BucketCount = readonly [bucket: number, n: number];

/** Where the value of one rank is read: values ≥ `low` and < `high`, skipping `offset` of them. */
export interface RankRead {
  rank: number;
  low: number;
  high: number;
  offset: number;
}

/** Width of a bucket of each ordered figure, as the SQL function placement_tallies() cuts them. */
export const BUCKET_WIDTH = {
  /** Annual salary in fen: CNY 1,000 buckets. */
  salary: 100_000,
  /** Uplift in percent. */
  uplift: 1,
  /** Days from registration to first confirmation. */
  days: 1,
} as const;

export function countOf(buckets: readonly BucketCount[]): number {
  return buckets.reduce((sum, [, n]) => sum + n, 0);
}

/** The reads that give the values at `ranks` (0-based, any order) of the values the buckets count. */
export function locateRanks(buckets: readonly BucketCount[], width: number, ranks: readonly number[]): RankRead[] {
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = countOf(sorted);
  return ranks.map((rank) => {
    if (!Number.isInteger(rank) || rank < 0 || rank >= total) throw new RangeError(`rank ${rank} is outside 0..${total - 1}`);
    let before = 0;
    for (const [bucket, n] of sorted) {
      if (rank < before + n) return { rank, low: bucket * width, high: (bucket + 1) * width, offset: rank - before };
      before += n;
    }
    throw new RangeError('unreachable: the ranks are within the total');
  });
}

/** The distinct ranks that decide the given quantiles of n values, ascending. */
export function ranksFor(n: number, quantiles: readonly number[]): number[] {
  return [...new Set(quantiles.flatMap((p) => quantileRanks(n, p)))].sort((a, b) => a - b);
}
