/**
 * Placement confirmations through HTTP, concurrent, against `pgbench -N` on the same machine; statistics freshness
 * under that load; the API process's memory and CPU. See bench/README.md.
 *
 *   npm run build && npx ts-node --transpile-only -P tsconfig.json bench/confirmations.ts
 *
 * Rounds are interleaved (pgbench -N, then the app, then pgbench with the app's own SQL) so that load from other
 * users of the machine hits all of them alike; the figures reported are medians over the rounds.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiProcess, clearRedisPrefix, startApi } from './lib/api';
import { pgbenchScript, prepareConfirmSqlDatabase, resetConfirmSqlDatabase } from './lib/confirm-sql';
import { insertProposedPlacements } from './lib/confirm-data';
import { oneStatement, oneStatementThenNotify } from './lib/confirm-variants';
import { printProfileSummary, summarizeProfile } from './lib/cpu-profile';
import {
  backendsCpuDeltaMs,
  benchDatabaseName,
  createMigratedDatabase,
  createEmptyDatabase,
  dropDatabase,
  pgbenchBinary,
  postgresBackendsCpuMs,
  psqlArgs,
  run,
  withClient,
} from './lib/db';
import { createBrand, createParties, Parties } from './lib/fixtures';
import { metric, pgbench, PgbenchRun } from './lib/pgbench';
import { insertBrandPopulation } from './lib/stats-data';
import { HttpClient, runClosedLoop } from './lib/http';
import { BENCH_DIR, envFlag, envInt, fmt, latencySummary, log, mb, median, nowMs, onInterrupt, sleep, writeResult } from './lib/util';

const N = envInt('BENCH_CONFIRMATIONS', 15_000);
const ROUND_SECONDS = envInt('BENCH_ROUND_SECONDS', 20);
const CONCURRENCY = envInt('BENCH_CONCURRENCY', 48);
const ROUNDS = envInt('BENCH_ROUNDS', 3);
const WARMUP = envInt('BENCH_WARMUP', 2_000);
const PGBENCH_SECONDS = envInt('BENCH_PGBENCH_SECONDS', 15);
const PGBENCH_CLIENTS = envInt('BENCH_PGBENCH_CLIENTS', 16);
const PGBENCH_SCALE = envInt('BENCH_PGBENCH_SCALE', 10);
const APP_SQL_REFERENCE = envFlag('BENCH_APP_SQL', true);
const VARIANT_SECONDS = envInt('BENCH_VARIANT_SECONDS', 10);
/** Proposed placements prepared for the pgbench scripts; each run takes them in order, then they are reset. */
const SQL_ROWS = envInt('BENCH_SQL_ROWS', 60_000);
const PROFILE = envFlag('BENCH_PROFILE', true);
/** Confirmed placements a round's brand already has before the round (a big brand: its recompute costs more). */
const EXISTING = envInt('BENCH_BRAND_EXISTING_PLACEMENTS', 0);
const API_ENV: Record<string, string> = process.env.BENCH_API_ENV ? JSON.parse(process.env.BENCH_API_ENV) : {};
/** ROLE=api: no relay or workers in the process, so the statistics never catch up; freshness is not measured. */
const FRESHNESS = API_ENV.ROLE !== 'api';
const SAMPLE_EVERY_MS = 100;
const DRAIN_TIMEOUT_MS = 60_000;

const appDb = benchDatabaseName('confirm');
const pgbenchDb = benchDatabaseName('pgbench');
const appSqlDb = benchDatabaseName('confirm_sql');
const redisPrefix = `bench-confirm-${process.pid}`;
const bootstrapKey = `lbk_bench_${randomBytes(18).toString('hex')}`;

let api: ApiProcess | undefined;
async function cleanup(): Promise<void> {
  await api?.stop().catch(() => undefined);
  for (const db of [appDb, pgbenchDb, appSqlDb]) await dropDatabase(db).catch((e) => console.error(`drop ${db}: ${(e as Error).message}`));
  await clearRedisPrefix(redisPrefix).catch(() => undefined);
}

