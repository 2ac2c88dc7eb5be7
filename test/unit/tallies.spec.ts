import { percentileCont, quantileRanks } from '../../src/statistics/statistics.math';
import { BUCKET_WIDTH, BucketCount, countOf, locateRanks, RankRead, ranksFor } from '../../src/statistics/tallies.rules';
import { seededRandom } from '../support/random';


/** The buckets as the database cuts them: ⌊value / width⌋, one count per bucket, in no particular order. */
function bucketsOf(values: readonly number[], width: number, random: () => number): BucketCount[] {
  const counts = new Map<number, number>();
  for (const v of values) {
    const b = Math.floor(v / width);
    counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  const list: BucketCount[] = [...counts.entries()];
  // The database hands them over ordered, but locateRanks must not rely on it.
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list;
}

/**
 * What the partial index read does: the values ≥ low and < high, in order, skipping `offset`, first one. The
 * filtered, sorted range is cached per data set and range, as many reads land in one bucket.
 */
const ranges = new WeakMap<readonly number[], Map<string, number[]>>();
function readInBucket(values: readonly number[], read: RankRead): number | undefined {
  let cache = ranges.get(values);
  if (!cache) ranges.set(values, (cache = new Map()));
  const key = `${read.low}:${read.high}`;
  let inRange = cache.get(key);
  if (!inRange) cache.set(key, (inRange = values.filter((v) => v >= read.low && v < read.high).sort((a, b) => a - b)));
  return inRange[read.offset];
}

/** Brute force: the value at a rank is simply the sorted array at that index. */
function sortedValues(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

type Generator = (random: () => number) => number;

const GENERATORS: Record<string, { width: number; value: Generator }> = {
  // Annual salaries in fen, CNY 1,000 buckets: spread over a wide range, many in a few buckets.
  salary: { width: BUCKET_WIDTH.salary, value: (r) => 1 + Math.floor(r() * 50_000_000) },
  salaryClustered: { width: BUCKET_WIDTH.salary, value: (r) => 12_000_000 + Math.floor(r() * 300_000) },
  // Whole-yuan salaries with many exact duplicates.
  salaryDuplicates: { width: BUCKET_WIDTH.salary, value: (r) => [6_000_000, 9_600_000, 9_600_000, 12_000_000, 12_099_999, 12_100_000][Math.floor(r() * 6)] },
  // Uplift in percent: negative and fractional, width 1.
  uplift: { width: BUCKET_WIDTH.uplift, value: (r) => (r() - 0.6) * 300 },
  upliftNearZero: { width: BUCKET_WIDTH.uplift, value: (r) => (r() - 0.5) * 3 },
  // Exact bucket boundaries, negative and positive (the ⌊⌋ of a negative integer is itself).
  upliftBoundaries: { width: BUCKET_WIDTH.uplift, value: (r) => Math.floor(r() * 9) - 4 },
  // Days to placement: fractional, mostly small.
  days: { width: BUCKET_WIDTH.days, value: (r) => r() * r() * 400 },
  daysNegative: { width: BUCKET_WIDTH.days, value: (r) => (r() - 0.5) * 20 },
};

describe('tallies: order statistics from bucket counts', () => {
  describe('countOf', () => {
    it('sums the counts, whatever their order; nothing counts as zero', () => {
      expect(countOf([])).toBe(0);
      expect(countOf([[5, 3]])).toBe(3);
      expect(countOf([[7, 1], [-2, 4], [0, 0], [3, 10]])).toBe(15);
    });

    it('equals the number of values on random data', () => {
      const random = seededRandom(7);
      for (let i = 0; i < 200; i++) {
        const values = Array.from({ length: 1 + Math.floor(random() * 300) }, () => (random() - 0.5) * 1000);
        expect(countOf(bucketsOf(values, 1, random))).toBe(values.length);
      }
    });
  });

  describe('ranksFor', () => {
    it('names the distinct ranks of the quantiles, ascending, within 0..n-1', () => {
      expect(ranksFor(1, [0.25, 0.5, 0.75])).toEqual([0]);
      expect(ranksFor(2, [0.5])).toEqual([0, 1]);
      expect(ranksFor(5, [0.25, 0.5, 0.75])).toEqual([1, 2, 3, 4]);
      expect(ranksFor(4, [0.25, 0.5, 0.75])).toEqual([0, 1, 2, 3]);
      expect(ranksFor(9, [0.5])).toEqual([4, 5]);
      expect(ranksFor(9, [0.75, 0.25])).toEqual([2, 3, 6, 7]);
    });

    it('matches a brute-force reference for every n up to 500', () => {
      for (let n = 1; n <= 500; n++) {
        for (const quantiles of [[0.5], [0.25, 0.5, 0.75], [0, 1], [0.1, 0.9]]) {
          const expected = new Set<number>();
          for (const p of quantiles) {
            const h = p * (n - 1);
            expected.add(Math.floor(h));
            expected.add(Math.min(Math.floor(h) + 1, n - 1));
          }
          expect(ranksFor(n, quantiles)).toEqual([...expected].sort((a, b) => a - b));
        }
      }
    });

    it('refuses an empty set of values and a quantile outside [0, 1]', () => {
      expect(() => ranksFor(0, [0.5])).toThrow(RangeError);
      expect(() => ranksFor(-1, [0.5])).toThrow(RangeError);
      expect(() => ranksFor(1.5, [0.5])).toThrow(RangeError);
      expect(() => ranksFor(3, [1.5])).toThrow(RangeError);
      expect(() => ranksFor(3, [-0.1])).toThrow(RangeError);
      expect(ranksFor(3, [])).toEqual([]);
    });
  });

  describe('locateRanks', () => {
    it('finds the bucket and offset of every rank, as a brute-force sort does (random data, seeded)', () => {
      let cases = 0;
      for (const [name, { width, value }] of Object.entries(GENERATORS)) {
        for (let seed = 1; seed <= 60; seed++) {
          const random = seededRandom(seed * 1009 + name.length);
          // One to five values first, then random sizes, some large.
          const n = seed <= 5 ? seed : 1 + Math.floor(random() * (seed % 3 === 0 ? 2000 : 120));
          const values = Array.from({ length: n }, () => value(random));
          const buckets = bucketsOf(values, width, random);
          const sorted = sortedValues(values);
          // Every rank, in a random order (the answer keeps the order asked).
          const ranks = Array.from({ length: n }, (_, i) => i);
          for (let i = n - 1; i > 0; i--) {
            const j = Math.floor(random() * (i + 1));
            [ranks[i], ranks[j]] = [ranks[j], ranks[i]];
          }
          const reads = locateRanks(buckets, width, ranks);
          expect(reads.map((r) => r.rank)).toEqual(ranks);
          const wrong = reads
            .filter((r) => !(r.low <= sorted[r.rank] && sorted[r.rank] < r.high && r.high - r.low === width && r.offset >= 0 && readInBucket(values, r) === sorted[r.rank]))
            .map((r) => ({ ...r, expected: sorted[r.rank], read: readInBucket(values, r) }));
          expect({ case: `${name} seed ${seed} n ${n}`, wrong }).toEqual({ case: `${name} seed ${seed} n ${n}`, wrong: [] });
          cases++;
        }
      }
      expect(cases).toBe(Object.keys(GENERATORS).length * 60);
    });

    it('gives exactly percentile_cont for the quartiles and the median through ranksFor (random data)', () => {
      const random = seededRandom(20260101);
      for (let i = 0; i < 400; i++) {
        const { width, value } = Object.values(GENERATORS)[i % Object.keys(GENERATORS).length];
        const n = 1 + Math.floor(random() * (i % 5 === 0 ? 3000 : 40));
        const values = Array.from({ length: n }, () => value(random));
        const sorted = sortedValues(values);
        const buckets = bucketsOf(values, width, random);
        const quantiles = [0.25, 0.5, 0.75];
        const reads = locateRanks(buckets, width, ranksFor(countOf(buckets), quantiles));
        const at = new Map(reads.map((r) => [r.rank, readInBucket(values, r) as number]));
        for (const p of quantiles) {
          const [lo, hi] = quantileRanks(n, p);
          const h = p * (n - 1);
          const viaTallies = at.get(lo)! + (h - Math.floor(h)) * (at.get(hi)! - at.get(lo)!);
          expect(viaTallies).toBe(percentileCont(sorted, p));
        }
      }
    });

    it('handles one value, all values in one bucket, and duplicates across the whole range', () => {
      expect(locateRanks([[120, 1]], BUCKET_WIDTH.salary, [0])).toEqual([{ rank: 0, low: 12_000_000, high: 12_100_000, offset: 0 }]);
      expect(locateRanks([[-3, 1]], 1, [0])).toEqual([{ rank: 0, low: -3, high: -2, offset: 0 }]);

      const same = Array.from({ length: 50 }, () => 12_345_600);
      const one = bucketsOf(same, BUCKET_WIDTH.salary, seededRandom(1));
      expect(one).toEqual([[123, 50]]);
      const reads = locateRanks(one, BUCKET_WIDTH.salary, [0, 24, 25, 49]);
      expect(reads.map((r) => r.offset)).toEqual([0, 24, 25, 49]);
      for (const r of reads) expect(readInBucket(same, r)).toBe(12_345_600);

      // All values in one bucket of width 1 but distinct: the offset is the rank.
      const fractions = [0.9, 0.1, 0.5, 0.3, 0.7];
      expect(locateRanks(bucketsOf(fractions, 1, seededRandom(2)), 1, [0, 1, 2, 3, 4]).map((r) => readInBucket(fractions, r))).toEqual([0.1, 0.3, 0.5, 0.7, 0.9]);
    });

    it('skips buckets whose count is zero and accepts the buckets in any order, without changing them', () => {
      const buckets: BucketCount[] = [[5, 2], [1, 0], [-1, 3], [2, 0], [9, 1]];
      const copy = JSON.parse(JSON.stringify(buckets));
      expect(locateRanks(buckets, 1, [0, 2, 3, 4, 5])).toEqual([
        { rank: 0, low: -1, high: 0, offset: 0 },
        { rank: 2, low: -1, high: 0, offset: 2 },
        { rank: 3, low: 5, high: 6, offset: 0 },
        { rank: 4, low: 5, high: 6, offset: 1 },
        { rank: 5, low: 9, high: 10, offset: 0 },
      ]);
      expect(buckets).toEqual(copy);
      expect(locateRanks(buckets, 1, [])).toEqual([]);
    });

    it('refuses a rank outside 0..n-1 or not a whole number', () => {
      const buckets: BucketCount[] = [[10, 2], [11, 3]];
      for (const bad of [-1, 5, 6, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => locateRanks(buckets, 1, [bad])).toThrow(RangeError);
        expect(() => locateRanks(buckets, 1, [0, bad])).toThrow(RangeError);
      }
      expect(() => locateRanks([], 1, [0])).toThrow(RangeError);
      expect(() => locateRanks([[4, 0]], 1, [0])).toThrow(/outside/);
      expect(locateRanks(buckets, 1, [4])).toEqual([{ rank: 4, low: 11, high: 12, offset: 2 }]);
    });
  });
});
