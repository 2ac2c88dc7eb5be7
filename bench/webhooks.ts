/**
 * Webhook deliveries under the confirmation load: 10 subscriptions to `placement.confirmed` on a local receiver.
 * See bench/README.md.
 *
 *   npm run build && npx ts-node --transpile-only -P tsconfig.json bench/webhooks.ts
 *
 * The reference is the same API in the same run with its subscriptions disabled: rounds alternate (without, with,
 * with, without, …) so that load from other users of the machine hits both alike; figures are medians.
 * - ratio: confirmations/s with the subscriptions on ÷ without, per pair of rounds (target ≥ 0.9);
 * - drained: last confirmation answered → every confirmed placement received by all 10 subscriptions (< 2 s);
 * - at rest: single confirmations, one at a time; latency from the event's time (written, before its commit) to
 *   its arrival at the receiver, over every delivery (p99 < 1 s).
 */
import { ChildProcess, fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ApiProcess, clearRedisPrefix, MAIN_JS, REDIS_URL, startApi } from './lib/api';
import { insertProposedPlacements } from './lib/confirm-data';
import { benchDatabaseName, createMigratedDatabase, databaseUrl, dropDatabase, postgresBackendsCpuMs, backendsCpuDeltaMs, withClient } from './lib/db';
import { createBrand, createParties, Parties } from './lib/fixtures';
import { HttpClient, runClosedLoop } from './lib/http';
import { BENCH_DIR, envFlag, envInt, fmt, latencySummary, log, median, nowMs, onInterrupt, sleep, writeResult } from './lib/util';

const N = envInt('BENCH_CONFIRMATIONS', 15_000);
const ROUND_SECONDS = envInt('BENCH_ROUND_SECONDS', 15);
const CONCURRENCY = envInt('BENCH_CONCURRENCY', 48);
const ROUNDS = envInt('BENCH_ROUNDS', 3);
const WARMUP = envInt('BENCH_WARMUP', 2_000);
const SUBSCRIPTIONS = envInt('BENCH_SUBSCRIPTIONS', 10);
const AT_REST = envInt('BENCH_AT_REST', 200);
const API_ENV: Record<string, string> = process.env.BENCH_API_ENV ? JSON.parse(process.env.BENCH_API_ENV) : {};
/**
 * Run the workers (relay, fan-out, deliveries, statistics) in a process of their own (ROLE=worker) beside ROLE=api:
 * the layout `npm run up` starts, so the default measures what users run.
 */
const SEPARATE_WORKER = envFlag('BENCH_SEPARATE_WORKER', true);
const DRAIN_TIMEOUT_MS = 120_000;

const appDb = benchDatabaseName('webhooks');
const databaseUrlOf = (): string => databaseUrl(appDb);
const redisPrefix = `bench-webhooks-${process.pid}`;
const bootstrapKey = `lbk_bench_${randomBytes(18).toString('hex')}`;

let api: ApiProcess | undefined;
let receiver: ChildProcess | undefined;
let worker: ChildProcess | undefined;
let workerCpuMs: () => number = () => 0;
async function cleanup(): Promise<void> {
  await api?.stop().catch(() => undefined);
  worker?.kill('SIGTERM');
  receiver?.kill();
  await dropDatabase(appDb).catch((e) => console.error(`drop ${appDb}: ${(e as Error).message}`));
  await clearRedisPrefix(redisPrefix).catch(() => undefined);
}

// ---------------------------------------------------------------------------------------------- receiver

interface ReceiverStats {
  requests: number;
  perPath: Record<string, number>;
  lastArrivalMs: number;
  latency: { count: number; p50: number; p95: number; p99: number; max: number };
}

async function startReceiver(): Promise<{ port: number; ask: <T>(type: string, extra?: Record<string, unknown>) => Promise<T>; cpuMs: () => number }> {
  const child = fork(join(BENCH_DIR, 'lib', 'webhook-receiver-child.cjs'), [], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  receiver = child;
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const m = /listening (\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`receiver exited (${code})`)));
  });
  const ask = <T>(type: string, extra: Record<string, unknown> = {}): Promise<T> =>
    new Promise((resolve) => {
      const onMessage = (m: { type: string }): void => {
        if (m.type !== type) return;
        child.off('message', onMessage);
        resolve(m as T);
      };
      child.on('message', onMessage);
      child.send({ type, ...extra });
    });
  return { port, ask, cpuMs: () => procCpuMs(child.pid!) };
}

