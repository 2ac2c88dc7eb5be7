/**
 * Order statistics from bucket counts, pure. The database keeps, per brand, how many values of a figure fall in
 * each bucket (migration StatisticsTallies); a value's bucket is ⌊value / width⌋, so every value of an earlier
 * bucket is smaller than every value of a later one. The value at a 0-based rank r then lies in the bucket whose
 * cumulative count first exceeds r, at offset r − (count of the buckets before it) among that bucket's values in
 * order — which the partial index ordered by the value hands over after skipping only that many entries.
 */
import { sqlLiteral } from '../database/sql';
import { ACTIVE_PLACEMENT_STATUS } from '../placements/placement.rules';
import { TRAINEE_STATUSES } from '../trainees/trainee.rules';
import { quantileRanks } from './statistics.math';

/**
 * The cells the tallies keep per brand: each figure counts rows (and, for salaries, sums them) in buckets. The
 * SQL functions that say which cells a row contributes to (tallies.sql.ts) and the calculator's reads are both
 * built from these definitions.
 */
export const TALLY_FIGURES = {
  /** bucket: position of the trainee's status in TRAINEE_STATUS_ORDER. */
  traineesByStatus: 'trainees_by_status',
  /** bucket: day number (since 1970-01-01) of trainees.certified_until; CERTIFIED_FOREVER for no end. */
  certifiedUntil: 'certified_until',
  /** bucket: annual salary of an active placement / BUCKET_WIDTH.salary; total: the sum of those salaries. */
  activeSalary: 'active_salary',
  /** bucket 0: ended placements. */
  endedPlacements: 'ended_placements',
  /** bucket: ⌊days to first placement / BUCKET_WIDTH.days⌋; one per placed trainee. */
  firstConfirmationDays: 'first_confirmation_days',
  /** bucket: ⌊uplift / BUCKET_WIDTH.uplift⌋ of an active placement. */
  activeUplift: 'active_uplift',
  /** bucket: day number of the confirmation (Asia/Shanghai). */
  confirmedOn: 'confirmed_on',
  /** bucket: day number of the confirmation, for placements ended before 6 months passed. */
  endedWithin6m: 'ended_within_6m',
  /** bucket: alike, 12 months. */
  endedWithin12m: 'ended_within_12m',
  /** bucket: day number of the last working day (end_date) of an ended placement: ends by month. */
  endedOn: 'ended_on',
} as const;

export type TallyFigure = (typeof TALLY_FIGURES)[keyof typeof TALLY_FIGURES];

/** Retention: of placements confirmed at least `months` ago, the share not ended within `months` (API.md). */
export const RETENTION_WINDOWS = [
  { months: 6, tally: TALLY_FIGURES.endedWithin6m },
  { months: 12, tally: TALLY_FIGURES.endedWithin12m },
] as const;

/** The order of trainee statuses in the `trainees_by_status` buckets. */
export const TRAINEE_STATUS_ORDER = TRAINEE_STATUSES;

/** The `certified_until` bucket of a certificate without an end. */
export const CERTIFIED_FOREVER = 2_147_483_647;

/** Placements whose salary counts: the active ones, as a condition on a placements row (`alias.` prefixed). */
export function activePlacementSql(alias?: string): string {
  return `${alias ? `${alias}.` : ''}status = ${sqlLiteral(ACTIVE_PLACEMENT_STATUS)}`;
}

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

/**
 * The ordered figures (medians and quartiles): each a column of placements, the partial index that hands its
 * values over in order (declared on the Placement entity from these), and its tally.
 */
export const ORDERED_FIGURES = {
  salary: { tally: TALLY_FIGURES.activeSalary, column: 'annual_salary_fen', type: 'bigint', where: activePlacementSql(), width: BUCKET_WIDTH.salary, index: 'ix_placements_active_salary' },
  uplift: { tally: TALLY_FIGURES.activeUplift, column: 'uplift_pct', type: 'numeric', where: `${activePlacementSql()} AND uplift_pct IS NOT NULL`, width: BUCKET_WIDTH.uplift, index: 'ix_placements_active_uplift' },
  days: { tally: TALLY_FIGURES.firstConfirmationDays, column: 'days_to_placement', type: 'numeric', where: `days_to_placement IS NOT NULL`, width: BUCKET_WIDTH.days, index: 'ix_placements_first_confirmation' },
} as const;

export type OrderedFigure = keyof typeof ORDERED_FIGURES;

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