// ------------------------------------------------------------------------------------------- app rounds

interface Round {
  brandId: string;
  placementIds: string[];
  /** Confirmed placements the brand had before the round. */
  existing: number;
}

async function prepareRound(http: HttpClient, parties: Parties, url: string, name: string, n: number, existing = 0): Promise<Round> {
  const brandId = await createBrand(http, parties, name, true);
  const placementIds = await withClient(url, async (c) => {
    if (existing > 0) await insertBrandPopulation(c, brandId, parties.hrFirm.id, existing, Math.round(existing * 0.6));
    const ids = await insertProposedPlacements(c, brandId, parties.employer.id, parties.hrFirm.id, n);
    await c.query('ANALYZE trainees');
    await c.query('ANALYZE placements');
    return ids;
  });
  // Figures for the brand before the round starts (the first read of a brand without them computes them inline).
  // That read can answer 500 when it races the worker's first recompute of the brand (REPEATABLE READ + INSERT …
  // ON CONFLICT DO UPDATE: "could not serialize access due to concurrent update"), so it is tried a few times.
  for (let attempt = 1; ; attempt++) {
    const res = await http.request('GET', `/v1/brands/${brandId}/statistics`, { key: parties.hrFirm.key });
    if (res.status === 200) break;
    if (attempt >= 5) throw new Error(`GET statistics of the round's brand: ${res.status} ${res.text.slice(0, 300)}`);
    log(`  GET statistics answered ${res.status} (attempt ${attempt}); retrying`);
    await sleep(500);
  }
  return { brandId, placementIds, existing };
}

/** The service's own gauges (GET /metrics), to see where events wait: outbox, domain-events queue, statistics queue. */
interface Pipeline {
  outboxBacklogMax: number;
  outboxAgeMaxS: number;
  domainEventsWaitingMax: number;
  statisticsWaitingMax: number;
  statisticsLagMaxS: number;
  /** Recomputations of brand figures during the round, and their mean duration. */
  recomputes: number;
  recomputeMeanMs: number;
}


interface FreshnessSample {
  sentMs: number;
  active: number;
}

interface AppRoundResult {
  confirmationsPerSec: number;
  latency: ReturnType<typeof latencySummary>;
  ok: number;
  statuses: Record<number, number>;
  errors: number;
  firstFailure?: string;
  elapsedMs: number;
  stalenessP50Ms: number;
  stalenessP99Ms: number;
  stalenessMaxMs: number;
  samples: number;
  drainedMs: number;
  pipeline: Pipeline;
  rssPeakKb: number;
  apiCpuMsPerConfirmation: number;
  /** Share of the API's CPU spent in the kernel (stime). */
  apiKernelShare: number;
  /** Including the worker's deferred work until the statistics showed every confirmation. */
  apiCpuMsPerConfirmationThroughDrain: number;
  pgBackendCpuMsPerConfirmation: number;
  loadGeneratorCpuMsPerConfirmation: number;
}