/** `node dist/src/main.js` with ROLE=worker on the bench's database and Redis prefix; resolves once it runs. */
async function startWorker(databaseUrl: string): Promise<{ cpuMs: () => number }> {
  const child = spawn(process.execPath, [MAIN_JS], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ROLE: 'worker',
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      REDIS_PREFIX: redisPrefix,
      RUN_MIGRATIONS: 'false',
      LOG_LEVEL: 'info',
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      ...API_ENV,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  worker = child;
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('worker started')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code})`)));
  });
  child.stdout!.resume();
  return { cpuMs: () => procCpuMs(child.pid!) };
}

function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

// ------------------------------------------------------------------------------------------------ rounds

interface Round {
  brandId: string;
  placementIds: string[];
}

async function prepareRound(http: HttpClient, parties: Parties, url: string, name: string, n: number): Promise<Round> {
  const brandId = await createBrand(http, parties, name, true);
  const placementIds = await withClient(url, async (c) => {
    const ids = await insertProposedPlacements(c, brandId, parties.employer.id, parties.hrFirm.id, n);
    await c.query('ANALYZE trainees');
    await c.query('ANALYZE placements');
    return ids;
  });
  return { brandId, placementIds };
}

interface RoundResult {
  subscriptions: boolean;
  confirmationsPerSec: number;
  ok: number;
  latency: ReturnType<typeof latencySummary>;
  statuses: Record<number, number>;
  /** With subscriptions: last answer → the last of ok × SUBSCRIPTIONS deliveries received. */
  drainedMs: number;
  deliveries: number;
  deliveryLatency?: ReceiverStats['latency'];
  apiCpuMsPerConfirmation: number;
  pgCpuMsPerConfirmation: number;
  receiverCpuMsPerConfirmation: number;
  /** Deliveries by attempts made. */
  attempts: Array<{ attempts: number; n: number; errors: string[] | null }>;
  /** Maxima of the service's backlog gauges while the round ran (until it drained, with subscriptions). */
  pipeline: Record<string, number>;
}

const PIPELINE_GAUGES: Record<string, string> = {
  outboxBacklog: 'outbox_backlog_events',
  domainEventsWaiting: 'queue_jobs{queue="domain-events",state="waiting"}',
  webhookJobsWaiting: 'queue_jobs{queue="webhooks",state="waiting"}',
  webhookJobsActive: 'queue_jobs{queue="webhooks",state="active"}',
  deliveriesDue: 'webhook_deliveries_due',
};

async function setSubscriptions(http: HttpClient, subs: Array<{ id: string; key: string }>, status: 'active' | 'disabled'): Promise<void> {
  for (const s of subs) await http.expect(200, 'PATCH', `/v1/webhooks/${s.id}`, { key: s.key, json: { status } });
}

async function confirmRound(
  apiProc: ApiProcess,
  parties: Parties,
  round: Round,
  withSubscriptions: boolean,
  rx: Awaited<ReturnType<typeof startReceiver>>,
  seconds: number,
): Promise<RoundResult> {
  await rx.ask('reset');
  const load = new HttpClient(apiProc.baseUrl, CONCURRENCY);
  const apiCpu0 = apiProc.cpuMs() + workerCpuMs();
  const pg0 = postgresBackendsCpuMs(appDb);
  const rx0 = rx.cpuMs();
  const epoch0 = Date.now() - nowMs();
  // Where the work waits: the service's own gauges every 0.5 s (maxima over the round).
  const pipeline: Record<string, number> = {};
  let loading = true;
  const sampler = new HttpClient(apiProc.baseUrl, 1);
  const scraping = (async () => {
    while (loading) {
      const text = (await sampler.request<string>('GET', '/metrics')).text;
      for (const [name, line] of Object.entries(PIPELINE_GAUGES)) {
        const v = Number(new RegExp(`^${line.replace(/[{}"=,]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
        if (Number.isFinite(v)) pipeline[name] = Math.max(pipeline[name] ?? 0, v);
      }
      await sleep(500);
    }
  })();
  const result = await runClosedLoop(load, round.placementIds, CONCURRENCY, (id) => ({ method: 'POST', path: `/v1/placements/${id}/confirm`, key: parties.employer.key, json: {} }), 200, seconds * 1000);
  const apiCpu1 = apiProc.cpuMs() + workerCpuMs();
  const pg1 = postgresBackendsCpuMs(appDb);
  const ok = result.successTimesMs.length;
  const lastAnswerEpoch = epoch0 + result.started + Math.max(...result.successTimesMs);
  let drainedMs = NaN;
  let stats: ReceiverStats | undefined;
  if (withSubscriptions) {
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    for (;;) {
      stats = await rx.ask<ReceiverStats>('stats', { brandId: round.brandId });
      const complete = Object.keys(stats.perPath).length === SUBSCRIPTIONS && Object.values(stats.perPath).every((n) => n >= ok);
      if (complete) {
        drainedMs = Math.max(0, stats.lastArrivalMs - lastAnswerEpoch);
        break;
      }
      if (Date.now() > deadline) {
        log(`  not drained after ${DRAIN_TIMEOUT_MS / 1000} s: ${JSON.stringify(stats.perPath)} of ${ok}`);
        break;
      }
      await sleep(20);
    }
  }
  loading = false;
  await scraping;
  sampler.close();
  const rx1 = rx.cpuMs();
  load.close();
  // Deliveries attempted more than once, and the last error each such attempt left: where the extra sends came from.
  const attempts = withSubscriptions
    ? await withClient(databaseUrlOf(), (c) =>
        c.query(`SELECT attempts, count(*)::int AS n, (array_agg(DISTINCT error) FILTER (WHERE error IS NOT NULL))[1:3] AS errors FROM webhook_deliveries WHERE brand_id = $1 GROUP BY 1 ORDER BY 1`, [round.brandId]),
      ).then((r) => r.rows)
    : [];
  return {
    subscriptions: withSubscriptions,
    confirmationsPerSec: ok / (result.elapsedMs / 1000),
    ok,
    latency: latencySummary(result.latenciesMs),
    statuses: result.statuses,
    drainedMs,
    deliveries: stats?.requests ?? 0,
    deliveryLatency: stats?.latency,
    apiCpuMsPerConfirmation: (apiCpu1 - apiCpu0) / ok,
    pgCpuMsPerConfirmation: backendsCpuDeltaMs(pg0, pg1) / ok,
    receiverCpuMsPerConfirmation: (rx1 - rx0) / ok,
    attempts,
    pipeline,
  };
}

