import { Injectable } from '@nestjs/common';
import type { QueryRunner } from 'typeorm';
import { brandsTable, nameMatchesSql } from '../brands/brands.fragments';
import { NON_PUBLIC_STATUSES, type BrandStatus } from '../brands/brand.rules';
import { Db, Repository } from '../database/repository';
import { namedStatement, sqlLiteral, sqlNotIn, SqlParams } from '../database/sql';
import { inTransaction } from '../database/transactions';
import { newestBrandEventSql, recentBrandEventsSql } from '../events/outbox.fragments';
import { PLACEMENTS_TABLE } from '../placements/placements.fragments';
import type { RegionSample } from './disclosure.rules';
import { BrandStatisticsRecord, RegionStatisticsRecord } from './statistics.entity';
import { BucketCount, ORDERED_FIGURES, OrderedFigure, RETENTION_WINDOWS, TALLY_FIGURES, type TallyFigure } from './tallies.rules';

/** One statement's connection: the pool's (a connection per statement) or one held for a whole recomputation. */
export type Sql = Db | QueryRunner;

/** The cells of one brand as a recomputation reads them, with the brand's facts and newest event. */
export interface BrandCells {
  region_code: string;
  occupation_code: string;
  status: BrandStatus;
  by_status: Record<string, number>;
  certified: number;
  ended: number;
  salary_sum: string;
  salaries: BucketCount[] | null;
  uplifts: BucketCount[] | null;
  days: BucketCount[] | null;
  retention: Record<number, { base: number; ended: number }>;
  employers: number;
  last_event_id: string | null;
  last_event_seq: string;
  as_of: Date | null;
}

export interface RegionCells {
  /** The brands the region counts: the public brands it holds. */
  brand_ids: string[];
  /** Each brand's count of salaries and its region code: what complementary suppression weighs. */
  salary_samples: Array<{ regionCode: string; n: number }>;
  trainees: number;
  placed: number;
  salary_sum: string;
  salaries: BucketCount[] | null;
  as_of: Date | null;
}

/** Where the value of one rank is read: values ≥ low and < high of an ordered figure, skipping `skip` of them. */
export interface RankReadRequest {
  figure: OrderedFigure;
  rank: number;
  low: number;
  high: number;
  skip: number;
}

/** The sort keys of the statistics list, as SQL over the read model `s`. */
export type StatisticsSortKey = 'medianAnnualFen' | 'placementRate' | 'traineeCount' | 'placedTraineeCount';

export interface BrandFiguresListRow {
  brandId: string;
  brandName: string;
  operatorId: string;
  occupationName: string;
  status: BrandStatus;
  level: string | null;
  validUntil: string | null;
  sortValue: string | number | null;
}

/**
 * `tallies`: cells (figure, bucket, n, total) as they stand in the current snapshot — folded cells plus the deltas
 * appended since the last fold, summed, the cells that sum to nothing left out.
 */
const talliesOf = (cells: string): string => `
  tallies AS (
    SELECT figure, bucket, sum(n)::bigint AS n, sum(total)::bigint AS total FROM (${cells}) cells
     GROUP BY figure, bucket HAVING sum(n) <> 0)`;

/** A brand's tallies (or several brands' together). `$1` is an array of brand ids. */
const TALLIES_CTE = talliesOf(`
      SELECT figure, bucket, n, total FROM brand_tallies WHERE brand_id = ANY($1::uuid[])
      UNION ALL
      SELECT u.figure, u.bucket, u.n, u.total
        FROM brand_tally_deltas d, unnest(d.figures, d.buckets, d.ns, d.totals) AS u(figure, bucket, n, total)
       WHERE d.brand_id = ANY($1::uuid[])`);

/** A confirmation-day bucket whose retention window of `months` has closed by $2 (the day of the figures). */
const windowClosed = (months: number): string => `(DATE '1970-01-01' + bucket::int) + interval '${months} months' <= $2::date`;

