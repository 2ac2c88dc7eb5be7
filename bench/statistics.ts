/**
 * Statistics recompute for a brand with 500,000 confirmed placements: StatisticsCalculator.recomputeBrand against
 * the bare index-ordered median query on the same table; each part of the recompute timed alone; EXPLAIN
 * (ANALYZE, BUFFERS) of the slowest; and candidate queries for a cheaper recompute. See bench/README.md.
 *
 *   npx ts-node --transpile-only -P tsconfig.json bench/statistics.ts
 *
 * No API process: the calculator runs in this process on a TypeORM DataSource built from dataSourceOptions().
 */
import { DataSource, Logger as OrmLogger } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source';
import { StatisticsCalculator } from '../src/statistics/statistics.calculator';
import { quantileRanks } from '../src/statistics/statistics.math';
import { benchDatabaseName, createMigratedDatabase, dropDatabase, withClient } from './lib/db';
import { insertBrand, insertBrandPopulation, insertOrganizations } from './lib/stats-data';
import { envFlag, envInt, fmt, log, median, nowMs, onInterrupt, writeResult } from './lib/util';

const PLACEMENTS = envInt('BENCH_PLACEMENTS', 500_000);
const CERTIFIED = envInt('BENCH_CERTIFIED', Math.round(PLACEMENTS * 0.6));
const OTHER_BRANDS = envInt('BENCH_OTHER_BRANDS', 20);
const OTHER_BRAND_SIZE = envInt('BENCH_OTHER_BRAND_SIZE', 5_000);
const RUNS = envInt('BENCH_RUNS', 5);
const CANDIDATES = envFlag('BENCH_CANDIDATES', true);

const db = benchDatabaseName('stats');
let sources: DataSource[] = [];

async function cleanup(): Promise<void> {
  for (const s of sources) if (s.isInitialized) await s.destroy().catch(() => undefined);
  sources = [];
  await dropDatabase(db).catch((e) => console.error(`drop ${db}: ${(e as Error).message}`));
}

