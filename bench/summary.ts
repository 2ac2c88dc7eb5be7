/**
 * `npm run bench`: every write-path target of DESIGN.md measured in one run and printed as one table (figure,
 * project, reference, ratio, target, met). See bench/README.md ("summary.ts").
 *
 *   npm run bench                      the write path (confirmations, salary changes, registrations, statistics, memory)
 *   npm run bench -- --national        the national scale (bench/national.ts)
 *
 * Per round, interleaved so that load from other users of the machine hits all alike: `pgbench -N` (the reference),
 * then through HTTP with BENCH_CONCURRENCY requests in flight: confirmations of a fresh set of BENCH_BRANDS brands ×
 * BENCH_PER_BRAND proposed placements (statistics sampled meanwhile), salary changes on the placements just
 * confirmed, trainee registrations. Then confirmations at rest, one at a time. The service runs as `npm run up` runs
 * it (BENCH_PROCESSES: 1 = ROLE=both, 2 = ROLE=api beside ROLE=worker). After the run, the service stopped, the
 * figures it kept must equal a rebuild from scratch, or the bench fails.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg, totalmem } from 'node:os';
import { ApiProcess, clearRedisPrefix, startApi } from './lib/api';
import { insertProposedPlacements } from './lib/confirm-data';
import { pgbenchScript, prepareConfirmSqlDatabase, resetConfirmSqlDatabase } from './lib/confirm-sql';
import { FloorServer, startFloorServer } from './lib/floor';
import { backendsCpuDeltaMs, benchDatabaseName, createEmptyDatabase, createMigratedDatabase, dropDatabase, pgbenchBinary, pidsOf, postgresBackendsCpuMs, processCpuMs, psqlArgs, run, withClient } from './lib/db';
import { checkAgainstRebuild } from './lib/exactness';
import { createBrand, createParties, nationalId, Parties } from './lib/fixtures';
import { HttpClient, LoadResult, runClosedLoop } from './lib/http';
import { metric, pgbench, PgbenchRun } from './lib/pgbench';
import { envInt, fmt, latencySummary, log, mb, median, nowMs, onInterrupt, sleep, writeResult } from './lib/util';
import { chinaToday } from '../src/common/time/china-time';

const BRANDS = envInt('BENCH_BRANDS', 20);
const PER_BRAND = envInt('BENCH_PER_BRAND', 500);
const CONCURRENCY = envInt('BENCH_CONCURRENCY', 32);
const ROUNDS = envInt('BENCH_ROUNDS', 3);
const ROUND_SECONDS = envInt('BENCH_ROUND_SECONDS', 15);
const PGBENCH_SECONDS = envInt('BENCH_PGBENCH_SECONDS', 10);
const PGBENCH_CLIENTS = envInt('BENCH_PGBENCH_CLIENTS', 32);
const PGBENCH_SCALE = envInt('BENCH_PGBENCH_SCALE', 10);
const AT_REST = envInt('BENCH_AT_REST', 30);
/** As `npm run up` runs the service: 2 = ROLE=api beside ROLE=worker (scripts/start-split.mjs); 1 = ROLE=both. */
const PROCESSES = envInt('BENCH_PROCESSES', 2);
const API_ENV: Record<string, string> = process.env.BENCH_API_ENV ? JSON.parse(process.env.BENCH_API_ENV) : {};
const AT_REST_GAP_MS = envInt('BENCH_AT_REST_GAP_MS', 700);
/**
 * The ceilings, measured in every round after its write figures: the confirmation's own SQL in pgbench (no Node),
 * the service's cheapest authenticated request (GET of one placement: key, rate limit, one read) and a bare
 * Fastify + pg server answering one read per request — what the write figures could reach at most.
 */
const CEILINGS = envInt('BENCH_CEILINGS', 1) === 1;
const CEILING_SECONDS = envInt('BENCH_CEILING_SECONDS', 10);
const SQL_ROWS = envInt('BENCH_SQL_ROWS', 40_000);
/** The service's DATABASE_POOL_SIZE default: the floor server gets the same pool. */
const FLOOR_POOL = envInt('BENCH_FLOOR_POOL', 20);
const SAMPLE_EVERY_MS = 100;
const DRAIN_TIMEOUT_MS = 60_000;

const appDb = benchDatabaseName('summary');
const pgbenchDb = benchDatabaseName('summary_pgbench');
const sqlDb = benchDatabaseName('summary_sql');
const redisPrefix = `bench-summary-${process.pid}`;
const bootstrapKey = `lbk_bench_${randomBytes(18).toString('hex')}`;