// Figures in one pass over the tallies (one aggregate with a FILTER per figure): a scalar subquery per figure
// scanned all the cells once each, a dozen times per recomputation, and aggregated the buckets of every figure, the
// per-day ones too, to use three.
const countIn = (figure: string, condition = 'true'): string => `COALESCE(sum(n) FILTER (WHERE figure = ${sqlLiteral(figure)} AND ${condition}), 0)::int`;
const totalIn = (figure: string): string => `COALESCE(sum(total) FILTER (WHERE figure = ${sqlLiteral(figure)}), 0)::text`;
const bucketsIn = (figure: string): string => `json_agg(json_build_array(bucket, n) ORDER BY bucket) FILTER (WHERE figure = ${sqlLiteral(figure)})`;
const BRAND_FIGURES = `
  figures AS (
    SELECT COALESCE(json_object_agg(bucket, n) FILTER (WHERE figure = ${sqlLiteral(TALLY_FIGURES.traineesByStatus)}), '{}') AS by_status,
           ${countIn(TALLY_FIGURES.certifiedUntil, `bucket >= $2::date - DATE '1970-01-01'`)} AS certified,
           ${countIn(TALLY_FIGURES.endedPlacements)} AS ended,
           ${totalIn(TALLY_FIGURES.activeSalary)} AS salary_sum,
           ${bucketsIn(ORDERED_FIGURES.salary.tally)} AS salaries, ${bucketsIn(ORDERED_FIGURES.uplift.tally)} AS uplifts,
           ${bucketsIn(ORDERED_FIGURES.days.tally)} AS days,
           json_build_object(${RETENTION_WINDOWS.map(
             ({ months, tally }) => `${months}, json_build_object('base', ${countIn(TALLY_FIGURES.confirmedOn, windowClosed(months))}, 'ended', ${countIn(tally, windowClosed(months))})`,
           ).join(', ')}) AS retention
      FROM tallies)`;

/** Moves brands' appended deltas into their tallies and their regions' (fold_brand_tallies, tallies.sql.ts). $1: the brands. */
const FOLD = namedStatement('fold_brand_tallies', `SELECT fold_brand_tallies($1::uuid[])`);

/** A brand's cells, facts and newest event for its recomputation. $1: the brand (an array of one), $2: the day. */
const READ_BRAND_CELLS = namedStatement(
  'read_brand_cells',
  `WITH ${TALLIES_CTE}, ${BRAND_FIGURES}
       SELECT b.region_code, b.occupation_code, b.status, f.by_status, f.certified, f.ended, f.salary_sum, f.salaries,
              f.uplifts, f.days, f.retention,
              (SELECT count(*)::int FROM brand_employers WHERE brand_id = b.id) AS employers,
              ev.id AS last_event_id, COALESCE(ev.seq, 0)::text AS last_event_seq, ev.occurred_at AS as_of
         FROM ${brandsTable('b')} CROSS JOIN figures f
         LEFT JOIN LATERAL (${newestBrandEventSql('b.id')}) ev ON true
        WHERE b.id = $1[1]`,
);

/**
 * A region's cells, facts and newest event for its recomputation: its row of the region tallies plus the unfolded
 * deltas of the brands counted in it, with those brands and their salary counts. $1: the region's code, $2 and $3:
 * the range of the brand region codes it holds.
 */
const READ_REGION_CELLS = namedStatement(
  'read_region_cells',
  `WITH members AS (SELECT brand_id, region_code, salaries FROM region_tally_brands WHERE region_code BETWEEN $2 AND $3),
       unfolded AS (
         SELECT d.brand_id, u.figure, u.bucket, u.n, u.total
           FROM brand_tally_deltas d JOIN members m ON m.brand_id = d.brand_id, unnest(d.figures, d.buckets, d.ns, d.totals) AS u(figure, bucket, n, total)),
       ${talliesOf(`SELECT figure, bucket, n, total FROM region_tallies WHERE region_code = $1 UNION ALL SELECT figure, bucket, n, total FROM unfolded`)}
       SELECT ${countIn(TALLY_FIGURES.traineesByStatus)} AS trainees, ${countIn(TALLY_FIGURES.firstConfirmationDays)} AS placed,
              ${totalIn(TALLY_FIGURES.activeSalary)} AS salary_sum,
              ${bucketsIn(ORDERED_FIGURES.salary.tally)} AS salaries,
              (SELECT COALESCE(array_agg(brand_id), '{}') FROM members) AS brand_ids,
              (SELECT max(e.occurred_at) FROM members b, LATERAL (${newestBrandEventSql('b.brand_id')}) e) AS as_of,
              (SELECT COALESCE(json_agg(json_build_object('regionCode', m.region_code, 'n', m.salaries + COALESCE(u.n, 0))), '[]')
                 FROM members m
                 LEFT JOIN (SELECT brand_id, sum(n) AS n FROM unfolded WHERE figure = ${sqlLiteral(ORDERED_FIGURES.salary.tally)} GROUP BY brand_id) u
                   ON u.brand_id = m.brand_id) AS salary_samples
         FROM tallies`,
);

