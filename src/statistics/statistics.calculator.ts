import { Injectable, Logger } from '@nestjs/common';
import { DataSource, QueryRunner } from 'typeorm';
import { chinaToday } from '../brands/brand.rules';
import { coverPrefix, prefixRange, regionCovers } from '../common/identifiers/region-code';
import { inTransaction } from '../database/transactions';
import { TRAINEE_STATUSES } from '../trainees/trainee.rules';
import { interpolateQuantile, quantileRanks, rate, roundFen } from './statistics.math';
import { BUCKET_WIDTH, BucketCount, countOf, locateRanks, RankRead, ranksFor } from './tallies';

const QUARTILES = [0.25, 0.5, 0.75] as const;

/** Anything that runs SQL: the data source (a pooled connection per statement) or one connection's runner. */
interface Sql {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- rows as the driver returns them, as TypeORM types them
  query(sql: string, parameters?: unknown[]): Promise<any>;
}

/** The tallies promised a value the rows do not hold. */
class TalliesDrifted extends Error {}

/** A money figure to the whole fen; null stays null. */
function fen(value: number | null): number | null {
  return value === null ? null : roundFen(value);
}

/** The p-quantile of an ordered figure (null when it has no values), from the values read at its ranks. */
type Quantiles = (figure: OrderedFigure, p: number) => number | null;

const UPSERT_REGION_STATISTICS = `
  INSERT INTO region_statistics (region_code, brand_count, trainee_count, placed_trainee_count, active_placement_count,
      salary_sample_size, p25_annual_fen, median_annual_fen, p75_annual_fen, mean_annual_fen, as_of, computed_at)
  VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, clock_timestamp())
  ON CONFLICT (region_code) DO UPDATE SET brand_count = EXCLUDED.brand_count, trainee_count = EXCLUDED.trainee_count,
    placed_trainee_count = EXCLUDED.placed_trainee_count, active_placement_count = EXCLUDED.active_placement_count,
    salary_sample_size = EXCLUDED.salary_sample_size, p25_annual_fen = EXCLUDED.p25_annual_fen,
    median_annual_fen = EXCLUDED.median_annual_fen, p75_annual_fen = EXCLUDED.p75_annual_fen,
    mean_annual_fen = EXCLUDED.mean_annual_fen, as_of = EXCLUDED.as_of, computed_at = EXCLUDED.computed_at`;

const UPSERT_BRAND_STATISTICS = `
  INSERT INTO brand_statistics (brand_id, region_code, occupation_code, is_public, trainee_count, trainees_by_status,
      certified_trainee_count, certification_rate, placed_trainee_count, placement_rate, active_placement_count,
      ended_placement_count, employer_count, salary_sample_size, median_annual_fen, p25_annual_fen, p75_annual_fen,
      mean_annual_fen, median_salary_uplift_pct, median_days_to_placement, retention6m_rate, retention12m_rate,
      as_of, computed_at, last_event_id, last_event_seq)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, clock_timestamp(), $24, $25)
  ON CONFLICT (brand_id) DO UPDATE SET
    region_code = EXCLUDED.region_code, occupation_code = EXCLUDED.occupation_code, is_public = EXCLUDED.is_public,
    trainee_count = EXCLUDED.trainee_count, trainees_by_status = EXCLUDED.trainees_by_status,
    certified_trainee_count = EXCLUDED.certified_trainee_count, certification_rate = EXCLUDED.certification_rate,
    placed_trainee_count = EXCLUDED.placed_trainee_count, placement_rate = EXCLUDED.placement_rate,
    active_placement_count = EXCLUDED.active_placement_count, ended_placement_count = EXCLUDED.ended_placement_count,
    employer_count = EXCLUDED.employer_count, salary_sample_size = EXCLUDED.salary_sample_size,
    median_annual_fen = EXCLUDED.median_annual_fen, p25_annual_fen = EXCLUDED.p25_annual_fen,
    p75_annual_fen = EXCLUDED.p75_annual_fen, mean_annual_fen = EXCLUDED.mean_annual_fen,
    median_salary_uplift_pct = EXCLUDED.median_salary_uplift_pct, median_days_to_placement = EXCLUDED.median_days_to_placement,
    retention6m_rate = EXCLUDED.retention6m_rate, retention12m_rate = EXCLUDED.retention12m_rate,
    as_of = EXCLUDED.as_of, computed_at = EXCLUDED.computed_at, last_event_id = EXCLUDED.last_event_id,
    last_event_seq = EXCLUDED.last_event_seq
  -- A recomputation from an older snapshot never overwrites a fresher one.
  WHERE brand_statistics.last_event_seq <= EXCLUDED.last_event_seq`;