let processes: ApiProcess[] = [];
let floor: FloorServer | undefined;
async function cleanup(): Promise<void> {
  for (const p of processes) await p.stop().catch(() => undefined);
  processes = [];
  await floor?.stop().catch(() => undefined);
  floor = undefined;
  for (const db of [appDb, pgbenchDb, sqlDb]) await dropDatabase(db).catch((e) => console.error(`drop ${db}: ${(e as Error).message}`));
  await clearRedisPrefix(redisPrefix).catch(() => undefined);
}

interface BrandSet {
  brandIds: string[];
  /** Proposed placements, interleaved over the brands (one of each brand in turn), with their brand. */
  placements: Array<{ id: string; brand: number }>;
}

async function prepareSet(http: HttpClient, parties: Parties, url: string, label: string, brands: number, perBrand: number): Promise<BrandSet> {
  const brandIds: string[] = [];
  const perBrandIds: string[][] = [];
  for (let b = 0; b < brands; b++) {
    const id = await createBrand(http, parties, `${label}${b + 1}`, true);
    brandIds.push(id);
    perBrandIds.push(await withClient(url, (c) => insertProposedPlacements(c, id, parties.employer.id, parties.hrFirm.id, perBrand)));
  }
  const placements: BrandSet['placements'] = [];
  for (let i = 0; i < perBrand; i++) for (let b = 0; b < brands; b++) if (perBrandIds[b][i]) placements.push({ id: perBrandIds[b][i], brand: b });
  // Figures for each brand before the round (a brand's first read computes them inline).
  for (const id of brandIds) await http.expect(200, 'GET', `/v1/brands/${id}/statistics`, { key: parties.hrFirm.key });
  return { brandIds, placements };
}

type CpuPerUnit = { api: number; worker: number; postgres: number; redis: number; client: number };

/**
 * CPU of everything a write costs, from now until perUnit(): the service's processes, their Postgres backends
 * (sampled while they live: call sample() now and then), Redis, and this load generator.
 */
function cpuMeter(api: ApiProcess, worker: ApiProcess): { sample(): void; perUnit(n: number): CpuPerUnit } {
  const redisPids = pidsOf('redis-server');
  const redisCpu = (): number => redisPids.reduce((t, pid) => t + processCpuMs(pid), 0);
  const start = { api: api.cpuMs(), worker: worker === api ? 0 : worker.cpuMs(), redis: redisCpu(), client: process.cpuUsage() };
  const backends0 = postgresBackendsCpuMs(appDb);
  const backends = new Map(backends0);
  const sample = (): void => {
    for (const [pid, ms] of postgresBackendsCpuMs(appDb)) backends.set(pid, ms);
  };
  return {
    sample,
    perUnit: (count) => {
      sample();
      const n = Math.max(1, count);
      const client = process.cpuUsage(start.client);
      return {
        api: (api.cpuMs() - start.api) / n,
        worker: worker === api ? 0 : (worker.cpuMs() - start.worker) / n,
        postgres: backendsCpuDeltaMs(backends0, backends) / n,
        redis: (redisCpu() - start.redis) / n,
        client: (client.user + client.system) / 1000 / n,
      };
    },
  };
}

interface ConfirmRound {
  load: LoadResult;
  perSec: number;
  confirmed: string[];
  stalenessMs: number[];
  drainedMs: number;
  pipeline: { outboxBacklogMax: number; statisticsWaitingMax: number; recomputes: number; recomputeMeanMs: number };
  /** CPU ms per confirmation, from the first request to drained: every process that works for it. */
  cpu: CpuPerUnit;
}

/**
 * Confirms the set's placements (closed loop), sampling one brand's statistics every SAMPLE_EVERY_MS in turn: the
 * staleness of a sample is how long the oldest answered confirmation of that brand it does not count yet had been
 * answered. Then drained: last answer → every brand counts all of its confirmations.
 */