/** The type of each sort key's column: a cursor's value must be one the column can be compared with. */
export const SORT_KINDS: Record<StatisticsSortKey, 'int' | 'bigint' | 'float'> = {
  medianAnnualFen: 'bigint',
  placementRate: 'float',
  traineeCount: 'int',
  placedTraineeCount: 'int',
};

/** The sort key as SQL: suppressed medians sort as unknown, so the order reveals nothing a reader may not see. */
const SORT_SQL: Record<StatisticsSortKey, string> = {
  medianAnnualFen: `CASE WHEN s.salary_sample_size >= $SUPPRESSION THEN s.median_annual_fen END`,
  placementRate: `s.placement_rate`,
  traineeCount: `s.trainee_count`,
  placedTraineeCount: `s.placed_trainee_count`,
};

const UPSERT_REGION_STATISTICS = namedStatement(
  'upsert_region_statistics',
  `
  INSERT INTO region_statistics (region_code, brand_count, trainee_count, placed_trainee_count, active_placement_count,
      salary_sample_size, p25_annual_fen, median_annual_fen, p75_annual_fen, mean_annual_fen, as_of, salary_disclosable, computed_at)
  VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $11, clock_timestamp())
  ON CONFLICT (region_code) DO UPDATE SET brand_count = EXCLUDED.brand_count, trainee_count = EXCLUDED.trainee_count,
    placed_trainee_count = EXCLUDED.placed_trainee_count, active_placement_count = EXCLUDED.active_placement_count,
    salary_sample_size = EXCLUDED.salary_sample_size, p25_annual_fen = EXCLUDED.p25_annual_fen,
    median_annual_fen = EXCLUDED.median_annual_fen, p75_annual_fen = EXCLUDED.p75_annual_fen,
    mean_annual_fen = EXCLUDED.mean_annual_fen, as_of = EXCLUDED.as_of, salary_disclosable = EXCLUDED.salary_disclosable,
    computed_at = EXCLUDED.computed_at`,
);

const UPSERT_BRAND_STATISTICS = namedStatement(
  'upsert_brand_statistics',
  `
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
  WHERE brand_statistics.last_event_seq <= EXCLUDED.last_event_seq`,
);

/**
 * The only code that reads and writes the statistics tables (brand_tallies, brand_tally_deltas, brand_employers,
 * region_tallies, region_tally_brands, brand_statistics, region_statistics) and the derived columns the tallies keep on placements and trainees.
 */