/** The region codes whose figures a brand's change can move: its district, city, province and the nation. */
export function coveringRegions(regionCode: string): string[] {
  const candidates = [regionCode, `${regionCode.slice(0, 4)}00`, `${regionCode.slice(0, 2)}0000`, '100000'];
  return [...new Set(candidates)].filter((c) => regionCovers(c, regionCode));
}


/** The ordered figures, each read from a partial index on placements ordered by its value. */
const ORDERED = {
  salary: { column: 'annual_salary_fen', type: 'bigint', where: `status = 'confirmed'`, width: BUCKET_WIDTH.salary },
  uplift: { column: 'uplift_pct', type: 'numeric', where: `status = 'confirmed' AND uplift_pct IS NOT NULL`, width: BUCKET_WIDTH.uplift },
  days: { column: 'days_to_placement', type: 'numeric', where: `days_to_placement IS NOT NULL`, width: BUCKET_WIDTH.days },
} as const;
type OrderedFigure = keyof typeof ORDERED;

/**
 * A brand's (or a region's brands') tallies as they stand in the current snapshot: the folded cells plus the
 * deltas appended since the last fold. `$1` is an array of brand ids.
 */
const TALLIES_CTE = `
  tallies AS (
    SELECT figure, bucket, sum(n)::bigint AS n, sum(total)::bigint AS total FROM (
      SELECT figure, bucket, n, total FROM brand_tallies WHERE brand_id = ANY($1::uuid[])
      UNION ALL
      SELECT u.figure, u.bucket, u.n, u.total
        FROM brand_tally_deltas d, unnest(d.figures, d.buckets, d.ns, d.totals) AS u(figure, bucket, n, total)
       WHERE d.brand_id = ANY($1::uuid[])) cells
     GROUP BY figure, bucket HAVING sum(n) <> 0),
  buckets AS (
    SELECT figure, json_agg(json_build_array(bucket, n) ORDER BY bucket) AS counts FROM tallies GROUP BY figure)`;

const bucketsOf = (figure: string): string => `(SELECT counts FROM buckets WHERE figure = '${figure}')`;
const countOfFigure = (figure: string, condition = 'true'): string =>
  `(SELECT COALESCE(sum(n), 0)::int FROM tallies WHERE figure = '${figure}' AND ${condition})`;
/** A confirmation-day bucket whose retention window of `months` has closed by $2 (the day of the figures). */
const windowClosed = (months: number): string => `(DATE '1970-01-01' + bucket::int) + interval '${months} months' <= $2::date`;

/**
 * Computes the figures in one REPEATABLE READ snapshot, so every figure and the event position they are stamped
 * with describe the same instant. Exact, and cheap however large the brand: counts come from the tallies the
 * triggers keep with every write, and each median or quartile from one short read inside the bucket that holds
 * its rank (see tallies.ts). Nothing scans the brand's placements or trainees.
 */
@Injectable()
export class StatisticsCalculator {
  private readonly logger = new Logger(StatisticsCalculator.name);

  constructor(private readonly dataSource: DataSource) {}

