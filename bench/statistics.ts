/**
 * Statistics recompute for a brand with 500,000 confirmed placements: StatisticsCalculator.recomputeBrand against
 * the bare index-ordered median query on the same table, interleaved; each statement of the recompute timed alone;
 * EXPLAIN (ANALYZE, BUFFERS) of the rank reads; the region recompute and the from-scratch tally rebuild. See
 * bench/README.md.
 *
 *   npx ts-node --transpile-only -P tsconfig.json bench/statistics.ts
 *
 * No API process: the calculator runs in this process on a TypeORM DataSource built from dataSourceOptions().
 */
import { DataSource, Logger as OrmLogger } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source';
import { servicesOn } from './lib/services';
import { CaptureLogger } from './lib/confirm-sql';
import { benchDatabaseName, createMigratedDatabase, dropDatabase, withClient } from './lib/db';
import { insertBrand, insertBrandPopulation, insertOrganizations } from './lib/stats-data';
import { envInt, fmt, log, median, nowMs, onInterrupt, writeResult } from './lib/util';

const PLACEMENTS = envInt('BENCH_PLACEMENTS', 500_000);
const CERTIFIED = envInt('BENCH_CERTIFIED', Math.round(PLACEMENTS * 0.6));
const OTHER_BRANDS = envInt('BENCH_OTHER_BRANDS', 20);
const OTHER_BRAND_SIZE = envInt('BENCH_OTHER_BRAND_SIZE', 5_000);
const RUNS = envInt('BENCH_RUNS', 5);

const db = benchDatabaseName('stats');
let sources: DataSource[] = [];

async function cleanup(): Promise<void> {
  for (const s of sources) if (s.isInitialized) await s.destroy().catch(() => undefined);
  sources = [];
  await dropDatabase(db).catch((e) => console.error(`drop ${db}: ${(e as Error).message}`));
}

async function open(url: string, extra: Record<string, unknown> = {}, logger?: OrmLogger): Promise<DataSource> {
  const base = dataSourceOptions(url, 4);
  const ds = new DataSource({ ...base, extra: { ...(base.extra as object), ...extra }, ...(logger ? { logging: ['query'], logger } : {}) } as ConstructorParameters<typeof DataSource>[0]);
  await ds.initialize();
  sources.push(ds);
  return ds;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = nowMs();
  await fn();
  return nowMs() - t;
}

/** Runs each function RUNS times, interleaved (a, b, c, a, b, c, …) after one untimed warm-up each; answers all times. */
async function interleaved(fns: Array<() => Promise<unknown>>): Promise<number[][]> {
  for (const fn of fns) await fn();
  const times: number[][] = fns.map(() => []);
  for (let r = 0; r < RUNS; r++) for (const [i, fn] of fns.entries()) times[i].push(await time(fn));
  return times;
}

const ms = (values: number[]): string => `${values.map((v) => fmt(v, 0)).join(', ')} ms → median ${fmt(median(values), 1)} ms`;

