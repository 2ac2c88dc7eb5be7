/**
 * After a bench: do the figures the service kept equal a rebuild from scratch? The tallies (folded and not) of every
 * brand, and every stored brand and region figure, are read; then the tallies are rebuilt from the source rows and
 * every figure recomputed (StatisticsCalculator.rebuildAll, what `npm run stats:rebuild` runs) and read again.
 * Run with the service stopped, so nothing moves in between.
 */
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source';
import { NON_PUBLIC_STATUSES } from '../../src/brands/brand.rules';
import { regionsHoldingSql } from '../../src/common/identifiers/region-code';
import { sqlNotIn } from '../../src/database/sql';
import { servicesOn } from './services';

/** A brand's cells: tallies plus unfolded deltas, summed (what a reader of the tallies sees). */
const CELLS_SQL = `
SELECT brand_id::text, figure::text, bucket::text, sum(n)::text AS n, sum(total)::text AS total FROM (
  SELECT brand_id, figure, bucket, n, total FROM brand_tallies
  UNION ALL
  SELECT d.brand_id, u.figure, u.bucket, u.n, u.total
    FROM brand_tally_deltas d, unnest(d.figures, d.buckets, d.ns, d.totals) AS u(figure, bucket, n, total)) c
 GROUP BY brand_id, figure, bucket HAVING sum(n) <> 0 OR sum(total) <> 0
 ORDER BY brand_id, figure::text, bucket`;

/**
 * Every region's cells as a reader sees them (its row of the region tallies plus the unfolded deltas of the brands
 * it counts), each region against the sum of its public brands' cells: the rebuild must leave the former unchanged,
 * and the two must agree before it.
 */
const REGION_CELLS_SQL = `
SELECT region_code::text, figure::text, bucket::text, sum(n)::text AS n, sum(total)::text AS total FROM (
  SELECT region_code::text, figure, bucket, n, total FROM region_tallies
  UNION ALL
  SELECT r.region_code, c.figure, c.bucket, c.n, c.total
    FROM brand_tally_deltas d JOIN region_tally_brands m ON m.brand_id = d.brand_id,
         unnest(d.figures, d.buckets, d.ns, d.totals) AS c(figure, bucket, n, total),
         unnest(${regionsHoldingSql('m.region_code')}) AS r(region_code)
   WHERE m.region_code IS NOT NULL) x
 GROUP BY region_code, figure, bucket HAVING sum(n) <> 0 OR sum(total) <> 0
 ORDER BY 1, 2, 3`;
const BRANDS_REGION_CELLS_SQL = `
SELECT r.region_code::text, c.figure::text, c.bucket::text, sum(c.n)::text AS n, sum(c.total)::text AS total
  FROM (SELECT brand_id, figure, bucket, n, total FROM brand_tallies
        UNION ALL
        SELECT d.brand_id, u.figure, u.bucket, u.n, u.total
          FROM brand_tally_deltas d, unnest(d.figures, d.buckets, d.ns, d.totals) AS u(figure, bucket, n, total)) c
  JOIN brands b ON b.id = c.brand_id AND ${sqlNotIn('b.status', NON_PUBLIC_STATUSES)},
       unnest(${regionsHoldingSql('b.region_code')}) AS r(region_code)
 GROUP BY r.region_code, c.figure, c.bucket HAVING sum(c.n) <> 0 OR sum(c.total) <> 0
 ORDER BY 1, 2, 3`;

// Everything but the times of computation.
const BRAND_FIGURES_SQL = `SELECT brand_id, trainee_count, trainees_by_status, certified_trainee_count, certification_rate, placed_trainee_count,
  placement_rate, active_placement_count, ended_placement_count, employer_count, salary_sample_size, median_annual_fen, p25_annual_fen,
  p75_annual_fen, mean_annual_fen, median_salary_uplift_pct, median_days_to_placement, retention6m_rate, retention12m_rate, last_event_id
  FROM brand_statistics ORDER BY brand_id`;
const REGION_FIGURES_SQL = `SELECT region_code, brand_count, trainee_count, placed_trainee_count, active_placement_count, salary_sample_size,
  median_annual_fen, p25_annual_fen, p75_annual_fen, mean_annual_fen FROM region_statistics ORDER BY region_code`;

export interface Exactness {
  ok: boolean;
  brands: number;
  regions: number;
  cells: number;
  regionCells: number;
  /** The first differences found (empty when ok). */
  differences: string[];
}

function diff(what: string, kept: Array<Record<string, unknown>>, rebuilt: Array<Record<string, unknown>>, out: string[]): void {
  const k = kept.map((r) => JSON.stringify(r));
  const r = rebuilt.map((x) => JSON.stringify(x));
  if (k.length !== r.length) out.push(`${what}: ${k.length} rows kept, ${r.length} after the rebuild`);
  for (let i = 0; i < Math.max(k.length, r.length) && out.length < 10; i++) if (k[i] !== r[i]) out.push(`${what}: kept ${k[i] ?? '(none)'} ≠ rebuilt ${r[i] ?? '(none)'}`);
}

export async function checkAgainstRebuild(url: string): Promise<Exactness> {
  const base = dataSourceOptions(url, 2);
  const ds = new DataSource(base as ConstructorParameters<typeof DataSource>[0]);
  await ds.initialize();
  try {
    const keptCells = await ds.query(CELLS_SQL);
    const keptRegionCells = await ds.query(REGION_CELLS_SQL);
    const differences: string[] = [];
    diff('region cell against its brands', keptRegionCells, await ds.query(BRANDS_REGION_CELLS_SQL), differences);
    const keptBrands = await ds.query(BRAND_FIGURES_SQL);
    const keptRegions = await ds.query(REGION_FIGURES_SQL);
    // The upsert keeps the fresher of two rows; without the old ones every figure is written anew.
    await ds.query('DELETE FROM brand_statistics');
    await ds.query('DELETE FROM region_statistics');
    await servicesOn(ds).calculator.rebuildAll();
    diff('tally cell', keptCells, await ds.query(CELLS_SQL), differences);
    diff('region tally cell', keptRegionCells, await ds.query(REGION_CELLS_SQL), differences);
    diff('brand figures', keptBrands, await ds.query(BRAND_FIGURES_SQL), differences);
    diff('region figures', keptRegions, await ds.query(REGION_FIGURES_SQL), differences);
    return { ok: differences.length === 0, brands: keptBrands.length, regions: keptRegions.length, cells: keptCells.length, regionCells: keptRegionCells.length, differences };
  } finally {
    await ds.destroy();
  }
}
