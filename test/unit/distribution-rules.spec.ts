import { displayWidth, mergeSmallBuckets, monthOfDay, placementsByMonth, salaryDistribution, TARGET_BINS } from '../../src/statistics/distribution.rules';
import { BUCKET_WIDTH, type BucketCount } from '../../src/statistics/tallies.rules';

const K = BUCKET_WIDTH.salary; // CNY 1,000 a year, in fen
/** Cells of these annual salaries in CNY. */
const cellsOf = (yuan: number[]): BucketCount[] => {
  const counts = new Map<number, number>();
  for (const y of yuan) counts.set(Math.floor((y * 100) / K), (counts.get(Math.floor((y * 100) / K)) ?? 0) + 1);
  return [...counts.entries()];
};
const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;

describe('salaryDistribution', () => {
  it('shows nothing below five salaries (suppressed), and nothing to hide for none', () => {
    expect(salaryDistribution(cellsOf([100_000, 120_000, 150_000, 160_000]))).toEqual({ bucketWidthFen: K, buckets: [], sampleSize: 4, suppressed: true });
    expect(salaryDistribution([])).toEqual({ bucketWidthFen: K, buckets: [], sampleSize: 0, suppressed: true });
  });

  it('five equal salaries make one bucket of five, one CNY 1,000 wide', () => {
    expect(salaryDistribution(cellsOf([150_500, 150_100, 150_900, 150_000, 150_999]))).toEqual({
      bucketWidthFen: K,
      buckets: [{ fromFen: 150_000 * 100, toFen: 151_000 * 100, count: 5 }],
      sampleSize: 5,
      suppressed: false,
    });
  });

  it('never shows a bucket of fewer than five, and counts everyone', () => {
    // Random brands: every published bucket has >= 5 people, edges on the CNY 1,000 grid, ascending, disjoint.
    let seed = 42;
    const random = (): number => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const failures: string[] = [];
    for (let brand = 0; brand < 300; brand++) {
      const n = 5 + Math.floor(random() * 200);
      const salaries = Array.from({ length: n }, () => Math.round(40_000 + random() ** 3 * 600_000));
      const d = salaryDistribution(cellsOf(salaries));
      const fail = (why: string): number => failures.push(`brand ${brand}: ${why} in ${JSON.stringify(d)}`);
      if (d.suppressed || d.sampleSize !== n) fail('suppressed or wrong sample size');
      if (d.buckets.reduce((s, b) => s + b.count, 0) !== n) fail('counts do not add up');
      for (const [i, b] of d.buckets.entries()) {
        if (b.count < 5) fail(`bucket ${i} counts ${b.count}`);
        if (b.fromFen % K !== 0 || b.toFen % d.bucketWidthFen !== 0 || b.toFen <= b.fromFen) fail(`bucket ${i} edges`);
        if (i > 0 && b.fromFen < d.buckets[i - 1].toFen) fail(`bucket ${i} overlaps`);
      }
      // Every salary lies in the bucket that counts it.
      for (const y of salaries) if (!d.buckets.some((b) => y * 100 >= b.fromFen && y * 100 < b.toFen)) fail(`salary ${y} in no bucket`);
    }
    expect(failures).toEqual([]);
  });

  it('bins the middle 90 % into at most a dozen bins of a round width', () => {
    const salaries = Array.from({ length: 1000 }, (_, i) => 100_000 + i * 100); // CNY 100,000 … 199,900
    const d = salaryDistribution(cellsOf(salaries));
    expect(d.bucketWidthFen).toBe(10_000 * 100);
    expect(d.buckets).toHaveLength(10);
    expect(d.buckets[0]).toEqual({ fromFen: 100_000 * 100, toFen: 110_000 * 100, count: 100 });
    expect(displayWidth(cellsOf(salaries))).toBe(10_000 * 100);
    expect(TARGET_BINS).toBe(12);
  });

  it('merges an outlier into its nearest neighbour rather than publishing it', () => {
    const salaries = [...Array(10).fill(100_000), ...Array(10).fill(110_000), 2_000_000];
    const d = salaryDistribution(cellsOf(salaries));
    expect(d.buckets.map((b) => b.count)).toEqual([10, 11]);
    expect(d.buckets[1].fromFen).toBe(110_000 * 100);
    expect(d.buckets[1].toFen).toBeGreaterThan(2_000_000 * 100);
  });

  it('leaves out bins nobody falls in: a gap between buckets', () => {
    const salaries = [...Array(6).fill(50_000), ...Array(6).fill(150_000)];
    const d = salaryDistribution(cellsOf(salaries));
    expect(d.buckets.map((b) => b.count)).toEqual([6, 6]);
    expect(d.buckets[1].fromFen).toBeGreaterThan(d.buckets[0].toFen);
  });
});

describe('mergeSmallBuckets', () => {
  const b = (from: number, to: number, count: number) => ({ fromFen: from, toFen: to, count });

  it('joins the smallest to the nearer neighbour, on a tie to the smaller one, then the lower', () => {
    expect(mergeSmallBuckets([b(0, 1, 9), b(1, 2, 2), b(5, 6, 9)], 5)).toEqual([b(0, 2, 11), b(5, 6, 9)]);
    expect(mergeSmallBuckets([b(0, 1, 9), b(2, 3, 2), b(4, 5, 7)], 5)).toEqual([b(0, 1, 9), b(2, 5, 9)]);
    expect(mergeSmallBuckets([b(0, 1, 7), b(2, 3, 2), b(4, 5, 7)], 5)).toEqual([b(0, 3, 9), b(4, 5, 7)]);
  });

  it('keeps buckets that are large enough as they are', () => {
    const buckets = [b(0, 1, 5), b(1, 2, 50), b(3, 4, 6)];
    expect(mergeSmallBuckets(buckets, 5)).toEqual(buckets);
  });

  it('merges runs of small buckets until none is left', () => {
    const merged = mergeSmallBuckets([b(0, 1, 1), b(1, 2, 1), b(2, 3, 1), b(3, 4, 1), b(4, 5, 1), b(5, 6, 1)], 5);
    expect(merged).toEqual([b(0, 6, 6)]);
  });
});

describe('placementsByMonth', () => {
  it('counts confirmations and ends per month, oldest first, zero months included, through the current month', () => {
    const items = placementsByMonth(
      [[day('2026-01-31'), 2], [day('2026-01-01'), 1], [day('2026-03-15'), 4]],
      [[day('2026-03-02'), 1]],
      '2026-05',
    );
    expect(items).toEqual([
      { month: '2026-01', confirmed: 3, ended: 0 },
      { month: '2026-02', confirmed: 0, ended: 0 },
      { month: '2026-03', confirmed: 4, ended: 1 },
      { month: '2026-04', confirmed: 0, ended: 0 },
      { month: '2026-05', confirmed: 0, ended: 0 },
    ]);
  });

  it('crosses years, and is empty without any placement', () => {
    expect(placementsByMonth([[day('2025-12-31'), 1]], [], '2026-01').map((i) => i.month)).toEqual(['2025-12', '2026-01']);
    expect(placementsByMonth([], [], '2026-01')).toEqual([]);
    expect(monthOfDay(0)).toBe('1970-01');
  });
});
