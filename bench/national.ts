/**
 * `npm run bench -- --national`: the national scale of DESIGN.md (not CI). 2,500 certified brands over the 31
 * provinces, BENCH_NATIONAL_TRAINEES trainees (10,000,000) of whom every second has one confirmed placement
 * (5,000,000), generated in SQL (generate_series; triggers off while generating, then every brand's tallies
 * rebuilt from the rows, as `npm run stats:rebuild` would). BENCH_NATIONAL_SCALE (1) multiplies the trainees and
 * placements, not the brands: a region recompute's cost grows with its brands, so they stay 2,500.
 *
 * Measured: list and statistics reads through HTTP (p99); one brand's recompute and one national recompute
 * (StatisticsCalculator in this process); the freshness of the national roll-up (`100000`) while confirmations
 * run at full rate (32 in flight) over brands spread across the country.
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg, totalmem } from 'node:os';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source';
import { coveringRegions } from '../src/statistics/statistics.calculator';
import { ApiProcess, clearRedisPrefix, startApi } from './lib/api';
import { insertProposedPlacements } from './lib/confirm-data';
import { benchDatabaseName, createMigratedDatabase, dropDatabase, withClient } from './lib/db';
import { createParties } from './lib/fixtures';
import { HttpClient, runClosedLoop } from './lib/http';
import { servicesOn } from './lib/services';
import { envInt, fmt, latencySummary, log, mb, median, nowMs, onInterrupt, sleep, writeResult } from './lib/util';

const BRANDS = envInt('BENCH_NATIONAL_BRANDS', 2_500);
const SCALE = Number(process.env.BENCH_NATIONAL_SCALE ?? 1);
const TRAINEES = Math.round(envInt('BENCH_NATIONAL_TRAINEES', 10_000_000) * SCALE);
const READS = envInt('BENCH_NATIONAL_READS', 200);
const LOAD_SECONDS = envInt('BENCH_NATIONAL_LOAD_SECONDS', 30);
const CONCURRENCY = envInt('BENCH_CONCURRENCY', 32);
const KEEP = process.env.BENCH_NATIONAL_KEEP === '1';
const PROVINCES = ['11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37', '41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62', '63', '64', '65'];

const db = process.env.BENCH_NATIONAL_DB ?? benchDatabaseName('national');
const redisPrefix = `bench-national-${process.pid}`;
const bootstrapKey = `lbk_bench_${randomBytes(18).toString('hex')}`;
let api: ApiProcess | undefined;
let ds: DataSource | undefined;

async function cleanup(): Promise<void> {
  await api?.stop().catch(() => undefined);
  if (ds?.isInitialized) await ds.destroy().catch(() => undefined);
  if (!KEEP) await dropDatabase(db).catch((e) => console.error(`drop ${db}: ${(e as Error).message}`));
  await clearRedisPrefix(redisPrefix).catch(() => undefined);
}

async function timed<T>(what: string, fn: () => Promise<T>): Promise<[T, number]> {
  const t = nowMs();
  const r = await fn();
  const ms = nowMs() - t;
  log(`  ${what}: ${fmt(ms / 1000, 1)} s`);
  return [r, ms];
}

/** Organizations, brands, trainees and placements, all in SQL; answers how long each step took. */
async function generate(url: string): Promise<Record<string, number>> {
  const took: Record<string, number> = {};
  await withClient(url, async (c) => {
    await c.query(`SET maintenance_work_mem = '256MB'`);
    await c.query(`SET work_mem = '64MB'`);
    // Triggers off while generating (the tallies are rebuilt from the rows afterwards).
    await c.query(`SET session_replication_role = replica`);
    [, took.organizations] = await timed('organizations', () =>
      c.query(`INSERT INTO organizations (kind, name, credit_code, region_code)
        SELECT CASE WHEN i <= 100 THEN 'hr_firm' ELSE 'employer' END, '全国单位' || i, '91' || p.code || '0101' || lpad(i::text, 9, '0') || 'N', p.code || '0101'
          FROM generate_series(1, 1100) i, LATERAL (SELECT (${sqlArray(PROVINCES)})[1 + i % ${PROVINCES.length}] AS code) p`),
    );
    [, took.brands] = await timed(`${BRANDS} brands`, () =>
      c.query(
        `INSERT INTO brands (name, occupation_code, occupation_name, sector, region_code, operator_id, status, level, certified_at, valid_until)
         SELECT '全国品牌' || b, '4-04-05-05', '人工智能训练师', '信息技术', r.code,
                (SELECT id FROM organizations WHERE kind = 'hr_firm' ORDER BY id OFFSET b % 100 LIMIT 1), 'certified', 'district', now() - interval '3 years', current_date + 700
           FROM generate_series(0, $1::int - 1) b,
           LATERAL (SELECT (${sqlArray(PROVINCES)})[1 + b % ${PROVINCES.length}] || lpad((1 + (b / ${PROVINCES.length}) % 5)::text, 2, '0') || lpad((1 + (b / ${PROVINCES.length * 5}) % 17)::text, 2, '0') AS code) r`,
        [BRANDS],
      ),
    );
    [, took.trainees] = await timed(`${TRAINEES} trainees`, () =>
      c.query(
        `INSERT INTO trainees (brand_id, full_name, national_id_hash, national_id_masked, birth_date, gender, target_groups,
                               expected_monthly_salary_fen, status, registered_at)
         SELECT b.ids[1 + i % b.n], '张**', decode(md5('national:' || i), 'hex'), '110105********0000', date '1975-01-01' + (i % 10000),
                CASE WHEN i % 3 = 0 THEN 'female' ELSE 'male' END, '{}'::text[], 400000 + (i % 1200) * 1000,
                CASE WHEN i % 2 = 0 THEN 'placed' ELSE 'registered' END, now() - interval '30 days' - (i % 1000) * interval '1 day'
           FROM generate_series(1, $1::int) i, (SELECT array_agg(id ORDER BY id) AS ids, count(*)::int AS n FROM brands) b`,
        [TRAINEES],
      ),
    );
    [, took.placements] = await timed(`${TRAINEES / 2} placements`, () =>
      c.query(`INSERT INTO placements (trainee_id, brand_id, employer_id, proposed_by_id, job_title, occupation_code, work_region_code,
                                      salary_fen, salary_period, annual_salary_fen, start_date, status, confirmed_at, created_at, updated_at)
        SELECT t.id, t.brand_id, e.ids[1 + abs(hashtext(t.id::text)) % e.n], b.operator_id, '人工智能训练师', '4-04-05-05', b.region_code, s.monthly, 'monthly', s.monthly * 12,
               (t.registered_at + interval '7 days')::date, 'confirmed', t.registered_at + interval '7 days', t.registered_at + interval '3 days', t.registered_at + interval '7 days'
          FROM trainees t JOIN brands b ON b.id = t.brand_id,
               (SELECT array_agg(id ORDER BY id) AS ids, count(*)::int AS n FROM organizations WHERE kind = 'employer') e,
               LATERAL (SELECT (300000 + abs(hashtext(t.id::text)) % 1500000)::bigint AS monthly) s
         WHERE t.status = 'placed'`),
    );
    await c.query(`SET session_replication_role = origin`);
    [, took.vacuum] = await timed('VACUUM ANALYZE', () => c.query('VACUUM ANALYZE'));
    // The tallies and derived columns of every brand from its rows: the from-scratch path.
    if (process.env.BENCH_NATIONAL_CUSTOM_PLANS !== '0') await c.query(`SET plan_cache_mode = force_custom_plan`);
    [, took.rebuild] = await timed('rebuild_brand_tallies of every brand', async () => {
      const ids: string[] = (await c.query(`SELECT id FROM brands ORDER BY id`)).rows.map((r: { id: string }) => r.id);
      const t = nowMs();
      for (const [i, id] of ids.entries()) {
        await c.query(`SELECT rebuild_brand_tallies($1)`, [id]);
        // The tallies were empty when last analysed: without fresh statistics the planner scans them whole, and
        // each brand's rebuild costs more than the one before (measured: 25 → 74 ms a brand over 750 brands).
        if ((i + 1) % 100 === 0) await c.query('ANALYZE brand_tallies, brand_tally_deltas, brand_employers');
        if ((i + 1) % 250 === 0) log(`    ${i + 1} brands rebuilt, ${fmt((nowMs() - t) / (i + 1), 1)} ms a brand`);
      }
      // The brands were inserted with the triggers off: which brands count where, and the regions' cells (the
      // brands' rebuilt cells are deltas until their first recomputation folds them into brands and regions).
      await c.query(`SELECT rebuild_region_tallies()`);
    });
    await c.query('VACUUM ANALYZE');
  });
  return took;
}