  /** Runs `work` on one pooled connection: a recomputation waits for the pool once, not once per statement. */
  private async onOneConnection<T>(work: (runner: QueryRunner) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      return await work(runner);
    } finally {
      await runner.release();
    }
  }

  /** `work` in one REPEATABLE READ transaction on the runner's connection: every read sees the same instant. */
  private async inSnapshot<T>(runner: QueryRunner, work: () => Promise<T>): Promise<T> {
    // One round trip to open it (TypeORM's startTransaction takes two): under load every await waits its turn.
    await runner.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      const result = await work();
      await runner.query('COMMIT');
      return result;
    } catch (err) {
      await runner.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /**
   * Moves the brands' appended deltas into their tallies: one statement, so a reader sees either the deltas or
   * their sums, never both. Cells are locked in key order, so concurrent folds cannot deadlock.
   */
  async fold(brandIds: readonly string[], sql: Sql = this.dataSource): Promise<void> {
    await sql.query(
      `WITH folded AS (DELETE FROM brand_tally_deltas WHERE brand_id = ANY($1::uuid[]) RETURNING brand_id, figures, buckets, ns, totals)
       INSERT INTO brand_tallies (brand_id, figure, bucket, n, total)
       SELECT f.brand_id, u.figure, u.bucket, sum(u.n), sum(u.total)
         FROM folded f, unnest(f.figures, f.buckets, f.ns, f.totals) AS u(figure, bucket, n, total)
        GROUP BY f.brand_id, u.figure, u.bucket
        ORDER BY f.brand_id, u.figure, u.bucket
       ON CONFLICT (brand_id, figure, bucket) DO UPDATE SET n = brand_tallies.n + EXCLUDED.n, total = brand_tallies.total + EXCLUDED.total`,
      [brandIds],
    );
  }

  /**
   * Daily upkeep: folds the deltas of brands no event has recomputed since (rows written by hand, say) and drops
   * cells that have come back to zero (a salary bucket everyone left), so reads stay short.
   */
  async compactTallies(): Promise<{ folded: number; dropped: number }> {
    const brands: string[] = (await this.dataSource.query(`SELECT DISTINCT brand_id FROM brand_tally_deltas`)).map((r: { brand_id: string }) => r.brand_id);
    if (brands.length) await this.fold(brands);
    const [, dropped] = await this.dataSource.query(`DELETE FROM brand_tallies WHERE n = 0 AND total = 0`);
    return { folded: brands.length, dropped: Number(dropped) };
  }

  /** Rebuilds a brand's tallies and derived columns from its source rows (`npm run stats:rebuild`, and after drift). */
  async rebuildTallies(brandId: string): Promise<void> {
    await inTransaction(this.dataSource, (m) => m.query(`SELECT rebuild_brand_tallies($1)`, [brandId]), 'REPEATABLE READ');
  }

  /**
   * The wanted quantiles of ordered figures, from their bucket counts and one read per deciding rank inside its
   * bucket from the partial index. For one brand the index hands the values over in order; for several, the read
   * is bounded to the bucket and sorted.
   */
  private async readQuantiles(
    m: Sql,
    brandIds: string[],
    wanted: Partial<Record<OrderedFigure, { buckets: BucketCount[]; quantiles: readonly number[] }>>,
  ): Promise<Quantiles> {
    const params: unknown[] = [brandIds.length === 1 ? brandIds[0] : brandIds];
    const brandMatch = brandIds.length === 1 ? 'brand_id = $1::uuid' : 'brand_id = ANY($1::uuid[])';
    const counts = new Map<OrderedFigure, number>();
    const parts: string[] = [];
    for (const [figure, { buckets, quantiles }] of Object.entries(wanted) as Array<[OrderedFigure, { buckets: BucketCount[]; quantiles: readonly number[] }]>) {
      const n = countOf(buckets);
      counts.set(figure, n);
      if (n === 0) continue;
      const { column, type, where, width } = ORDERED[figure];
      const reads: RankRead[] = locateRanks(buckets, width, ranksFor(n, quantiles));
      const at = params.length;
      params.push(reads.map((r) => r.rank), reads.map((r) => String(r.low)), reads.map((r) => String(r.high)), reads.map((r) => r.offset));
      parts.push(
        `SELECT '${figure}' AS figure, k.rank, v.value FROM unnest($${at + 1}::bigint[], $${at + 2}::${type}[], $${at + 3}::${type}[], $${at + 4}::bigint[]) AS k(rank, low, high, skip)
           LEFT JOIN LATERAL (SELECT ${column}::text AS value FROM placements
                               WHERE ${brandMatch} AND ${where} AND ${column} >= k.low AND ${column} < k.high
                               ORDER BY ${column} OFFSET k.skip LIMIT 1) v ON true`,
      );
    }
    const values = new Map<string, string>();
    const rows: Array<{ figure: string; rank: string; value: string | null }> = parts.length ? await m.query(parts.join('\nUNION ALL\n'), params) : [];
    for (const row of rows) {
      // The tallies said a value is there; if it is not, they have drifted from the rows (which only a hand edit
      // bypassing the triggers can cause): the caller rebuilds them.
      if (row.value === null) throw new TalliesDrifted(`${row.figure} rank ${row.rank}`);
      values.set(`${row.figure}:${row.rank}`, row.value);
    }
    return (figure, p) => {
      const n = counts.get(figure) ?? 0;
      if (n === 0) return null;
      const [lo, hi] = quantileRanks(n, p);
      return interpolateQuantile(n, p, Number(values.get(`${figure}:${lo}`)), Number(values.get(`${figure}:${hi}`)));
    };
  }

  /** Recomputes one brand; answers its region code (null when the brand does not exist). */
  async recomputeBrand(brandId: string, today = chinaToday()): Promise<string | null> {
    return this.repairingDrift(`brand ${brandId}`, [brandId], () => this.computeBrand(brandId, today));
  }

  /** Runs `compute`; if the tallies turn out to disagree with the rows, rebuilds the brands' tallies and runs it again. */
  private async repairingDrift<T>(what: string, brandIds: readonly string[], compute: () => Promise<T>): Promise<T> {
    try {
      return await compute();
    } catch (err) {
      if (!(err instanceof TalliesDrifted)) throw err;
      this.logger.warn(`${what}: tallies disagree with the rows (${err.message}); rebuilding them`);
      for (const id of brandIds) await this.rebuildTallies(id);
      return compute();
    }
  }

  private async computeBrand(brandId: string, today: string): Promise<string | null> {
    return this.onOneConnection(async (m) => {
      await this.fold([brandId], m);
      const figures = await this.inSnapshot(m, () => this.readBrandFigures(m, brandId, today));
      if (!figures) return null;
      // Written outside the snapshot: two recomputations of one brand at once must not fail on the row they both
      // write; the last_event_seq guard keeps the fresher figures whichever commits last.
      await m.query(UPSERT_BRAND_STATISTICS, figures.row);
      return figures.regionCode;
    });
  }

  /** The brand's figures as a brand_statistics row, read in the caller's snapshot; null when there is no such brand. */
  private async readBrandFigures(m: Sql, brandId: string, today: string): Promise<{ regionCode: string; row: unknown[] } | null> {
    const [f] = await m.query(
      `WITH ${TALLIES_CTE}
       SELECT b.region_code, b.occupation_code, b.status,
              (SELECT COALESCE(json_object_agg(bucket, n), '{}') FROM tallies WHERE figure = 'trainees_by_status') AS by_status,
              ${countOfFigure('certified_until', `bucket >= $2::date - DATE '1970-01-01'`)} AS certified,
              ${countOfFigure('ended_placements')} AS ended,
              (SELECT COALESCE(sum(total), 0)::text FROM tallies WHERE figure = 'active_salary') AS salary_sum,
              ${bucketsOf('active_salary')} AS salaries, ${bucketsOf('active_uplift')} AS uplifts,
              ${bucketsOf('first_confirmation_days')} AS days,
              ${countOfFigure('confirmed_on', windowClosed(6))} AS r6_base, ${countOfFigure('ended_within_6m', windowClosed(6))} AS r6_ended,
              ${countOfFigure('confirmed_on', windowClosed(12))} AS r12_base, ${countOfFigure('ended_within_12m', windowClosed(12))} AS r12_ended,
              (SELECT count(*)::int FROM brand_employers WHERE brand_id = b.id) AS employers,
              ev.id AS last_event_id, COALESCE(ev.seq, 0)::text AS last_event_seq, ev.occurred_at AS as_of
         FROM brands b
         LEFT JOIN LATERAL (SELECT id, seq, occurred_at FROM outbox_events WHERE brand_id = b.id ORDER BY seq DESC LIMIT 1) ev ON true
        WHERE b.id = $1[1]`,
      [[brandId], today],
    );
    if (!f) return null;
    const salaries: BucketCount[] = f.salaries ?? [];
    const days: BucketCount[] = f.days ?? [];
    const active = countOf(salaries);
    const placed = countOf(days);
    const byStatus = TRAINEE_STATUSES.map((_, i) => Number(f.by_status[i] ?? 0));
    const total = byStatus.reduce((a, b) => a + b, 0);
    const quantile = await this.readQuantiles(m, [brandId], {
      salary: { buckets: salaries, quantiles: QUARTILES },
      uplift: { buckets: f.uplifts ?? [], quantiles: [0.5] },
      days: { buckets: days, quantiles: [0.5] },
    });

    return {
      regionCode: f.region_code,
      row: [
        brandId,
        f.region_code,
        f.occupation_code,
        f.status !== 'draft' && f.status !== 'submitted',
        total,
        JSON.stringify(Object.fromEntries(TRAINEE_STATUSES.map((s, i) => [s, byStatus[i]]))),
        f.certified,
        rate(f.certified, total),
        placed,
        rate(placed, total),
        active,
        f.ended,
        f.employers,
        active,
        fen(quantile('salary', 0.5)),
        fen(quantile('salary', 0.25)),
        fen(quantile('salary', 0.75)),
        active ? divideRound(f.salary_sum, active) : null,
        quantile('uplift', 0.5),
        quantile('days', 0.5),
        rate(f.r6_base - f.r6_ended, f.r6_base),
        rate(f.r12_base - f.r12_ended, f.r12_base),
        f.as_of,
        f.last_event_id,
        f.last_event_seq,
      ],
    };
  }

  /**
   * A region's figures over all placements of the public brands it covers: quartiles over the merged buckets of
   * all its brands, read from their placements in one bounded read — a true median, never a median of medians.
   */
  async recomputeRegion(regionCode: string): Promise<void> {
    const [low, high] = prefixRange(coverPrefix(regionCode));
    const brandIds: string[] = (
      await this.dataSource.query(`SELECT id FROM brands WHERE region_code BETWEEN $1 AND $2 AND status NOT IN ('draft', 'submitted')`, [low, high])
    ).map((b: { id: string }) => b.id);
    await this.repairingDrift(`region ${regionCode}`, brandIds, () =>
      this.onOneConnection(async (m) => {
        await this.fold(brandIds, m);
        const row = await this.inSnapshot(m, () => this.readRegionFigures(m, regionCode, brandIds));
        await m.query(UPSERT_REGION_STATISTICS, row);
      }),
    );
  }

  /** The region's figures as a region_statistics row, read in the caller's snapshot. */
  private async readRegionFigures(m: Sql, regionCode: string, brandIds: string[]): Promise<unknown[]> {
    const [r] = await m.query(
      `WITH ${TALLIES_CTE}
       SELECT ${countOfFigure('trainees_by_status')} AS trainees, ${countOfFigure('first_confirmation_days')} AS placed,
              (SELECT COALESCE(sum(total), 0)::text FROM tallies WHERE figure = 'active_salary') AS salary_sum,
              ${bucketsOf('active_salary')} AS salaries,
              (SELECT max(e.occurred_at) FROM unnest($1::uuid[]) AS b(id),
                 LATERAL (SELECT occurred_at FROM outbox_events WHERE brand_id = b.id ORDER BY seq DESC LIMIT 1) e) AS as_of`,
      [brandIds],
    );
    const salaries: BucketCount[] = r.salaries ?? [];
    const active = countOf(salaries);
    const quantile = await this.readQuantiles(m, brandIds, { salary: { buckets: salaries, quantiles: QUARTILES } });
    const salary = (p: number): number | null => fen(quantile('salary', p));
    return [regionCode, brandIds.length, r.trainees, r.placed, active, salary(0.25), salary(0.5), salary(0.75), active ? divideRound(r.salary_sum, active) : null, r.as_of];
  }

  /** Every brand and every region any brand lies in, from scratch (`npm run stats:rebuild`). */
  async rebuildAll(): Promise<{ brands: number; regions: number }> {
    const brands: Array<{ id: string; region_code: string }> = await this.dataSource.query(`SELECT id, region_code FROM brands`);
    for (const b of brands) await this.rebuildTallies(b.id);
    return this.recomputeBrands(brands);
  }

  /**
   * The daily refresh: only brands whose figures can move with time alone — a placement confirmed within the
   * last 13 months (its 6- or 12-month retention window may close today) or a trainee whose certification ends
   * around today — found from the tallies' day buckets. A quiet brand is not recomputed.
   */
  async refreshTimeDependent(today = chinaToday()): Promise<{ brands: number; regions: number }> {
    return this.recomputeBrands(
      await this.dataSource.query(
        `SELECT id, region_code FROM brands WHERE id IN (
           SELECT brand_id FROM brand_tallies
            WHERE (figure = 'confirmed_on' AND bucket > ($1::date - interval '13 months')::date - DATE '1970-01-01')
               OR (figure = 'certified_until' AND bucket BETWEEN $1::date - DATE '1970-01-01' - 2 AND $1::date - DATE '1970-01-01'))`,
        [today],
      ),
    );
  }

  /**
   * Brands with an event newer than their figures that should have been processed by now (older than 10 s).
   * Looks at the newest 100,000 events only: anything older was reconciled by an earlier run.
   */
  async staleBrands(): Promise<string[]> {
    const rows: Array<{ brand_id: string }> = await this.dataSource.query(
      `SELECT DISTINCT o.brand_id FROM outbox_events o LEFT JOIN brand_statistics s ON s.brand_id = o.brand_id
        WHERE o.brand_id IS NOT NULL AND o.seq > (SELECT COALESCE(max(seq), 0) - 100000 FROM outbox_events)
          AND o.seq > COALESCE(s.last_event_seq, 0) AND o.occurred_at < now() - interval '10 seconds'`,
    );
    return rows.map((r) => r.brand_id);
  }

  private async recomputeBrands(brands: Array<{ id: string; region_code: string }>): Promise<{ brands: number; regions: number }> {
    for (const b of brands) await this.recomputeBrand(b.id);
    const regions = [...new Set(brands.flatMap((b) => coveringRegions(b.region_code)))];
    for (const r of regions) await this.recomputeRegion(r);
    return { brands: brands.length, regions: regions.length };
  }
}

/** Exact mean of bigint fen values: integer division with half-away-from-zero rounding, no float on the sum. */
export function divideRound(sumFen: string, n: number): number {
  const sum = BigInt(sumFen);
  const d = BigInt(n);
  const q = sum / d;
  const r = sum % d;
  return Number(2n * (r < 0n ? -r : r) >= d ? q + (sum < 0n ? -1n : 1n) : q);
}