/** Confirms every placement of the round with CONCURRENCY requests in flight, sampling the brand's statistics meanwhile. */
async function appRound(apiProc: ApiProcess, parties: Parties, round: Round, concurrency: number, maxSeconds = Infinity): Promise<AppRoundResult> {
  const load = new HttpClient(apiProc.baseUrl, concurrency);
  const sampler = new HttpClient(apiProc.baseUrl, 1);
  const samples: FreshnessSample[] = [];
  let loading = true;
  apiProc.takeRssPeakKb();
  const apiCpu0 = apiProc.cpuMs();
  const apiSys0 = apiProc.sysCpuMs();
  const pg0 = postgresBackendsCpuMs(appDb);
  const self0 = process.cpuUsage();

  const t0 = nowMs();
  const sampling = (async () => {
    while (loading && FRESHNESS) {
      const sentMs = nowMs() - t0;
      const res = await sampler.request<{ activePlacementCount: number }>('GET', `/v1/brands/${round.brandId}/statistics`, { key: parties.hrFirm.key });
      // The brand's confirmed placements from before the round are not this round's.
      if (res.status === 200) samples.push({ sentMs, active: res.body.activePlacementCount - round.existing });
      await sleep(SAMPLE_EVERY_MS);
    }
  })();
  const pipeline: Pipeline = { outboxBacklogMax: 0, outboxAgeMaxS: 0, domainEventsWaitingMax: 0, statisticsWaitingMax: 0, statisticsLagMaxS: 0, recomputes: 0, recomputeMeanMs: NaN };
  const recomputeTotals = async (): Promise<[number, number]> => {
    const text = await (await fetch(apiProc.metricsUrl)).text();
    return [metric(text, 'statistics_recompute_seconds_count'), metric(text, 'statistics_recompute_seconds_sum')];
  };
  const [count0, sum0] = FRESHNESS ? await recomputeTotals() : [0, 0];
  const scraping = (async () => {
    while (loading && FRESHNESS) {
      const text = await (await fetch(apiProc.metricsUrl)).text();
      const max = (k: keyof Pipeline, v: number): void => {
        if (Number.isFinite(v)) pipeline[k] = Math.max(pipeline[k], v);
      };
      max('outboxBacklogMax', metric(text, 'outbox_backlog_events'));
      max('outboxAgeMaxS', metric(text, 'outbox_oldest_undelivered_age_seconds'));
      max('domainEventsWaitingMax', metric(text, 'queue_jobs', 'queue="domain-events",state="waiting"'));
      max('statisticsWaitingMax', metric(text, 'queue_jobs', 'queue="statistics",state="waiting"'));
      max('statisticsLagMaxS', metric(text, 'statistics_lag_seconds'));
      await sleep(500);
    }
  })();
  const result = await runClosedLoop(
    load,
    round.placementIds,
    concurrency,
    (id) => ({ method: 'POST', path: `/v1/placements/${id}/confirm`, key: parties.employer.key, json: {} }),
    200,
    maxSeconds * 1000,
  );
  const lastAnswerMs = result.started - t0 + result.successTimesMs.reduce((a, b) => Math.max(a, b), 0);
  const apiCpu1 = apiProc.cpuMs();
  const apiSys1 = apiProc.sysCpuMs();
  const pg1 = postgresBackendsCpuMs(appDb);
  const self1 = process.cpuUsage(self0);
  loading = false;
  await sampling;
  await scraping;

  // Drain: poll until the figures show every confirmation.
  const ok = result.successTimesMs.length;
  let drainedMs = NaN;
  for (; FRESHNESS; ) {
    const res = await sampler.request<{ activePlacementCount: number }>('GET', `/v1/brands/${round.brandId}/statistics`, { key: parties.hrFirm.key });
    const at = nowMs() - t0;
    if (res.status === 200 && res.body.activePlacementCount - round.existing >= ok) {
      drainedMs = at - lastAnswerMs;
      break;
    }
    if (at - lastAnswerMs > DRAIN_TIMEOUT_MS) break;
    await sleep(20);
  }
  const apiCpuDrained = apiProc.cpuMs();
  if (FRESHNESS) {
    const [count1, sum1] = await recomputeTotals();
    pipeline.recomputes = count1 - count0;
    pipeline.recomputeMeanMs = ((sum1 - sum0) / Math.max(1, count1 - count0)) * 1000;
  }
  const rssPeakKb = apiProc.takeRssPeakKb();
  load.close();
  sampler.close();

  // Staleness of each sample taken under load: how long the oldest confirmation it does not show had been answered.
  const answered = result.successTimesMs.map((t) => t + result.started - t0).sort((a, b) => a - b);
  const staleness = samples
    .filter((s) => s.sentMs <= lastAnswerMs)
    .map((s) => {
      const visible = s.active;
      if (visible >= answered.length) return 0;
      const oldestInvisible = answered[visible];
      return Math.max(0, s.sentMs - oldestInvisible);
    });
  const st = latencySummary(staleness.length ? staleness : [0]);
  const seconds = result.elapsedMs / 1000;
  return {
    confirmationsPerSec: ok / seconds,
    latency: latencySummary(result.latenciesMs),
    ok,
    statuses: result.statuses,
    errors: result.errors,
    firstFailure: result.firstFailure,
    elapsedMs: result.elapsedMs,
    stalenessP50Ms: st.p50,
    stalenessP99Ms: st.p99,
    stalenessMaxMs: st.max,
    samples: staleness.length,
    drainedMs,
    pipeline,
    rssPeakKb,
    apiCpuMsPerConfirmation: (apiCpu1 - apiCpu0) / ok,
    apiKernelShare: (apiSys1 - apiSys0) / Math.max(1, apiCpu1 - apiCpu0),
    apiCpuMsPerConfirmationThroughDrain: (apiCpuDrained - apiCpu0) / ok,
    pgBackendCpuMsPerConfirmation: backendsCpuDeltaMs(pg0, pg1) / ok,
    loadGeneratorCpuMsPerConfirmation: (self1.user + self1.system) / 1000 / ok,
  };
}