async function confirmRound(api: ApiProcess, worker: ApiProcess, parties: Parties, set: BrandSet): Promise<ConfirmRound> {
  const client = new HttpClient(api.baseUrl, CONCURRENCY);
  const sampler = new HttpClient(api.baseUrl, 1);
  const answered: number[][] = set.brandIds.map(() => []);
  const samples: Array<{ at: number; brand: number; active: number }> = [];
  const active = async (b: number): Promise<number> => {
    const res = await sampler.request<{ activePlacementCount: number }>('GET', `/v1/brands/${set.brandIds[b]}/statistics`, { key: parties.hrFirm.key });
    if (res.status !== 200) throw new Error(`GET statistics: ${res.status} ${res.text.slice(0, 200)}`);
    return res.body.activePlacementCount;
  };
  const recomputeTotals = async (): Promise<[number, number]> => {
    const text = await (await fetch(worker.metricsUrl)).text();
    return [metric(text, 'statistics_recompute_seconds_count'), metric(text, 'statistics_recompute_seconds_sum')];
  };
  const pipeline = { outboxBacklogMax: 0, statisticsWaitingMax: 0, recomputes: 0, recomputeMeanMs: NaN };
  const [count0, sum0] = await recomputeTotals();
  const meter = cpuMeter(api, worker);
  let loading = true;
  const t0 = nowMs();
  const sampling = (async () => {
    for (let k = 0; loading; k++) {
      const b = k % set.brandIds.length;
      const at = nowMs() - t0;
      samples.push({ at, brand: b, active: await active(b) });
      await sleep(SAMPLE_EVERY_MS);
    }
  })();
  const scraping = (async () => {
    while (loading) {
      const text = await (await fetch(worker.metricsUrl)).text();
      pipeline.outboxBacklogMax = Math.max(pipeline.outboxBacklogMax, metric(text, 'outbox_backlog_events') || 0);
      pipeline.statisticsWaitingMax = Math.max(pipeline.statisticsWaitingMax, metric(text, 'queue_jobs', 'queue="statistics",state="waiting"') || 0);
      meter.sample();
      await sleep(500);
    }
  })();
  const confirmed: string[] = [];
  const load = await runClosedLoop(
    client,
    set.placements,
    CONCURRENCY,
    (p) => ({ method: 'POST', path: `/v1/placements/${p.id}/confirm`, key: parties.employer.key, json: {} }),
    200,
    ROUND_SECONDS * 1000,
    (p, at) => {
      answered[p.brand].push(at);
      confirmed.push(p.id);
    },
  );
  const offset = load.started - t0;
  const lastAnswer = offset + Math.max(0, ...load.successTimesMs);
  loading = false;
  await sampling;
  await scraping;
  for (const a of answered) for (let i = 0; i < a.length; i++) a[i] += offset;
  const stalenessMs = samples
    .filter((s) => s.at <= lastAnswer)
    .map((s) => {
      const a = answered[s.brand];
      return s.active >= a.length ? 0 : Math.max(0, s.at - a[s.active]);
    });
  // Drained: every brand shows all of its confirmations.
  const pending = new Set(set.brandIds.keys());
  let drainedMs = NaN;
  while (pending.size) {
    for (const b of [...pending]) if ((await active(b)) >= answered[b].length) pending.delete(b);
    const at = nowMs() - t0;
    if (!pending.size) drainedMs = at - lastAnswer;
    else if (at - lastAnswer > DRAIN_TIMEOUT_MS) break;
    else await sleep(10);
  }
  const cpu = meter.perUnit(load.successTimesMs.length);
  const [count1, sum1] = await recomputeTotals();
  pipeline.recomputes = count1 - count0;
  pipeline.recomputeMeanMs = ((sum1 - sum0) / Math.max(1, count1 - count0)) * 1000;
  client.close();
  sampler.close();
  return { load, perSec: load.successTimesMs.length / (load.elapsedMs / 1000), confirmed, stalenessMs, drainedMs, pipeline, cpu };
}

/** Confirmations one at a time, each after the previous one is visible: commit (answer) → visible in GET statistics. */
async function atRest(api: ApiProcess, parties: Parties, set: BrandSet): Promise<number[]> {
  const client = new HttpClient(api.baseUrl, 2);
  const latencies: number[] = [];
  try {
    const brandId = set.brandIds[0];
    const read = async (): Promise<number> => (await client.expect<{ activePlacementCount: number }>(200, 'GET', `/v1/brands/${brandId}/statistics`, { key: parties.hrFirm.key })).activePlacementCount;
    let before = await read();
    for (const p of set.placements) {
      await client.expect(200, 'POST', `/v1/placements/${p.id}/confirm`, { key: parties.employer.key, json: {} });
      const answered = nowMs();
      for (;;) {
        const now = await read();
        if (now > before) {
          latencies.push(nowMs() - answered);
          before = now;
          break;
        }
        if (nowMs() - answered > 10_000) throw new Error('at rest: a confirmation was not visible after 10 s');
        await sleep(2);
      }
      // At rest: the next confirmation well after this one, not a burst.
      await sleep(AT_REST_GAP_MS);
    }
  } finally {
    client.close();
  }
  return latencies;
}