/** One confirmation at a time, each after the previous one's deliveries all arrived: latency from the event's time. */
async function atRest(apiProc: ApiProcess, parties: Parties, round: Round, rx: Awaited<ReturnType<typeof startReceiver>>): Promise<ReceiverStats> {
  await rx.ask('reset');
  const http = new HttpClient(apiProc.baseUrl, 1);
  let confirmed = 0;
  for (const id of round.placementIds.slice(0, AT_REST)) {
    await http.expect(200, 'POST', `/v1/placements/${id}/confirm`, { key: parties.employer.key, json: {} });
    confirmed++;
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
      const stats = await rx.ask<ReceiverStats>('stats', { brandId: round.brandId });
      if (Object.values(stats.perPath).filter((n) => n >= confirmed).length === SUBSCRIPTIONS) break;
      await sleep(5);
    }
    await sleep(20);
  }
  http.close();
  return rx.ask<ReceiverStats>('stats', { brandId: round.brandId });
}

/**
 * Waits until the previous phase's work is done (events relayed and handled, deliveries made and sent), so that
 * each phase measures only itself.
 */
async function quiesce(url: string, http: HttpClient): Promise<number> {
  const t0 = Date.now();
  const gauge = (text: string, line: string): number => Number(new RegExp(`^${line.replace(/[{}"=,]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  for (;;) {
    const [row] = await withClient(url, (c) => c.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE status <> 'succeeded'`)).then((r) => r.rows);
    const metrics = (await http.request<string>('GET', '/metrics')).text;
    const busy =
      row.n +
      gauge(metrics, 'outbox_backlog_events') +
      gauge(metrics, 'queue_jobs{queue="domain-events",state="waiting"}') +
      gauge(metrics, 'queue_jobs{queue="domain-events",state="active"}') +
      gauge(metrics, 'queue_jobs{queue="webhooks",state="waiting"}') +
      gauge(metrics, 'queue_jobs{queue="webhooks",state="active"}');
    if (busy === 0) return Date.now() - t0;
    if (Date.now() - t0 > DRAIN_TIMEOUT_MS) throw new Error(`still busy after ${DRAIN_TIMEOUT_MS / 1000} s: ${row.n} deliveries open`);
    await sleep(200);
  }
}