// ------------------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  onInterrupt(cleanup);
  log(`confirmations bench: ${ROUNDS} rounds of ${ROUND_SECONDS} s (at most ${N} confirmations), concurrency ${CONCURRENCY}; pgbench -N -c ${PGBENCH_CLIENTS} -j 2 -T ${PGBENCH_SECONDS} (scale ${PGBENCH_SCALE})`);

  log(`creating ${appDb} (migrate) and ${pgbenchDb} (pgbench -i -s ${PGBENCH_SCALE})`);
  const appUrl = await createMigratedDatabase(appDb);
  const pgbenchUrl = await createEmptyDatabase(pgbenchDb);
  const conn = psqlArgs(pgbenchUrl);
  const init = await run(pgbenchBinary(), [...conn.slice(0, 6), '-i', '-q', '-s', String(PGBENCH_SCALE), conn[7]]);
  if (init.code !== 0) throw new Error(`pgbench -i failed: ${init.stderr}`);

  // The app's own SQL as pgbench scripts, on a database of its own that no API process serves: the statements are
  // captured from PlacementsService.confirm itself, for the hot path ({}: one statement) and the general path
  // (confirmation with terms: the transaction), plus shapes for comparison (confirm-variants.ts).
  const scripts: Array<{ name: string; file: string; seconds: number }> = [];
  let appSqlUrl = '';
  if (APP_SQL_REFERENCE) {
    appSqlUrl = await createMigratedDatabase(appSqlDb);
    const captured = await prepareConfirmSqlDatabase(appSqlUrl, SQL_ROWS);
    const dir = join(BENCH_DIR, 'results');
    mkdirSync(dir, { recursive: true });
    const variants: Array<[string, string, string, number]> = [
      [`the app's confirmation as proposed (captured: ${captured.hot.length} statement(s))`, 'confirm-captured.pgbench.sql', pgbenchScript(captured.hot), PGBENCH_SECONDS],
      [`the app's general path, confirmation with terms (captured: ${captured.general.length} statements)`, 'confirm-general-captured.pgbench.sql', pgbenchScript(captured.general), VARIANT_SECONDS],
      ['1 statement with pg_notify inside (the NOTIFY placement before d2bab9b)', 'confirm-1-statement-notify-inside.pgbench.sql', oneStatement(true), VARIANT_SECONDS],
      ['1 statement, then pg_notify in its own transaction (every time, no coalescing)', 'confirm-1-statement-notify-after.pgbench.sql', oneStatementThenNotify(), VARIANT_SECONDS],
    ];
    for (const [name, file, text, seconds] of variants) {
      writeFileSync(join(dir, file), text);
      if (seconds > 0) scripts.push({ name, file: join(dir, file), seconds });
    }
    log(`captured the confirmation (${captured.hot.length} statement(s) as proposed, ${captured.general.length} with terms); ${variants.length} pgbench scripts in bench/results/`);
  }

  log('starting the API (ROLE=both)');
  api = await startApi({ databaseUrl: appUrl, redisPrefix, bootstrapKey, env: API_ENV, logFile: process.env.BENCH_API_LOG });
  const parties = await createParties(api.http, bootstrapKey);
  const idleRssKb = api.memory().rssKb;
  log(`API idle RSS after start-up: ${mb(idleRssKb)}`);

  log(`preparing ${ROUNDS} brands × ${N} proposed placements${EXISTING ? ` (each brand with ${EXISTING} confirmed placements already)` : ''} (+ warm-up${PROFILE ? ' and profile' : ''}) with SQL`);
  const warm = await prepareRound(api.http, parties, appUrl, '预热品牌', WARMUP);
  const rounds: Round[] = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push(await prepareRound(api.http, parties, appUrl, `徐汇AI训练师${r + 1}`, N, EXISTING));
  const profileRound = PROFILE ? await prepareRound(api.http, parties, appUrl, '剖析品牌', Math.min(N, 10_000)) : undefined;
  await withClient(appUrl, (c) => c.query('VACUUM ANALYZE'));

  log(`warm-up: ${WARMUP} confirmations`);
  const w = await appRound(api, parties, warm, CONCURRENCY);
  log(`  warm-up ${fmt(w.confirmationsPerSec, 0)}/s, p99 ${fmt(w.latency.p99)} ms`);
  await sleep(2000);

  const pgbenchRuns: PgbenchRun[] = [];
  const appRuns: AppRoundResult[] = [];
  const scriptRuns: PgbenchRun[][] = scripts.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    log(`round ${r + 1}/${ROUNDS}: pgbench -N`);
    const p = await pgbench(pgbenchDb, ['-N', '-c', String(PGBENCH_CLIENTS), '-j', '2', '-T', String(PGBENCH_SECONDS)]);
    pgbenchRuns.push(p);
    log(`  pgbench -N: ${fmt(p.tps, 0)} tps, avg ${fmt(p.latencyAvgMs, 2)} ms`);
    await sleep(1000);

    log(`round ${r + 1}/${ROUNDS}: confirmations through HTTP (${ROUND_SECONDS} s, at most ${N})`);
    const a = await appRound(api, parties, rounds[r], CONCURRENCY, ROUND_SECONDS);
    appRuns.push(a);
    log(
      `  app: ${fmt(a.confirmationsPerSec, 0)} confirmations/s (${a.ok} ok, statuses ${JSON.stringify(a.statuses)}${a.errors ? `, ${a.errors} errors` : ''}), ` +
        `p50 ${fmt(a.latency.p50)} p95 ${fmt(a.latency.p95)} p99 ${fmt(a.latency.p99)} ms; staleness p99 ${fmt(a.stalenessP99Ms, 0)} ms; drained ${fmt(a.drainedMs, 0)} ms after the last answer; RSS peak ${mb(a.rssPeakKb)}`,
    );
    if (a.firstFailure) log(`  first failure: ${a.firstFailure}`);
    if (FRESHNESS) {
      const pl = a.pipeline;
      log(
        `  event pipeline under load (GET /metrics every 0.5 s, maxima): outbox backlog ${pl.outboxBacklogMax} (oldest ${fmt(pl.outboxAgeMaxS, 2)} s), domain-events waiting ${pl.domainEventsWaitingMax}, ` +
          `statistics waiting ${pl.statisticsWaitingMax}, statistics lag ${fmt(pl.statisticsLagMaxS, 2)} s; ${pl.recomputes} brand recomputations, mean ${fmt(pl.recomputeMeanMs, 0)} ms`,
      );
    }
    log(`  CPU per confirmation: API ${fmt(a.apiCpuMsPerConfirmation, 2)} ms, Postgres backends ${fmt(a.pgBackendCpuMsPerConfirmation, 2)} ms, load generator ${fmt(a.loadGeneratorCpuMsPerConfirmation, 2)} ms`);
    await sleep(1000);

    for (const [i, script] of scripts.entries()) {
      const s = await pgbench(appSqlDb, ['-n', '-M', 'extended', '-f', script.file, '-c', String(PGBENCH_CLIENTS), '-j', '2', '-T', String(script.seconds)]);
      scriptRuns[i].push(s);
      await resetConfirmSqlDatabase(appSqlUrl);
      log(`  pgbench, confirmation SQL ${script.name}: ${fmt(s.tps, 0)} tps, avg ${fmt(s.latencyAvgMs, 2)} ms${s.failed ? `, ${s.failed} failed` : ''}`);
      await sleep(500);
    }
  }

  let profileSummary: ReturnType<typeof summarizeProfile> | undefined;
  if (profileRound) {
    log(`profile round: ${profileRound.placementIds.length} confirmations with the V8 CPU profiler on (not counted)`);
    await api.startProfile();
    await appRound(api, parties, profileRound, CONCURRENCY, ROUND_SECONDS);
    const file = join(BENCH_DIR, 'results', `confirmations-${process.pid}.cpuprofile`);
    await api.stopProfile(file);
    profileSummary = summarizeProfile(file, [
      '/node_modules/typeorm/',
      '/node_modules/pg/',
      '/node_modules/pg-protocol/',
      '/node_modules/bullmq/',
      '/node_modules/ioredis/',
      '/node_modules/pino/',
      '/node_modules/fastify/',
      '/node_modules/@nestjs/',
      '/node_modules/class-validator/',
      '/node_modules/class-transformer/',
      '/node_modules/prom-client/',
      '/dist/src/events/',
      '/dist/src/statistics/',
      '/dist/src/placements/',
      '/dist/src/common/',
    ]);
    log(`profile written to ${file}`);
  }

  const mem = api.memory();
  await api.stop();
  api = undefined;

  // ----------------------------------------------------------------------------------------------- report
  const pgTps = median(pgbenchRuns.map((p) => p.tps));
  const appTps = median(appRuns.map((a) => a.confirmationsPerSec));
  const ratios = appRuns.map((a, i) => a.confirmationsPerSec / pgbenchRuns[i].tps);
  const p99 = median(appRuns.map((a) => a.latency.p99));
  console.log('\n=== Placement confirmations through HTTP ===');
  console.log(
    `rounds: ${ROUNDS} × ${ROUND_SECONDS} s (at most ${N} confirmations each${EXISTING ? `, brands with ${EXISTING} confirmed placements already` : ''}), concurrency ${CONCURRENCY}, API environment ${process.env.BENCH_API_ENV ?? 'default'}; medians over rounds`,
  );
  console.log(`pgbench -N (-c ${PGBENCH_CLIENTS} -j 2 -T ${PGBENCH_SECONDS}, scale ${PGBENCH_SCALE}): ${pgbenchRuns.map((p) => fmt(p.tps, 0)).join(', ')} tps → median ${fmt(pgTps, 0)}`);
  console.log(`app confirmations/s: ${appRuns.map((a) => fmt(a.confirmationsPerSec, 0)).join(', ')} → median ${fmt(appTps, 0)}`);
  console.log(`ratio per round (app ÷ pgbench of the same round): ${ratios.map((r) => fmt(r, 3)).join(', ')} → median ${fmt(median(ratios), 3)}   target ≥ 0.5: ${median(ratios) >= 0.5 ? 'MET' : 'MISSED'}`);
  console.log(`latency ms p50/p95/p99 per round: ${appRuns.map((a) => `${fmt(a.latency.p50)}/${fmt(a.latency.p95)}/${fmt(a.latency.p99)}`).join(', ')}; median p99 ${fmt(p99)}   target < 50: ${p99 < 50 ? 'MET' : 'MISSED'}`);
  if (scripts.length) {
    console.log(`pgbench (-M extended -c ${PGBENCH_CLIENTS} -j 2) running the confirmation's SQL, no Node in the path (ratios to pgbench -N of the same round):`);
    for (const [i, script] of scripts.entries()) {
      const runs = scriptRuns[i];
      const tps = median(runs.map((r) => r.tps));
      const rs = median(runs.map((r, k) => r.tps / pgbenchRuns[k].tps));
      console.log(
        `  ${script.name}: ${runs.map((r) => fmt(r.tps, 0)).join(', ')} tps → median ${fmt(tps, 0)} (${fmt(rs, 3)} × pgbench -N); ` +
          `CPU/tx client ${fmt(median(runs.map((r) => r.clientCpuMs / r.transactions)), 3)} ms, backends ${fmt(median(runs.map((r) => r.backendCpuMs / r.transactions)), 3)} ms; avg latency ${fmt(median(runs.map((r) => r.latencyAvgMs)), 2)} ms`,
      );
    }
  }
  console.log(`CPU per pgbench -N transaction: client ${fmt(median(pgbenchRuns.map((p) => p.clientCpuMs / p.transactions)), 3)} ms, backends ${fmt(median(pgbenchRuns.map((p) => p.backendCpuMs / p.transactions)), 3)} ms`);
  console.log(
    `CPU per confirmation: API process ${fmt(median(appRuns.map((a) => a.apiCpuMsPerConfirmation)), 3)} ms under load (${fmt(median(appRuns.map((a) => a.apiCpuMsPerConfirmationThroughDrain)), 3)} ms until drained; ${fmt(100 * median(appRuns.map((a) => a.apiKernelShare)), 0)} % of it in the kernel), Postgres backends ${fmt(median(appRuns.map((a) => a.pgBackendCpuMsPerConfirmation)), 3)} ms, load generator ${fmt(median(appRuns.map((a) => a.loadGeneratorCpuMsPerConfirmation)), 3)} ms`,
  );
  console.log('\n=== Statistics freshness under that load ===');
  console.log(`staleness of GET /v1/brands/:id/statistics sampled every ${SAMPLE_EVERY_MS} ms under load (age of the oldest answered confirmation not yet counted), per round p50/p99/max ms: ${appRuns.map((a) => `${fmt(a.stalenessP50Ms, 0)}/${fmt(a.stalenessP99Ms, 0)}/${fmt(a.stalenessMaxMs, 0)}`).join(', ')}`);
  const stP99 = median(appRuns.map((a) => a.stalenessP99Ms));
  console.log(`  median p99 ${fmt(stP99, 0)} ms   target < 1000: ${stP99 < 1000 ? 'MET' : 'MISSED'}`);
  const drained = median(appRuns.map((a) => a.drainedMs));
  console.log(`drained (last confirmation answered → activePlacementCount = confirmed count): ${appRuns.map((a) => fmt(a.drainedMs, 0)).join(', ')} ms → median ${fmt(drained, 0)} ms   target < 2000: ${drained < 2000 ? 'MET' : 'MISSED'}`);
  console.log('\n=== API process memory ===');
  console.log(`RSS peak during each round: ${appRuns.map((a) => mb(a.rssPeakKb)).join(', ')}; VmHWM over the whole run (incl. profile round): ${mb(mem.hwmKb)}   target < 300 MB: ${mem.hwmKb < 300 * 1024 ? 'MET' : 'MISSED'}`);
  if (profileSummary) {
    console.log('\n=== Where the API process spends its CPU (profile round) ===');
    printProfileSummary(profileSummary);
  }
  const file = writeResult('confirmations', { config: { N, EXISTING, ROUND_SECONDS, CONCURRENCY, ROUNDS, PGBENCH_SECONDS, PGBENCH_CLIENTS, PGBENCH_SCALE, VARIANT_SECONDS, apiEnv: process.env.BENCH_API_ENV ?? null }, pgbenchRuns, appRuns, scriptRuns: scripts.map((sc, i) => ({ ...sc, runs: scriptRuns[i] })), memory: { ...mem, idleRssKb }, profile: profileSummary });
  console.log(`\nresults: ${file}`);
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