function sqlArray(values: string[]): string {
  return `ARRAY[${values.map((v) => `'${v}'`).join(',')}]`;
}

async function reads(http: HttpClient, key: string, paths: () => string): Promise<ReturnType<typeof latencySummary>> {
  const times: number[] = [];
  await runClosedLoop(
    http,
    Array.from({ length: READS }, () => paths()),
    4,
    (path) => ({ method: 'GET', path, key }),
    200,
  ).then((r) => {
    if (r.successTimesMs.length !== READS) throw new Error(`reads of ${paths()}: ${JSON.stringify(r.statuses)} ${r.firstFailure}`);
    times.push(...r.latenciesMs);
  });
  return latencySummary(times);
}

export async function national(): Promise<void> {
  onInterrupt(cleanup);
  const load0 = loadavg();
  log(`national bench: ${BRANDS} brands, ${TRAINEES} trainees, ${TRAINEES / 2} placements (scale ${SCALE}); machine ${cpus().length} cores, ${mb(totalmem() / 1024)}, load average ${load0.map((l) => fmt(l, 2)).join(' ')}`);
  const url = await createMigratedDatabase(db);
  const took = await generate(url);

  ds = new DataSource(dataSourceOptions(url, 4) as ConstructorParameters<typeof DataSource>[0]);
  await ds.initialize();
  const { calculator } = servicesOn(ds);
  const brands: Array<{ id: string; region_code: string }> = await ds.query(`SELECT id, region_code FROM brands ORDER BY id`);
  const [, brandFigures] = await timed('figures of every brand (recomputeBrand × brands)', async () => {
    for (const b of brands) await calculator.recomputeBrand(b.id);
  });
  const regions = [...new Set(brands.flatMap((b) => coveringRegions(b.region_code)))];
  const [, regionFigures] = await timed(`figures of every region (${regions.length})`, async () => {
    for (const r of regions) await calculator.recomputeRegion(r);
  });

  // Recompute costs, in this process: a typical brand, the nation, a province.
  const pick = (): string => brands[Math.floor(Math.random() * brands.length)].id;
  const brandMs: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t = nowMs();
    await calculator.recomputeBrand(pick());
    brandMs.push(nowMs() - t);
  }
  const regionMs = async (code: string, runs: number): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = nowMs();
      await calculator.recomputeRegion(code);
      out.push(nowMs() - t);
    }
    return out;
  };
  const nationMs = await regionMs('100000', 5);
  const provinceMs = await regionMs('310000', 5);
  log(`recompute: brand p50 ${fmt(median(brandMs), 1)} ms (p90 ${fmt(latencySummary(brandMs).p95, 1)}), nation ${nationMs.map((m) => fmt(m, 0)).join(', ')} ms, province ${provinceMs.map((m) => fmt(m, 0)).join(', ')} ms`);

  // The service, and its keys: an HR firm that operates every brand, an employer with proposed placements in 20 brands across the country.
  api = await startApi({ databaseUrl: url, redisPrefix, bootstrapKey, logFile: process.env.BENCH_API_LOG });
  const parties = await createParties(api.http, bootstrapKey);
  await ds.query(`UPDATE brands SET operator_id = $1`, [parties.hrFirm.id]);
  const loadBrands = brands.filter((_, i) => i % Math.floor(brands.length / 20) === 0).slice(0, 20);
  const proposed: string[] = [];
  await withClient(url, async (c) => {
    const perBrand = await Promise.all(loadBrands.map(() => [] as string[]));
    for (const [i, b] of loadBrands.entries()) perBrand[i] = await insertProposedPlacements(c, b.id, parties.employer.id, parties.hrFirm.id, 1500);
    for (let k = 0; k < 1500; k++) for (const ids of perBrand) proposed.push(ids[k]);
    await c.query('ANALYZE placements');
    await c.query('ANALYZE trainees');
  });
  for (const b of loadBrands) await calculator.recomputeBrand(b.id);
  for (const r of [...new Set(loadBrands.flatMap((b) => coveringRegions(b.region_code)))]) await calculator.recomputeRegion(r);

  const http = new HttpClient(api.baseUrl, 8);
  const key = parties.hrFirm.key;
  log(`reads: ${READS} of each, 4 in flight`);
  const readFigures: Record<string, ReturnType<typeof latencySummary>> = {
    'GET /v1/placements?brandId=…': await reads(http, key, () => `/v1/placements?brandId=${pick()}&limit=20`),
    'GET /v1/placements (all brands of the firm)': await reads(http, key, () => `/v1/placements?limit=20`),
    'GET /v1/brands/…/trainees': await reads(http, key, () => `/v1/brands/${pick()}/trainees?limit=20`),
    'GET /v1/brands/…/statistics': await reads(http, key, () => `/v1/brands/${pick()}/statistics`),
    'GET /v1/statistics/brands': await reads(http, key, () => `/v1/statistics/brands?limit=20`),
    'GET /v1/statistics/regions/100000': await reads(http, key, () => `/v1/statistics/regions/100000`),
    'GET /v1/statistics/regions/<province>': await reads(http, key, () => `/v1/statistics/regions/${PROVINCES[Math.floor(Math.random() * PROVINCES.length)]}0000`),
  };
  for (const [what, s] of Object.entries(readFigures)) log(`  ${what}: p50 ${fmt(s.p50)} p99 ${fmt(s.p99)} ms`);

  // The national roll-up under the confirmation load: how old is the oldest answered confirmation it does not count?
  const nationActive = async (): Promise<number> => (await http.expect<{ activePlacementCount: number }>(200, 'GET', '/v1/statistics/regions/100000', { key })).activePlacementCount;
  const base = await nationActive();
  const samples: Array<{ at: number; active: number }> = [];
  let loading = true;
  const t0 = nowMs();
  const sampling = (async () => {
    while (loading) {
      const at = nowMs() - t0;
      samples.push({ at, active: (await nationActive()) - base });
      await sleep(250);
    }
  })();
  log(`national roll-up under load: confirmations for ${LOAD_SECONDS} s, ${CONCURRENCY} in flight, over ${loadBrands.length} brands`);
  const loadClient = new HttpClient(api.baseUrl, CONCURRENCY);
  const load = await runClosedLoop(loadClient, proposed, CONCURRENCY, (id) => ({ method: 'POST', path: `/v1/placements/${id}/confirm`, key: parties.employer.key, json: {} }), 200, LOAD_SECONDS * 1000);
  loading = false;
  await sampling;
  loadClient.close();
  const answered = load.successTimesMs.map((t) => t + load.started - t0).sort((a, b) => a - b);
  const lastAnswer = answered[answered.length - 1] ?? 0;
  const staleness = samples.filter((s) => s.at <= lastAnswer).map((s) => (s.active >= answered.length ? 0 : Math.max(0, s.at - answered[s.active])));
  let drainedMs = NaN;
  for (;;) {
    const at = nowMs() - t0;
    if ((await nationActive()) - base >= answered.length) {
      drainedMs = at - lastAnswer;
      break;
    }
    if (at - lastAnswer > 60_000) break;
    await sleep(50);
  }
  const st = latencySummary(staleness.length ? staleness : [0]);
  const rate = answered.length / (load.elapsedMs / 1000);
  log(`  ${fmt(rate, 0)} confirmations/s; national roll-up staleness p50 ${fmt(st.p50, 0)} p99 ${fmt(st.p99, 0)} max ${fmt(st.max, 0)} ms; drained ${fmt(drainedMs, 0)} ms after the load`);
  http.close();
  const rss = api.memory().hwmKb;
  await api.stop();
  api = undefined;

  const rows: Array<[string, string, string, boolean]> = [
    ...Object.entries(readFigures).map(([what, s]): [string, string, string, boolean] => [`${what} p99`, `${fmt(s.p99, 1)} ms`, '< 50 ms', s.p99 < 50]),
    ['one brand recompute (median of 30 random brands)', `${fmt(median(brandMs), 1)} ms`, '< 20 ms', median(brandMs) < 20],
    [`national recompute (100000, ${BRANDS} brands), median of 5`, `${fmt(median(nationMs), 0)} ms`, 'its cost', true],
    ['province recompute (310000), median of 5', `${fmt(median(provinceMs), 0)} ms`, 'its cost', true],
    [`national roll-up staleness under ${fmt(rate, 0)} confirmations/s (p99 / max)`, `${fmt(st.p99, 0)} / ${fmt(st.max, 0)} ms`, '< 5000 ms', st.max < 5000],
    ['peak RSS of the service', mb(rss), '< 300 MB', rss < 300 * 1024],
  ];
  console.log(`\n=== National scale: ${BRANDS} brands, ${TRAINEES} trainees, ${TRAINEES / 2} placements (scale ${SCALE}); load average ${load0.map((l) => fmt(l, 1)).join('/')} at start, ${loadavg().map((l) => fmt(l, 1)).join('/')} at end ===`);
  console.log(`generation: ${Object.entries(took).map(([k, v]) => `${k} ${fmt(v / 1000, 1)} s`).join(', ')}; figures of every brand ${fmt(brandFigures / 1000, 1)} s, of every region ${fmt(regionFigures / 1000, 1)} s`);
  console.log('| figure | project | target | met |');
  console.log('|---|---|---|---|');
  for (const [f, p, t, m] of rows) console.log(`| ${f} | ${p} | ${t} | ${m ? 'yes' : 'NO'} |`);
  const file = writeResult('national', { config: { BRANDS, SCALE, TRAINEES, READS, LOAD_SECONDS, CONCURRENCY }, took, brandFigures, regionFigures, brandMs, nationMs, provinceMs, readFigures, rollUp: { rate, staleness: st, drainedMs }, rssKb: rss, rows });
  console.log(`results: ${file}`);
  await cleanup();
}