@Injectable()
export class StatisticsRepository extends Repository {
  /** Runs `work` on one pooled connection: a recomputation waits for the pool once, not once per statement. */
  async onOneConnection<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    const runner: QueryRunner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      return await work(runner);
    } finally {
      await runner.release();
    }
  }

  /** `work` in one REPEATABLE READ READ ONLY transaction on the connection: every read sees the same instant. */
  async inSnapshot<T>(sql: Sql, work: () => Promise<T>): Promise<T> {
    // One round trip to open it (TypeORM's startTransaction takes two): under load every await waits its turn.
    await sql.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      const result = await work();
      await sql.query('COMMIT');
      return result;
    } catch (err) {
      await sql.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /**
   * Moves the brands' appended deltas into their tallies and into the region tallies of the public ones, atomically
   * (fold_brand_tallies, tallies.sql.ts).
   */
  async fold(brandIds: readonly string[], sql?: Sql): Promise<void> {
    await this.named(FOLD, [brandIds], sql);
  }

  /** Brands with deltas not folded yet. */
  async brandsWithDeltas(): Promise<string[]> {
    const rows: Array<{ brand_id: string }> = await this.db().query(`SELECT DISTINCT brand_id FROM brand_tally_deltas`);
    return rows.map((r) => r.brand_id);
  }

  /** Drops cells that have come back to zero (a salary bucket everyone left), so reads stay short. */
  async dropEmptyCells(): Promise<number> {
    const [, dropped] = await this.db().query(`DELETE FROM brand_tallies WHERE n = 0 AND total = 0`);
    // A region's cells are shared by every fold of its brands: skip those a fold holds rather than wait in an order
    // of our own (theirs is key order), and look again at what was locked.
    const [, droppedRegions] = await this.db().query(
      `DELETE FROM region_tallies WHERE (region_code, figure, bucket) IN (
         SELECT region_code, figure, bucket FROM region_tallies WHERE n = 0 AND total = 0 ORDER BY region_code, figure, bucket FOR UPDATE SKIP LOCKED)`,
    );
    return Number(dropped) + Number(droppedRegions);
  }

  /** Fresh planner statistics for the tallies (they grow from nothing during a whole rebuild). */
  async analyzeTallies(): Promise<void> {
    await this.db().query('ANALYZE brand_tallies, brand_tally_deltas, brand_employers, region_tallies, region_tally_brands');
  }

  /**
   * Repairs a brand's derived columns from its source rows and appends what its tallies lack of the truth as a
   * delta (rebuild_brand_tallies, tallies.sql.ts): its tallies, and its regions', are exact once folded.
   */
  async rebuildTallies(brandId: string): Promise<void> {
    await inTransaction(this.dataSource, (m: Db) => m.query(`SELECT rebuild_brand_tallies($1)`, [brandId]), 'REPEATABLE READ');
  }

  /** Every region's tallies from the brands' folded tallies, and which brands count where (rebuild_region_tallies). */
  async rebuildRegionTallies(): Promise<void> {
    await this.db().query(`SELECT rebuild_region_tallies()`);
  }

  /** The brand's facts, cells and newest event, in the caller's snapshot; null when there is no such brand. */
  async readBrandCells(sql: Sql, brandId: string, today: string): Promise<BrandCells | null> {
    const [row] = await this.named<BrandCells>(READ_BRAND_CELLS, [[brandId], today], sql);
    return row ?? null;
  }

  /**
   * A region's cells, in the caller's snapshot: its row of the region tallies plus the unfolded deltas of the brands
   * counted in it (brands whose region code lies in [low, high]), with those brands and their salary counts.
   */
  async readRegionCells(sql: Sql, region: { code: string; low: string; high: string }): Promise<RegionCells> {
    const [row] = await this.named<RegionCells>(READ_REGION_CELLS, [region.code, region.low, region.high], sql);
    return row;
  }

  /**
   * The values at the given ranks of ordered figures, each read inside its bucket from the figure's partial index:
   * for one brand the index hands them over in order; for several the read is bounded to the bucket and sorted.
   * A value is null where the rows do not hold what the tallies promised.
   */
  async readRanks(sql: Sql, brandIds: string[], reads: RankReadRequest[]): Promise<Array<{ figure: OrderedFigure; rank: number; value: string | null }>> {
    if (reads.length === 0) return [];
    const p = new SqlParams([brandIds.length === 1 ? brandIds[0] : brandIds]);
    const brandMatch = brandIds.length === 1 ? 'brand_id = $1::uuid' : 'brand_id = ANY($1::uuid[])';
    const parts: string[] = [];
    for (const figure of Object.keys(ORDERED_FIGURES) as OrderedFigure[]) {
      const mine = reads.filter((r) => r.figure === figure);
      if (mine.length === 0) continue;
      const { column, type, where } = ORDERED_FIGURES[figure];
      parts.push(
        `SELECT ${sqlLiteral(figure)} AS figure, k.rank, v.value
           FROM unnest(${p.add(mine.map((r) => r.rank))}::bigint[], ${p.add(mine.map((r) => String(r.low)))}::${type}[],
                       ${p.add(mine.map((r) => String(r.high)))}::${type}[], ${p.add(mine.map((r) => r.skip))}::bigint[]) AS k(rank, low, high, skip)
           LEFT JOIN LATERAL (SELECT ${column}::text AS value FROM ${PLACEMENTS_TABLE}
                               WHERE ${brandMatch} AND ${where} AND ${column} >= k.low AND ${column} < k.high
                               ORDER BY ${column} OFFSET k.skip LIMIT 1) v ON true`,
      );
    }
    const rows: Array<{ figure: OrderedFigure; rank: string; value: string | null }> = await sql.query(parts.join('\nUNION ALL\n'), p.values);
    return rows.map((r) => ({ figure: r.figure, rank: Number(r.rank), value: r.value }));
  }

  /**
   * A brand's cells of the given figures as they stand now (folded cells plus the deltas not folded yet), each
   * figure's cells by bucket; a figure without any cell is absent.
   */
  async readCells(brandId: string, figures: readonly TallyFigure[]): Promise<Partial<Record<TallyFigure, BucketCount[]>>> {
    const rows: Array<{ figure: TallyFigure; bucket: string; n: string }> = await this.db().query(
      `WITH ${TALLIES_CTE}
       SELECT figure, bucket, n FROM tallies WHERE figure::text = ANY($2::text[]) ORDER BY figure, bucket`,
      [[brandId], figures],
    );
    const cells: Partial<Record<TallyFigure, BucketCount[]>> = {};
    for (const r of rows) (cells[r.figure] ??= []).push([Number(r.bucket), Number(r.n)]);
    return cells;
  }

  async upsertBrandStatistics(sql: Sql, row: unknown[]): Promise<void> {
    await this.named(UPSERT_BRAND_STATISTICS, row, sql);
  }

  async upsertRegionStatistics(sql: Sql, row: unknown[]): Promise<void> {
    await this.named(UPSERT_REGION_STATISTICS, row, sql);
  }

  /**
   * Brands whose figures can move with time alone: a placement confirmed within the last 13 months (its 6- or
   * 12-month retention window may close today) or a trainee whose certification ends around today, found from the
   * tallies' day buckets.
   */
  async timeDependentBrandIds(today: string): Promise<string[]> {
    const rows: Array<{ brand_id: string }> = await this.db().query(
      `SELECT DISTINCT brand_id FROM brand_tallies
        WHERE (figure = ${sqlLiteral(TALLY_FIGURES.confirmedOn)} AND bucket > ($1::date - interval '13 months')::date - DATE '1970-01-01')
           OR (figure = ${sqlLiteral(TALLY_FIGURES.certifiedUntil)} AND bucket BETWEEN $1::date - DATE '1970-01-01' - 2 AND $1::date - DATE '1970-01-01')`,
      [today],
    );
    return rows.map((r) => r.brand_id);
  }

  /**
   * Brands with an event newer than their figures that should have been processed by now (older than 10 s).
   * Looks at the newest `window` events only: anything older was reconciled by an earlier run.
   */
  async staleBrandIds(window: number): Promise<string[]> {
    const rows: Array<{ brand_id: string }> = await this.db().query(
      `SELECT DISTINCT o.brand_id FROM (${recentBrandEventsSql(window)}) o LEFT JOIN brand_statistics s ON s.brand_id = o.brand_id
        WHERE o.seq > COALESCE(s.last_event_seq, 0) AND o.occurred_at < now() - interval '10 seconds'`,
    );
    return rows.map((r) => r.brand_id);
  }

  /** Age in seconds of the oldest of the newest `window` events not yet reflected in its brand's figures (0 when all are). */
  async lagSeconds(window: number): Promise<number> {
    const [row] = await this.db().query(
      `SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(o.occurred_at)), 0)::float8 AS lag
         FROM (${recentBrandEventsSql(window)}) o LEFT JOIN brand_statistics s ON s.brand_id = o.brand_id
        WHERE o.seq > COALESCE(s.last_event_seq, 0)`,
    );
    return row.lag;
  }

  findBrandStatistics(brandId: string): Promise<BrandStatisticsRecord | null> {
    return this.db().findOneBy(BrandStatisticsRecord, { brandId });
  }

  findBrandStatisticsMany(brandIds: string[]): Promise<BrandStatisticsRecord[]> {
    return brandIds.length ? this.db().findBy(BrandStatisticsRecord, brandIds.map((brandId) => ({ brandId }))) : Promise.resolve([]);
  }

  findRegionStatistics(regionCode: string): Promise<RegionStatisticsRecord | null> {
    return this.db().findOneBy(RegionStatisticsRecord, { regionCode });
  }

  /**
   * The salaries of the public brands in a region code range, summed per region code: all, and those of brands whose
   * own salary figures are suppressed (fewer than `suppressionThreshold`). What complementary suppression weighs.
   */
  async regionSamples(regionLow: string, regionHigh: string, suppressionThreshold: number): Promise<RegionSample[]> {
    const rows: Array<{ regionCode: string; salaries: string; suppressedSalaries: string }> = await this.db().query(
      `SELECT s.region_code AS "regionCode", sum(s.salary_sample_size) AS salaries,
              coalesce(sum(s.salary_sample_size) FILTER (WHERE s.salary_sample_size < $3), 0) AS "suppressedSalaries"
         FROM brand_statistics s JOIN ${brandsTable('b')} ON b.id = s.brand_id
        WHERE s.region_code BETWEEN $1 AND $2 AND ${sqlNotIn('b.status', NON_PUBLIC_STATUSES)}
        GROUP BY s.region_code`,
      [regionLow, regionHigh, suppressionThreshold],
    );
    return rows.map((r) => ({ regionCode: r.regionCode, salaries: Number(r.salaries), suppressedSalaries: Number(r.suppressedSalaries) }));
  }

  /**
   * A page of public brands' figures in the order of a sort key, keyset-paginated on (key, brand id); brands
   * without a value come last in either order. `after` is the last row's key and id.
   */
  async listBrandFigures(
    filter: { regionLow?: string; regionHigh?: string; occupationCode?: string; words?: readonly string[] },
    sort: StatisticsSortKey,
    descending: boolean,
    suppressionThreshold: number,
    after: { value: string | number | null; brandId: string } | null,
    fetch: number,
  ): Promise<BrandFiguresListRow[]> {
    const p = new SqlParams();
    // Only the salary sort weighs suppression; an unused parameter would leave Postgres unable to type it.
    const key = SORT_SQL[sort].includes('$SUPPRESSION') ? SORT_SQL[sort].replace('$SUPPRESSION', p.add(suppressionThreshold)) : SORT_SQL[sort];
    const where = [sqlNotIn('b.status', NON_PUBLIC_STATUSES)];
    if (filter.regionLow && filter.regionHigh) where.push(`s.region_code BETWEEN ${p.add(filter.regionLow)} AND ${p.add(filter.regionHigh)}`);
    if (filter.occupationCode) where.push(`s.occupation_code = ${p.add(filter.occupationCode)}`);
    where.push(...nameMatchesSql('b.name', filter.words ?? [], p));
    const cmp = descending ? '<' : '>';
    if (after) {
      const id = p.add(after.brandId);
      if (after.value === null) {
        where.push(`(${key}) IS NULL AND s.brand_id ${cmp} ${id}`);
      } else {
        const value = p.add(after.value);
        where.push(`((${key}) IS NULL OR (${key}) ${cmp} ${value} OR ((${key}) = ${value} AND s.brand_id ${cmp} ${id}))`);
      }
    }
    const dir = descending ? 'DESC' : 'ASC';
    return this.db().query(
      `SELECT s.brand_id AS "brandId", b.name AS "brandName", b.operator_id AS "operatorId", b.occupation_name AS "occupationName",
              b.status, b.level, b.valid_until::text AS "validUntil", (${key}) AS "sortValue"
         FROM brand_statistics s JOIN ${brandsTable('b')} ON b.id = s.brand_id
        WHERE ${where.join(' AND ')}
        ORDER BY (${key}) IS NULL, (${key}) ${dir}, s.brand_id ${dir}
        LIMIT ${p.add(fetch)}`,
      p.values,
    );
  }
}