async function closedLoop<I>(
  baseUrl: string,
  items: I[],
  toRequest: (item: I) => { method: string; path: string; key: string; json?: unknown },
  okStatus: number,
  seconds = ROUND_SECONDS,
): Promise<{ perSec: number; load: LoadResult }> {
  const client = new HttpClient(baseUrl, CONCURRENCY);
  try {
    const load = await runClosedLoop(client, items, CONCURRENCY, toRequest, okStatus, seconds * 1000);
    return { perSec: load.successTimesMs.length / (load.elapsedMs / 1000), load };
  } finally {
    client.close();
  }
}

function cpuText(c: CpuPerUnit): string {
  const total = c.api + c.worker + c.postgres + c.redis + c.client;
  return `${fmt(total, 2)} = api ${fmt(c.api, 2)} + worker ${fmt(c.worker, 2)} + postgres ${fmt(c.postgres, 2)} + redis ${fmt(c.redis, 2)} + load client ${fmt(c.client, 2)}`;
}

/**
 * Where Postgres spends a phase's time inside the tally triggers and functions: pg_stat_user_functions, which has
 * rows only when `track_functions = 'pl'` (off by default; `ALTER SYSTEM SET track_functions = 'pl'` and
 * `SELECT pg_reload_conf()` turn it on without a restart). Answers a snapshot; `functionTimes(before)` the change.
 */
async function functionTimes(url: string, before?: Map<string, { calls: number; ms: number }>): Promise<Map<string, { calls: number; ms: number }>> {
  const rows: Array<{ funcname: string; calls: string; self_time: number }> = await withClient(url, async (c) =>
    (await c.query(`SELECT funcname, calls, self_time FROM pg_stat_user_functions`)).rows,
  );
  const now = new Map(rows.map((r) => [r.funcname, { calls: Number(r.calls), ms: r.self_time }]));
  if (!before) return now;
  return new Map([...now].map(([name, v]) => [name, { calls: v.calls - (before.get(name)?.calls ?? 0), ms: v.ms - (before.get(name)?.ms ?? 0) }]));
}

function functionText(times: Map<string, { calls: number; ms: number }>, per: number): string {
  return [...times]
    .filter(([, v]) => v.calls > 0)
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, 6)
    .map(([name, v]) => `${name} ${fmt(v.ms / per, 2)} ms (${fmt(v.calls / per, 1)} calls)`)
    .join(', ');
}

function describeFailures(what: string, load: LoadResult): void {
  const bad = Object.entries(load.statuses).filter(([s]) => !['200', '201'].includes(s));
  if (bad.length || load.errors) log(`  ${what}: statuses ${JSON.stringify(load.statuses)}, ${load.errors} errors; first failure: ${load.firstFailure}`);
}

interface Row {
  figure: string;
  project: string;
  reference: string;
  ratio: string;
  target: string;
  /** null: a figure without a target (a ceiling, a count). */
  met: boolean | null;
}