// -------------------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  onInterrupt(cleanup);
  log(`webhooks bench${SEPARATE_WORKER ? ' (API and worker apart)' : ''}: ${SUBSCRIPTIONS} subscriptions; ${ROUNDS} pairs of ${ROUND_SECONDS} s confirmation rounds (without / with), concurrency ${CONCURRENCY}; ${AT_REST} confirmations at rest`);
  const appUrl = await createMigratedDatabase(appDb);
  const rx = await startReceiver();
  log(`receiver on 127.0.0.1:${rx.port}; starting the API (ROLE=${SEPARATE_WORKER ? 'api' : 'both'}, WEBHOOK_ALLOW_PRIVATE_TARGETS=true)`);
  api = await startApi({ databaseUrl: appUrl, redisPrefix, bootstrapKey, env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', LOG_LEVEL: 'warn', ...API_ENV, ...(SEPARATE_WORKER ? { ROLE: 'api' } : {}) }, logFile: process.env.BENCH_API_LOG });
  if (SEPARATE_WORKER) workerCpuMs = (await startWorker(appUrl)).cpuMs;
  if (SEPARATE_WORKER) log('a worker process (ROLE=worker) runs beside the API (ROLE=api)');
  const parties = await createParties(api.http, bootstrapKey);

  // Ten subscriptions spread over the four organizations that read a confirmation: the employer it names, the
  // brand's HR firm, the district bureau and the platform.
  const owners = [parties.employer.key, parties.hrFirm.key, parties.bureau.key, bootstrapKey];
  const subs: Array<{ id: string; key: string }> = [];
  for (let i = 0; i < SUBSCRIPTIONS; i++) {
    const key = owners[i % owners.length];
    const created = await api.http.expect(201, 'POST', '/v1/webhooks', { key, json: { url: `http://127.0.0.1:${rx.port}/hooks/${i}`, eventTypes: ['placement.confirmed'] } });
    subs.push({ id: created.id, key });
  }

  log(`preparing ${2 * ROUNDS} brands × ${N} proposed placements (+ warm-up and at rest) with SQL`);
  const warm = await prepareRound(api.http, parties, appUrl, '预热品牌', WARMUP);
  const rounds: Round[] = [];
  for (let r = 0; r < 2 * ROUNDS; r++) rounds.push(await prepareRound(api.http, parties, appUrl, `徐汇AI训练师${r + 1}`, N));
  const rest = await prepareRound(api.http, parties, appUrl, '静息品牌', AT_REST);
  await withClient(appUrl, (c) => c.query('VACUUM ANALYZE'));

  log(`warm-up: ${WARMUP} confirmations with the subscriptions on`);
  const w = await confirmRound(api, parties, warm, true, rx, ROUND_SECONDS);
  log(`  warm-up ${fmt(w.confirmationsPerSec, 0)}/s, drained ${fmt(w.drainedMs, 0)} ms; backlog gone after ${fmt(await quiesce(appUrl, api.http), 0)} ms more`);

  const results: RoundResult[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // without, with, then with, without: each kind goes first as often.
    const order = r % 2 === 0 ? [false, true] : [true, false];
    for (const [i, on] of order.entries()) {
      await quiesce(appUrl, api.http);
      await setSubscriptions(api.http, subs, on ? 'active' : 'disabled');
      await sleep(1000);
      const res = await confirmRound(api, parties, rounds[2 * r + i], on, rx, ROUND_SECONDS);
      results.push(res);
      log(
        `round ${r + 1} ${on ? 'with   ' : 'without'} subscriptions: ${fmt(res.confirmationsPerSec, 0)} confirmations/s (${res.ok} ok, statuses ${JSON.stringify(res.statuses)}), p99 ${fmt(res.latency.p99)} ms` +
          (on
            ? `; ${res.deliveries} deliveries, drained ${fmt(res.drainedMs, 0)} ms after the last answer; delivery latency under load p50/p99/max ${fmt(res.deliveryLatency!.p50, 0)}/${fmt(res.deliveryLatency!.p99, 0)}/${fmt(res.deliveryLatency!.max, 0)} ms`
            : '') +
          (on ? `; deliveries by attempts ${JSON.stringify(res.attempts)}` : '') +
          `; backlog maxima ${JSON.stringify(res.pipeline)}` +
          `; CPU/confirmation API${SEPARATE_WORKER ? ' + worker' : ''} ${fmt(res.apiCpuMsPerConfirmation, 2)} ms, Postgres ${fmt(res.pgCpuMsPerConfirmation, 2)} ms, receiver ${fmt(res.receiverCpuMsPerConfirmation, 2)} ms`,
      );
    }
  }

  await quiesce(appUrl, api.http);
  await setSubscriptions(api.http, subs, 'active');
  await sleep(1000);
  log(`at rest: ${AT_REST} confirmations one at a time`);
  const restStats = await atRest(api, parties, rest, rx);
  await api.stop();
  api = undefined;
  worker?.kill('SIGTERM');

  const without = results.filter((r) => !r.subscriptions);
  const withSubs = results.filter((r) => r.subscriptions);
  const ratios = without.map((r, i) => withSubs[i].confirmationsPerSec / r.confirmationsPerSec);
  const ratio = median(ratios);
  const drained = median(withSubs.map((r) => r.drainedMs));
  console.log(`\n=== Webhooks under the confirmation load (${SUBSCRIPTIONS} subscriptions to placement.confirmed on a local receiver; ${SEPARATE_WORKER ? 'ROLE=api + ROLE=worker' : 'ROLE=both'}) ===`);
  console.log(`confirmations/s without subscriptions: ${without.map((r) => fmt(r.confirmationsPerSec, 0)).join(', ')} → median ${fmt(median(without.map((r) => r.confirmationsPerSec)), 0)}`);
  console.log(`confirmations/s with subscriptions:    ${withSubs.map((r) => fmt(r.confirmationsPerSec, 0)).join(', ')} → median ${fmt(median(withSubs.map((r) => r.confirmationsPerSec)), 0)}`);
  console.log(`ratio with ÷ without, per pair: ${ratios.map((r) => fmt(r, 3)).join(', ')} → median ${fmt(ratio, 3)}   target ≥ 0.9: ${ratio >= 0.9 ? 'MET' : 'MISSED'}`);
  console.log(`drained (last confirmation answered → every delivery received): ${withSubs.map((r) => fmt(r.drainedMs, 0)).join(', ')} ms → median ${fmt(drained, 0)} ms   target < 2000: ${drained < 2000 ? 'MET' : 'MISSED'}`);
  console.log(`deliveries per round: ${withSubs.map((r) => r.deliveries).join(', ')}; delivery latency under load p99: ${withSubs.map((r) => fmt(r.deliveryLatency!.p99, 0)).join(', ')} ms`);
  console.log(
    `at rest (${AT_REST} confirmations × ${SUBSCRIPTIONS}: ${restStats.latency.count} deliveries), latency from the event's time to arrival p50/p95/p99/max: ${fmt(restStats.latency.p50, 0)}/${fmt(restStats.latency.p95, 0)}/${fmt(restStats.latency.p99, 0)}/${fmt(restStats.latency.max, 0)} ms   target p99 < 1000: ${restStats.latency.p99 < 1000 ? 'MET' : 'MISSED'}`,
  );
  const perDelivery = (k: 'apiCpuMsPerConfirmation' | 'pgCpuMsPerConfirmation' | 'receiverCpuMsPerConfirmation'): number =>
    (median(withSubs.map((r) => r[k])) - median(without.map((r) => r[k]))) / SUBSCRIPTIONS;
  console.log(
    `CPU per confirmation without / with: service ${fmt(median(without.map((r) => r.apiCpuMsPerConfirmation)), 2)} / ${fmt(median(withSubs.map((r) => r.apiCpuMsPerConfirmation)), 2)} ms, ` +
      `Postgres ${fmt(median(without.map((r) => r.pgCpuMsPerConfirmation)), 2)} / ${fmt(median(withSubs.map((r) => r.pgCpuMsPerConfirmation)), 2)} ms, receiver 0 / ${fmt(median(withSubs.map((r) => r.receiverCpuMsPerConfirmation)), 2)} ms; ` +
      `so one delivery costs service ${fmt(perDelivery('apiCpuMsPerConfirmation'), 3)} ms + Postgres ${fmt(perDelivery('pgCpuMsPerConfirmation'), 3)} ms + receiver ${fmt(perDelivery('receiverCpuMsPerConfirmation'), 3)} ms of CPU`,
  );
  const file = writeResult('webhooks', { config: { N, ROUND_SECONDS, CONCURRENCY, ROUNDS, SUBSCRIPTIONS, AT_REST, SEPARATE_WORKER, apiEnv: process.env.BENCH_API_ENV ?? null }, rounds: results, atRest: restStats });
  console.log(`\nresults: ${file}`);
}

main()
  .catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanup();
    log('cleaned up (database dropped, Redis prefix cleared)');
  });