class CaptureLogger implements OrmLogger {
  readonly statements: Array<{ sql: string; params: unknown[] }> = [];
  logQuery(query: string, parameters?: unknown[]): void {
    this.statements.push({ sql: query, params: parameters ?? [] });
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
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
  log(`data written, VACUUM ANALYZE done in ${fmt(setupMs / 1000, 1)} s`);

  // The recompute's own SQL, captured from one run (so the parts below are exactly what it runs).
  const capture = new CaptureLogger();
  const capturing = await open(url, {}, capture);
  await new StatisticsCalculator(capturing).recomputeBrand(brandId);
  await capturing.destroy();
  const cte = capture.statements.find((s) => s.sql.trimStart().startsWith('WITH tr AS'));
  const salaries = capture.statements.find((s) => s.sql.includes('row_number() OVER (ORDER BY annual_salary_fen)'));
  if (!cte || !salaries) throw new Error('could not find the recompute statements in the captured SQL');

  const ds = await open(url);
  const calculator = new StatisticsCalculator(ds);
  const [f] = await ds.query(cte.sql, cte.params);
  log(`brand figures: ${f.total} trainees, ${f.active} active placements, ${f.employers} employers, ${f.certified} certified`);

  const referenceSql = `SELECT annual_salary_fen FROM placements WHERE brand_id = $1 AND status = 'confirmed'
                         ORDER BY annual_salary_fen OFFSET (SELECT count(*) / 2 FROM placements WHERE brand_id = $1 AND status = 'confirmed') LIMIT 1`;
  const reference = (): Promise<unknown> => ds.query(referenceSql, [brandId]);
  const recompute = (): Promise<unknown> => calculator.recomputeBrand(brandId);

  log('timing: reference median query and recomputeBrand, interleaved');
  const [refTimes, recomputeTimes] = await interleaved([reference, recompute]);

  log('timing: the parts of recomputeBrand alone');
  const parts: Array<[string, () => Promise<unknown>]> = [
    ['the big CTE query (counts, rates, uplift, days, last event)', () => ds.query(cte.sql, cte.params)],
    ['brandSalaries (row_number over the partial index)', () => calculator.brandSalaries(ds.manager, brandId, f.active, f.salary_sum)],
  ];
  // Each CTE on its own: a query naming only one of them runs only that one (unreferenced CTEs are not executed).
  const body = cte.sql.slice(0, cte.sql.search(/\n\s*SELECT tr\.\*/));
  for (const name of ['tr', 'ce', 'pl', 'up', 'dp', 'ev']) parts.push([`  CTE ${name}`, () => ds.query(`${body}\n SELECT * FROM ${name}`, cte.params)]);
  const partTimes = await interleaved(parts.map(([, fn]) => fn));

  // JIT: the big CTE's estimated cost is far above jit_above_cost; how much does compiling cost?
  const noJit = await open(url, { options: '-c jit=off' });
  const noJitCalculator = new StatisticsCalculator(noJit);
  log('timing: recomputeBrand and the CTE query with jit = off');
  const [recomputeNoJit, cteNoJit] = await interleaved([() => noJitCalculator.recomputeBrand(brandId), () => noJit.query(cte.sql, cte.params)]);

  // work_mem: the default 4 MB makes the sorts and hashes of 500,000 rows spill to temporary files.
  const bigMem = await open(url, { options: '-c work_mem=64MB' });
  const bigMemCalculator = new StatisticsCalculator(bigMem);
  log('timing: recomputeBrand with work_mem = 64MB');
  const [recomputeWorkMem] = await interleaved([() => bigMemCalculator.recomputeBrand(brandId)]);

  // EXPLAIN of the slowest part (and of the reference, for comparison).
  const partMedians = partTimes.slice(0, 2).map(median);
  const slowest = partMedians[0] >= partMedians[1] ? { name: 'the big CTE query', sql: cte.sql, params: cte.params } : { name: 'brandSalaries', sql: salaries.sql, params: salaries.params };
  const explain = async (sql: string, params: unknown[]): Promise<string> =>
    ((await ds.query(`EXPLAIN (ANALYZE, BUFFERS, SETTINGS) ${sql}`, params)) as Array<Record<string, string>>).map((r) => r['QUERY PLAN']).join('\n');
  const slowestPlan = await explain(slowest.sql, slowest.params);
  const otherPlan = slowest.name === 'brandSalaries' ? await explain(cte.sql, cte.params) : await explain(salaries.sql, salaries.params);
  const referencePlan = await explain(referenceSql, [brandId]);

  // Candidates: the same figures from cheaper reads.
  const candidates: Array<{ name: string; sql: string; times: number[]; note: string }> = [];
  if (CANDIDATES) {
    log('timing: candidate queries');
    const ranks = [...new Set([0.25, 0.5, 0.75].flatMap((p) => quantileRanks(f.active, p)))].sort((a, b) => a - b);
    const offsets = [...new Set([0.25, 0.5, 0.75].map((p) => quantileRanks(f.active, p)[0]))];
    const list: Array<{ name: string; sql: string; params: unknown[]; note: string }> = [
      {
        name: 'count + sum of active salaries from the partial index (index-only)',
        sql: `SELECT count(*)::int AS active, COALESCE(sum(annual_salary_fen), 0)::text AS salary_sum FROM placements WHERE brand_id = $1 AND status = 'confirmed'`,
        params: [brandId],
        note: 'replaces active and salary_sum of CTE pl',
      },
      {
        name: 'quartiles by OFFSET on the partial index, 3 × LIMIT 2 in one statement',
        sql: `SELECT k.o AS rank0, v.vals FROM unnest($2::bigint[]) AS k(o)
               CROSS JOIN LATERAL (SELECT array_agg(annual_salary_fen) AS vals FROM (
                 SELECT annual_salary_fen FROM placements WHERE brand_id = $1 AND status = 'confirmed' ORDER BY annual_salary_fen OFFSET k.o LIMIT 2) s) v`,
        params: [brandId, offsets],
        note: `replaces brandSalaries (ranks ${ranks.join(', ')})`,
      },
      {
        name: 'trainee counts by status (today: index scan + heap)',
        sql: `SELECT status, count(*)::int FROM trainees WHERE brand_id = $1 GROUP BY status`,
        params: [brandId],
        note: 'CTE tr as a plain GROUP BY',
      },
    ];
    // The per-event part a split recompute would keep: the counts and the salary figures from the partial index,
    // in one REPEATABLE READ snapshot like the calculator's; the rest (distinct trainees and employers, certified,
    // uplift, days to placement, retention) from counters kept with the writes, or on a slower cadence.
    const fastPath = (): Promise<unknown> =>
      ds.transaction('REPEATABLE READ', async (m) => {
        await m.query(list[0].sql, list[0].params);
        await m.query(list[1].sql, list[1].params);
        await m.query(`SELECT id, seq, occurred_at FROM outbox_events WHERE brand_id = $1 ORDER BY seq DESC LIMIT 1`, [brandId]);
      });
    const times = await interleaved([...list.map((c) => () => ds.query(c.sql, c.params)), fastPath, reference]);
    list.forEach((c, i) => candidates.push({ name: c.name, sql: c.sql, times: times[i], note: c.note }));
    candidates.push({
      name: 'fast path: count + sum, quartiles by OFFSET, last event, one snapshot',
      sql: '(the first two candidates and the ev CTE in one REPEATABLE READ transaction)',
      times: times[list.length],
      note: `${fmt(median(times[list.length]) / median(times[list.length + 1]), 1)} × the reference timed alongside`,
    });

    // With an index that covers the status (bench database only: src/ is not changed).
    await ds.query(`CREATE INDEX bench_ix_trainees_brand_status ON trainees (brand_id, status)`);
    await ds.query('VACUUM ANALYZE trainees');
    const [withIndex] = await interleaved([() => ds.query(`SELECT status, count(*)::int FROM trainees WHERE brand_id = $1 GROUP BY status`, [brandId])]);
    candidates.push({ name: 'trainee counts by status with an index (brand_id, status) (index-only)', sql: 'CREATE INDEX … ON trainees (brand_id, status)', times: withIndex, note: 'CTE tr' });
    await ds.query(`DROP INDEX bench_ix_trainees_brand_status`);
  }

  // ----------------------------------------------------------------------------------------------- report
  const ref = median(refTimes);
  const rec = median(recomputeTimes);
  console.log('\n=== Statistics recompute for a brand with', f.active, 'active placements ===');
  console.log(`reference (bare index-ordered median query): ${ms(refTimes)}`);
  console.log(`StatisticsCalculator.recomputeBrand:          ${ms(recomputeTimes)}`);
  const ratios = recomputeTimes.map((t, i) => t / refTimes[i]);
  console.log(`ratio per run (recompute ÷ reference of the same pass): ${ratios.map((r) => fmt(r, 1)).join(', ')} → median ${fmt(median(ratios), 1)} (of medians ${fmt(rec / ref, 1)})   target ≤ 2: ${median(ratios) <= 2 ? 'MET' : 'MISSED'}`);
  console.log('\nparts of recomputeBrand, each alone:');
  parts.forEach(([name], i) => console.log(`  ${name.padEnd(62)} ${ms(partTimes[i])}`));
  console.log(`\nwith jit = off: recomputeBrand ${ms(recomputeNoJit)}; the CTE query ${ms(cteNoJit)}`);
  console.log(`with work_mem = 64MB (default ${(await ds.query('SHOW work_mem'))[0].work_mem}): recomputeBrand ${ms(recomputeWorkMem)} (${fmt(median(recomputeWorkMem) / ref, 1)} × reference)`);
  if (candidates.length) {
    console.log('\ncandidate reads (same figures, cheaper plans):');
    for (const c of candidates) console.log(`  ${c.name.padEnd(76)} ${ms(c.times)}  (${c.note})`);
  }
  console.log(`\nEXPLAIN (ANALYZE, BUFFERS) of the slowest part, ${slowest.name}:\n${slowestPlan}`);
  console.log(`\nEXPLAIN (ANALYZE, BUFFERS) of the reference:\n${referencePlan}`);
  const file = writeResult('statistics', {
    config: { PLACEMENTS, CERTIFIED, OTHER_BRANDS, OTHER_BRAND_SIZE, RUNS },
    referenceMs: refTimes,
    recomputeMs: recomputeTimes,
    parts: parts.map(([name], i) => ({ name, ms: partTimes[i] })),
    recomputeNoJitMs: recomputeNoJit,
    recomputeWorkMem64MbMs: recomputeWorkMem,
    cteNoJitMs: cteNoJit,
    candidates,
    plans: { slowest: { name: slowest.name, plan: slowestPlan }, other: otherPlan, reference: referencePlan },
    capturedSql: { cte: cte.sql, salaries: salaries.sql },
  });
  console.log(`\nresults (with the other part's plan too): ${file}`);
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