async function main(): Promise<void> {
  onInterrupt(cleanup);
  log(`statistics bench: one brand with ${PLACEMENTS} confirmed placements (${CERTIFIED} certified trainees), ${OTHER_BRANDS} other brands × ${OTHER_BRAND_SIZE}; ${RUNS} timed runs each`);
  const url = await createMigratedDatabase(db);

  let brandId = '';
  const setupMs = await time(() =>
    withClient(url, async (c) => {
      const { hrFirmId } = await insertOrganizations(c, 200);
      brandId = await insertBrand(c, hrFirmId, '徐汇AI训练师');
      await insertBrandPopulation(c, brandId, hrFirmId, PLACEMENTS, CERTIFIED);
      for (let i = 0; i < OTHER_BRANDS; i++) {
        const other = await insertBrand(c, hrFirmId, `其他品牌${i + 1}`);
        await insertBrandPopulation(c, other, hrFirmId, OTHER_BRAND_SIZE, Math.round(OTHER_BRAND_SIZE * 0.6));
      }
      await c.query('VACUUM ANALYZE');
    }),
  );
  log(`data written (the triggers keeping the tallies on), VACUUM ANALYZE done in ${fmt(setupMs / 1000, 1)} s`);

  const ds = await open(url);
  const calculator = servicesOn(ds).calculator;
  const rebuildMs = await time(() => calculator.rebuildTallies(brandId));
  const cells = (await ds.query(`SELECT figure, count(*)::int AS cells FROM brand_tallies WHERE brand_id = $1 GROUP BY figure ORDER BY figure`, [brandId])) as Array<{ figure: string; cells: number }>;
  log(`rebuild_brand_tallies from the source rows: ${fmt(rebuildMs, 0)} ms; cells: ${cells.map((c) => `${c.figure} ${c.cells}`).join(', ')}`);

  // The recompute's own SQL, captured from one run (so the parts below are exactly what it runs).
  const capture = new CaptureLogger();
  const capturing = await open(url, {}, capture);
  await servicesOn(capturing).calculator.recomputeBrand(brandId);
  await capturing.destroy();
  // From the fold on (before it: the data source's own start-up queries), without the transaction's framing.
  const statements = capture.statements
    .slice(capture.statements.findIndex((s) => s.sql.includes('brand_tally_deltas')))
    .filter((s) => !/^(START TRANSACTION|BEGIN|COMMIT|SET TRANSACTION)/i.test(s.sql.trim()));
  const [f] = await ds.query(`SELECT * FROM brand_statistics WHERE brand_id = $1`, [brandId]);
  log(`brand figures: ${f.trainee_count} trainees, ${f.active_placement_count} active placements, median ${f.median_annual_fen} fen, ${f.employer_count} employers, ${f.certified_trainee_count} certified`);

  const referenceSql = `SELECT annual_salary_fen FROM placements WHERE brand_id = $1 AND status = 'confirmed'
                         ORDER BY annual_salary_fen OFFSET (SELECT count(*) / 2 FROM placements WHERE brand_id = $1 AND status = 'confirmed') LIMIT 1`;
  const reference = (): Promise<unknown> => ds.query(referenceSql, [brandId]);
  const recompute = (): Promise<unknown> => calculator.recomputeBrand(brandId);
  const region = (): Promise<unknown> => calculator.recomputeRegion('310104');

  log(`timing: reference median query, recomputeBrand and recomputeRegion (the district of all ${OTHER_BRANDS + 1} brands), interleaved`);
  const [refTimes, recomputeTimes, regionTimes] = await interleaved([reference, recompute, region]);

  log('timing: the statements of recomputeBrand alone');
  const partTimes = await interleaved(statements.map((s) => () => ds.query(s.sql, s.params)));
  const label = (sql: string): string => sql.replace(/\s+/g, ' ').trim().slice(0, 70);

  const rankRead = statements.find((s) => s.sql.includes('OFFSET k.skip'));
  const explain = async (sql: string, params: unknown[]): Promise<string> =>
    ((await ds.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params)) as Array<Record<string, string>>).map((r) => r['QUERY PLAN']).join('\n');
  const rankPlan = rankRead ? await explain(rankRead.sql, rankRead.params) : '(no rank read captured)';
  const referencePlan = await explain(referenceSql, [brandId]);

  // ----------------------------------------------------------------------------------------------- report
  const ref = median(refTimes);
  const rec = median(recomputeTimes);
  console.log('\n=== Statistics recompute for a brand with', Number(f.active_placement_count), 'active placements ===');
  console.log(`reference (bare index-ordered median query): ${ms(refTimes)}`);
  console.log(`StatisticsCalculator.recomputeBrand:          ${ms(recomputeTimes)}`);
  const ratios = recomputeTimes.map((t, i) => t / refTimes[i]);
  console.log(`ratio per run (recompute ÷ reference of the same pass): ${ratios.map((r) => fmt(r, 2)).join(', ')} → median ${fmt(median(ratios), 2)} (of medians ${fmt(rec / ref, 2)})   target ≤ 2: ${median(ratios) <= 2 ? 'MET' : 'MISSED'}`);
  console.log(`recomputeRegion (${OTHER_BRANDS + 1} brands, ${PLACEMENTS + OTHER_BRANDS * OTHER_BRAND_SIZE} placements): ${ms(regionTimes)}`);
  console.log(`rebuild_brand_tallies (from scratch, not on the event path): ${fmt(rebuildMs, 0)} ms`);
  console.log('\nstatements of recomputeBrand, each alone:');
  statements.forEach((s, i) => console.log(`  ${label(s.sql).padEnd(72)} ${ms(partTimes[i])}`));
  console.log(`\nEXPLAIN (ANALYZE, BUFFERS) of the rank reads:\n${rankPlan}`);
  console.log(`\nEXPLAIN (ANALYZE, BUFFERS) of the reference:\n${referencePlan}`);
  const file = writeResult('statistics', {
    config: { PLACEMENTS, CERTIFIED, OTHER_BRANDS, OTHER_BRAND_SIZE, RUNS },
    referenceMs: refTimes,
    recomputeMs: recomputeTimes,
    ratios,
    regionMs: regionTimes,
    rebuildMs,
    cells,
    statements: statements.map((s, i) => ({ sql: s.sql, ms: partTimes[i] })),
    plans: { rankReads: rankPlan, reference: referencePlan },
  });
  console.log(`\nresults: ${file}`);
}

main()
  .catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanup();
    log('cleaned up (database dropped)');
  });