function printTable(rows: Row[]): void {
  const head = ['figure', 'project', 'reference', 'ratio', 'target', 'met'];
  const cells = rows.map((r) => [r.figure, r.project, r.reference, r.ratio, r.target, r.met === null ? '—' : r.met ? 'yes' : 'NO']);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]): string => `| ${c.map((x, i) => x.padEnd(widths[i])).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const c of cells) console.log(line(c));
}

async function main(): Promise<void> {
  if (process.argv.includes('--national')) {
    const { national } = await import('./national');
    return national();
  }
  onInterrupt(cleanup);
  const load0 = loadavg();
  log(`summary bench: ${ROUNDS} rounds; ${BRANDS} brands × ${PER_BRAND} placements per round, ${CONCURRENCY} in flight, ${ROUND_SECONDS} s per phase; pgbench -N -c ${PGBENCH_CLIENTS} -j 2 -T ${PGBENCH_SECONDS} (scale ${PGBENCH_SCALE}); ${PROCESSES} service process(es)`);
  log(`machine: ${cpus().length} cores, ${mb(totalmem() / 1024)} RAM, load average ${load0.map((l) => fmt(l, 2)).join(' ')}`);

  const appUrl = await createMigratedDatabase(appDb);
  const pgbenchUrl = await createEmptyDatabase(pgbenchDb);
  const conn = psqlArgs(pgbenchUrl);
  const init = await run(pgbenchBinary(), [...conn.slice(0, 6), '-i', '-q', '-s', String(PGBENCH_SCALE), conn[7]]);
  if (init.code !== 0) throw new Error(`pgbench -i failed: ${init.stderr}`);

  const common = { databaseUrl: appUrl, redisPrefix, bootstrapKey, logFile: process.env.BENCH_API_LOG };
  const api = await startApi({ ...common, env: API_ENV, role: PROCESSES === 2 ? 'api' : 'both' });
  processes.push(api);
  const worker = PROCESSES === 2 ? await startApi({ ...common, env: API_ENV, role: 'worker' }) : api;
  if (worker !== api) processes.push(worker);
  const parties = await createParties(api.http, bootstrapKey);

  let confirmScript = '';
  let sqlUrl = '';
  if (CEILINGS) {
    log(`ceilings: preparing ${SQL_ROWS} placements for the confirmation's own SQL in pgbench; the floor server (Fastify + pg, pool ${FLOOR_POOL})`);
    sqlUrl = await createMigratedDatabase(sqlDb);
    const captured = await prepareConfirmSqlDatabase(sqlUrl, SQL_ROWS);
    const dir = join(__dirname, 'results');
    mkdirSync(dir, { recursive: true });
    confirmScript = join(dir, 'summary-confirm-captured.pgbench.sql');
    writeFileSync(confirmScript, pgbenchScript(captured.hot));
    floor = await startFloorServer(appUrl, FLOOR_POOL);
  }

  log(`preparing ${ROUNDS} sets of ${BRANDS} brands × ${PER_BRAND} proposed placements (+ warm-up, at rest) with SQL`);
  const warm = await prepareSet(api.http, parties, appUrl, '预热品牌', 4, 500);
  const sets: BrandSet[] = [];
  for (let r = 0; r < ROUNDS; r++) sets.push(await prepareSet(api.http, parties, appUrl, `第${r + 1}轮品牌`, BRANDS, PER_BRAND));
  const rest = await prepareSet(api.http, parties, appUrl, '静置品牌', 1, AT_REST);
  await withClient(appUrl, (c) => c.query('VACUUM ANALYZE'));

  let traineeSerial = 50_000_000 + (process.pid % 1000) * 10_000;
  const today = chinaToday();
  const registrations = (brandIds: string[]): Array<{ brandId: string; i: number }> => Array.from({ length: 200_000 }, (_, k) => ({ brandId: brandIds[k % brandIds.length], i: traineeSerial++ }));
  const register = (x: { brandId: string; i: number }) => ({
    method: 'POST',
    path: `/v1/brands/${x.brandId}/trainees`,
    key: parties.hrFirm.key,
    json: { fullName: '张伟', nationalId: nationalId(x.i), phone: `139${String(x.i % 1e8).padStart(8, '0')}`, targetGroups: ['graduate'], expectedMonthlySalaryFen: 800_000 },
  });
  const salaryChange = (id: string) => ({
    method: 'POST',
    path: `/v1/placements/${id}/salary-changes`,
    key: parties.employer.key,
    json: { salaryFen: 500_000 + Math.floor(Math.random() * 1_500_000), salaryPeriod: 'monthly', effectiveDate: today },
  });

  log('warm-up');
  const w = await confirmRound(api, worker, parties, warm);
  await closedLoop(api.baseUrl, w.confirmed.slice(0, 1000), salaryChange, 200);
  await closedLoop(api.baseUrl, registrations(warm.brandIds).slice(0, 1000), register, 201);

  const refs: PgbenchRun[] = [];
  const confirms: ConfirmRound[] = [];
  const salaries: Array<{ perSec: number; load: LoadResult; cpu: CpuPerUnit }> = [];
  const registers: Array<{ perSec: number; load: LoadResult; cpu: CpuPerUnit }> = [];
  const ceilings: Array<{ sqlTps: number; readPerSec: number; floorPerSec: number }> = [];
  const rssPeaks: number[][] = processes.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    const ref = await pgbench(pgbenchDb, ['-N', '-c', String(PGBENCH_CLIENTS), '-j', '2', '-T', String(PGBENCH_SECONDS)]);
    refs.push(ref);
    log(`round ${r + 1}/${ROUNDS}: pgbench -N ${fmt(ref.tps, 0)} tps (load average ${fmt(loadavg()[0], 2)})`);
    processes.forEach((p) => p.takeRssPeakKb());
    const c = await confirmRound(api, worker, parties, sets[r]);
    confirms.push(c);
    const lat = latencySummary(c.load.latenciesMs);
    log(
      `  confirmations ${fmt(c.perSec, 0)}/s (${fmt(c.perSec / ref.tps, 3)} ×), p50/p99 ${fmt(lat.p50)}/${fmt(lat.p99)} ms; staleness p99 ${fmt(latencySummary(c.stalenessMs).p99, 0)} ms; drained ${fmt(c.drainedMs, 0)} ms; ` +
        `outbox backlog max ${c.pipeline.outboxBacklogMax}, statistics waiting max ${c.pipeline.statisticsWaitingMax}, ${c.pipeline.recomputes} recomputes (mean ${fmt(c.pipeline.recomputeMeanMs, 1)} ms)`,
    );
    describeFailures('confirmations', c.load);
    log(`  CPU per confirmation: ${cpuText(c.cpu)}; pgbench -N per transaction: client ${fmt(ref.clientCpuMs / ref.transactions, 3)} + backends ${fmt(ref.backendCpuMs / ref.transactions, 3)} ms`);
    // Several salary changes per placement: a closed loop over the confirmed ones, again and again.
    const targets = Array.from({ length: 200_000 }, (_, k) => c.confirmed[k % c.confirmed.length]);
    const fBefore = await functionTimes(appUrl);
    const sMeter = cpuMeter(api, worker);
    const s = await closedLoop(api.baseUrl, targets, salaryChange, 200);
    await waitForQuiet(worker, sMeter.sample);
    salaries.push({ ...s, cpu: sMeter.perUnit(s.load.successTimesMs.length) });
    const fSalary = await functionTimes(appUrl, fBefore);
    if (fSalary.size) log(`  Postgres functions per salary change (self time): ${functionText(fSalary, s.load.successTimesMs.length)}`);
    log(`  salary changes ${fmt(s.perSec, 0)}/s (${fmt(s.perSec / ref.tps, 3)} ×), p99 ${fmt(latencySummary(s.load.latenciesMs).p99)} ms; CPU per change ${cpuText(salaries[r].cpu)}`);
    describeFailures('salary changes', s.load);
    const gMeter = cpuMeter(api, worker);
    const g = await closedLoop(api.baseUrl, registrations(sets[r].brandIds), register, 201);
    await waitForQuiet(worker, gMeter.sample);
    registers.push({ ...g, cpu: gMeter.perUnit(g.load.successTimesMs.length) });
    log(`  registrations ${fmt(g.perSec, 0)}/s (${fmt(g.perSec / ref.tps, 3)} ×), p99 ${fmt(latencySummary(g.load.latenciesMs).p99)} ms; CPU per registration ${cpuText(registers[r].cpu)}`);
    describeFailures('registrations', g.load);
    if (CEILINGS && floor) {
      const sql = await pgbench(sqlDb, ['-n', '-M', 'prepared', '-f', confirmScript, '-c', String(PGBENCH_CLIENTS), '-j', '2', '-T', String(CEILING_SECONDS)]);
      await resetConfirmSqlDatabase(sqlUrl);
      const read = await closedLoop(api.baseUrl, targets, (id) => ({ method: 'GET', path: `/v1/placements/${id}`, key: parties.employer.key }), 200, CEILING_SECONDS);
      describeFailures('reads', read.load);
      const bare = await closedLoop(floor.baseUrl, targets, (id) => ({ method: 'GET', path: `/floor/${id}`, key: '' }), 200, CEILING_SECONDS);
      describeFailures('floor', bare.load);
      ceilings.push({ sqlTps: sql.tps, readPerSec: read.perSec, floorPerSec: bare.perSec });
      log(
        `  ceilings: the confirmation's SQL in pgbench ${fmt(sql.tps, 0)} tps (${fmt(sql.tps / ref.tps, 3)} ×); GET one placement ${fmt(read.perSec, 0)}/s (${fmt(read.perSec / ref.tps, 3)} ×); ` +
          `bare Fastify + pg ${fmt(bare.perSec, 0)}/s (${fmt(bare.perSec / ref.tps, 3)} ×)`,
      );
    }
    processes.forEach((p, i) => rssPeaks[i].push(p.takeRssPeakKb()));
  }
  log(`at rest: ${AT_REST} confirmations one at a time`);
  const restMs = await atRest(api, parties, rest);

  // Quiet, then stop: the check needs every event processed and nothing moving.
  await waitForQuiet(worker);
  const hwm = processes.map((p) => p.memory().hwmKb);
  const roles = PROCESSES === 2 ? ['api', 'worker'] : ['api+worker'];
  for (const p of processes) await p.stop();
  processes = [];
  const loadEnd = loadavg();

  // How many updates of the hot tables were HOT (no index entries written).
  const hot: Array<{ relname: string; n_tup_upd: string; n_tup_hot_upd: string }> = await withClient(appUrl, async (c) =>
    (await c.query(`SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname IN ('placements', 'trainees') ORDER BY relname`)).rows,
  );
  const hotShare = hot.map((h) => `${h.relname} ${h.n_tup_hot_upd}/${h.n_tup_upd}`).join(', ');
  log(`HOT updates: ${hotShare}`);
  log('checking the figures against a rebuild from scratch');
  const exact = await checkAgainstRebuild(appUrl);

  // --------------------------------------------------------------------------------------------- the table
  const ratio = (values: number[]): number => median(values.map((v, i) => v / refs[i].tps));
  const pgTps = median(refs.map((x) => x.tps));
  const p99Of = (loads: LoadResult[]): number => median(loads.map((l) => latencySummary(l.latenciesMs).p99));
  const cRatio = ratio(confirms.map((c) => c.perSec));
  const sRatio = ratio(salaries.map((s) => s.perSec));
  const gRatio = ratio(registers.map((g) => g.perSec));
  const ref = `pgbench -N ${fmt(pgTps, 0)} tps`;
  const staleP99 = median(confirms.map((c) => latencySummary(c.stalenessMs).p99));
  const drained = median(confirms.map((c) => c.drainedMs));
  const rest99 = latencySummary(restMs).p99;
  const pgbenchCpu = median(refs.map((x) => (x.clientCpuMs + x.backendCpuMs) / x.transactions));
  const medianCpu = (cpus: CpuPerUnit[]): CpuPerUnit => {
    const of = (pick: (c: CpuPerUnit) => number): number => median(cpus.map(pick));
    return { api: of((c) => c.api), worker: of((c) => c.worker), postgres: of((c) => c.postgres), redis: of((c) => c.redis), client: of((c) => c.client) };
  };
  const totalCpu = (c: CpuPerUnit): number => c.api + c.worker + c.postgres + c.redis + c.client;
  const cpuRows = ([['confirmation', confirms.map((c) => c.cpu)], ['salary change', salaries.map((x) => x.cpu)], ['registration', registers.map((x) => x.cpu)]] as const).map(
    ([what, cpus]): Row => {
      const m = medianCpu([...cpus]);
      return { figure: `CPU per ${what} (ms)`, project: cpuText(m), reference: `pgbench -N ${fmt(pgbenchCpu, 3)} ms`, ratio: fmt(pgbenchCpu / totalCpu(m), 3), target: '', met: null };
    },
  );
  const rows: Row[] = [
    { figure: 'confirmations/s (32 in flight)', project: fmt(median(confirms.map((c) => c.perSec)), 0), reference: ref, ratio: fmt(cRatio, 3), target: '≥ 0.5', met: cRatio >= 0.5 },
    { figure: 'confirmation p99', project: `${fmt(p99Of(confirms.map((c) => c.load)), 1)} ms`, reference: '', ratio: '', target: '< 50 ms', met: p99Of(confirms.map((c) => c.load)) < 50 },
    { figure: 'salary changes/s', project: fmt(median(salaries.map((s) => s.perSec)), 0), reference: ref, ratio: fmt(sRatio, 3), target: '≥ 0.4', met: sRatio >= 0.4 },
    { figure: 'salary change p99', project: `${fmt(p99Of(salaries.map((s) => s.load)), 1)} ms`, reference: '', ratio: '', target: '< 50 ms', met: p99Of(salaries.map((s) => s.load)) < 50 },
    { figure: 'registrations/s', project: fmt(median(registers.map((g) => g.perSec)), 0), reference: ref, ratio: fmt(gRatio, 3), target: '≥ 0.3', met: gRatio >= 0.3 },
    { figure: 'registration p99', project: `${fmt(p99Of(registers.map((g) => g.load)), 1)} ms`, reference: '', ratio: '', target: '< 50 ms', met: p99Of(registers.map((g) => g.load)) < 50 },
    { figure: 'statistics staleness p99 under load', project: `${fmt(staleP99, 0)} ms`, reference: '', ratio: '', target: '< 500 ms', met: staleP99 < 500 },
    { figure: 'statistics drained after load', project: `${fmt(drained, 0)} ms`, reference: '', ratio: '', target: '< 500 ms', met: drained < 500 },
    { figure: 'statistics visible at rest p99', project: `${fmt(rest99, 0)} ms (p50 ${fmt(latencySummary(restMs).p50, 0)})`, reference: '', ratio: '', target: '< 200 ms', met: rest99 < 200 },
    ...roles.map((role, i) => ({ figure: `peak RSS, ${role} process`, project: mb(hwm[i]), reference: '', ratio: '', target: '< 300 MB', met: hwm[i] < 300 * 1024 })),
    ...cpuRows,
    { figure: 'HOT updates (of all updates)', project: hotShare, reference: '', ratio: '', target: '', met: null },
    ...(ceilings.length
      ? [
          { figure: "ceiling: the confirmation's SQL alone (pgbench)", project: `${fmt(median(ceilings.map((x) => x.sqlTps)), 0)} tps`, reference: ref, ratio: fmt(ratio(ceilings.map((x) => x.sqlTps)), 3), target: '', met: null },
          { figure: 'ceiling: GET one placement (key, limit, 1 read)', project: fmt(median(ceilings.map((x) => x.readPerSec)), 0), reference: ref, ratio: fmt(ratio(ceilings.map((x) => x.readPerSec)), 3), target: '', met: null },
          { figure: 'ceiling: bare Fastify + pg, 1 read a request', project: fmt(median(ceilings.map((x) => x.floorPerSec)), 0), reference: ref, ratio: fmt(ratio(ceilings.map((x) => x.floorPerSec)), 3), target: '', met: null },
        ]
      : []),
    { figure: 'figures equal a rebuild from scratch', project: `${exact.brands} brands, ${exact.regions} regions, ${exact.cells} cells, ${exact.regionCells} region cells`, reference: 'rebuildAll()', ratio: '', target: 'equal', met: exact.ok },
  ];
  console.log(`\n=== Summary (${ROUNDS} rounds, medians; ratios per round to pgbench -N of the same round: ${refs.map((x) => fmt(x.tps, 0)).join(', ')} tps; load average ${load0.map((l) => fmt(l, 1)).join('/')} at start, ${loadEnd.map((l) => fmt(l, 1)).join('/')} at end; ${cpus().length} cores) ===`);
  printTable(rows);
  const file = writeResult('summary', {
    config: { BRANDS, PER_BRAND, CONCURRENCY, ROUNDS, ROUND_SECONDS, PGBENCH_SECONDS, PGBENCH_CLIENTS, PGBENCH_SCALE, AT_REST, PROCESSES, apiEnv: API_ENV },
    machine: { cores: cpus().length, memKb: totalmem() / 1024, loadStart: load0, loadEnd },
    refs,
    confirms: confirms.map((c) => ({ cpuMs: c.cpu, perSec: c.perSec, latency: latencySummary(c.load.latenciesMs), staleness: latencySummary(c.stalenessMs), drainedMs: c.drainedMs, pipeline: c.pipeline, statuses: c.load.statuses })),
    salaries: salaries.map((s) => ({ perSec: s.perSec, latency: latencySummary(s.load.latenciesMs), statuses: s.load.statuses })),
    registers: registers.map((g) => ({ perSec: g.perSec, latency: latencySummary(g.load.latenciesMs), statuses: g.load.statuses })),
    ceilings,
    atRestMs: restMs,
    rss: { roles, hwmKb: hwm, roundPeaksKb: rssPeaks },
    exactness: exact,
    table: rows,
  });
  console.log(`results: ${file}`);
  if (!exact.ok) {
    console.error('\n!!! THE FIGURES DO NOT EQUAL A REBUILD FROM SCRATCH !!!');
    for (const d of exact.differences) console.error(`  ${d}`);
    process.exitCode = 2;
  }
}

/** Waits until the outbox, the domain-events and statistics queues are empty for 1.5 s (calling `meanwhile` on each look). */
async function waitForQuiet(worker: ApiProcess, meanwhile?: () => void): Promise<void> {
  const deadline = Date.now() + 60_000;
  let quietSince = 0;
  while (Date.now() < deadline) {
    meanwhile?.();
    const text = await (await fetch(worker.metricsUrl)).text();
    const busy = (metric(text, 'outbox_backlog_events') || 0) + (metric(text, 'queue_jobs', 'queue="domain-events",state="waiting"') || 0) + (metric(text, 'queue_jobs', 'queue="statistics",state="waiting"') || 0) + (metric(text, 'queue_jobs', 'queue="statistics",state="active"') || 0);
    if (busy === 0) {
      quietSince ||= Date.now();
      if (Date.now() - quietSince > 1500) return;
    } else quietSince = 0;
    await sleep(200);
  }
  log('WARNING: the service was not quiet after 60 s');
}

main()
  .catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanup();
    log('cleaned up (databases dropped, Redis prefix cleared)');
  });
