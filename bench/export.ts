/**
 * Export of 1,000,000 trainees (GET /v1/brands/:id/trainees/export, CSV and .xlsx) against Postgres `COPY (SELECT …)
 * TO STDOUT` of the same rows and columns in the same order; the API process's peak RSS during each export (target:
 * < 300 MB); and, with a client that reads slowly, that memory stays flat (back-pressure). See bench/README.md.
 *
 *   npm run build && npx ts-node --transpile-only -P tsconfig.json bench/export.ts
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { printProfileSummary, summarizeProfile } from './lib/cpu-profile';
import { request as httpRequest } from 'node:http';
import { ApiProcess, checkBuild, clearRedisPrefix, startApi } from './lib/api';
import { benchDatabaseName, createMigratedDatabase, dropDatabase, psqlArgs, run, withClient } from './lib/db';
import { createBrand, createParties } from './lib/fixtures';
import { BENCH_DIR, envFlag, envInt, fmt, log, mb, median, nowMs, onInterrupt, sleep, writeResult } from './lib/util';

const ROWS = envInt('BENCH_EXPORT_ROWS', 1_000_000);
const ROUNDS = envInt('BENCH_ROUNDS', 2);
/** Seconds of the slow-client round (0 skips it), and how fast that client reads. */
const SLOW_SECONDS = envInt('BENCH_EXPORT_SLOW_SECONDS', 15);
const SLOW_BYTES_PER_SECOND = envInt('BENCH_EXPORT_SLOW_BPS', 1_000_000);
const PROFILE = envFlag('BENCH_PROFILE', true);
const RSS_TARGET_MB = 300;
/**
 * The API's Node options, as the Docker image runs it (docker/Dockerfile): a heap ceiling. The export's live memory
 * is flat (tens of MB), but under its allocation rate V8's default sizing lets dead objects reach ~250 MB of heap
 * before a full collection; the ceiling makes V8 collect them sooner, at no measurable cost in rows/s. Set
 * BENCH_API_NODE_OPTIONS= (empty) to measure the default sizing.
 */
const API_NODE_OPTIONS = process.env.BENCH_API_NODE_OPTIONS ?? '--max-old-space-size=160';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const db = benchDatabaseName('export');
const redisPrefix = `bench-export-${process.pid}`;
const bootstrapKey = `lbk_bench_${randomBytes(18).toString('hex')}`;

let api: ApiProcess | undefined;
async function cleanup(): Promise<void> {
  await api?.stop().catch(() => undefined);
  await dropDatabase(db).catch((e) => console.error(`drop ${db}: ${(e as Error).message}`));
  await clearRedisPrefix(redisPrefix).catch(() => undefined);
}

/** A million trainees of one brand, generated in SQL (what is measured is reading them, not registering them). */
async function generateTrainees(url: string, brandId: string): Promise<void> {
  await withClient(url, async (c) => {
    await c.query(
      `INSERT INTO trainees (brand_id, full_name, national_id_hash, national_id_masked, phone_masked, birth_date, gender, target_groups, cohort,
                             expected_monthly_salary_fen, status, registered_at)
       SELECT $1,
              substr('王李张刘陈杨黄赵吴周徐孙马朱胡郭', 1 + i % 16, 1) || substr('伟芳娜秀英敏静丽强磊军洋勇艳杰娟', 1 + (i / 16) % 16, 1) || CASE WHEN i % 3 = 0 THEN '华' ELSE '' END,
              decode(md5(i::text), 'hex'),
              '310104********' || lpad((i % 10000)::text, 4, '0'),
              CASE WHEN i % 5 = 0 THEN NULL ELSE '138****' || lpad((i % 10000)::text, 4, '0') END,
              DATE '1970-01-01' + (i % 12000),
              CASE WHEN i % 2 = 0 THEN 'female' ELSE 'male' END,
              CASE i % 4 WHEN 0 THEN '{}'::text[] WHEN 1 THEN '{graduate}' WHEN 2 THEN '{graduate,veteran}' ELSE '{rural_migrant}' END,
              '2026春季班' || (i % 7),
              CASE WHEN i % 6 = 0 THEN NULL ELSE 500000 + (i % 1000) * 1000 END,
              (ARRAY['registered','training','completed','withdrawn'])[1 + i % 4],
              timestamptz '2026-01-01' + i * interval '7 seconds'
         FROM generate_series(1, $2::int) AS i`,
      [brandId, ROWS],
    );
    await c.query('VACUUM ANALYZE trainees');
  });
}

/** The reference: COPY of the same rows (the export's columns, masked values, its order) to psql's stdout, discarded. */
async function copyOnce(url: string, brandId: string): Promise<number> {
  const select =
    `SELECT id, full_name, national_id_masked, gender, birth_date, phone_masked, array_to_string(target_groups, ';'), cohort, expected_monthly_salary_fen, status, registered_at ` +
    `FROM trainees WHERE brand_id = '${brandId}' ORDER BY registered_at DESC, id DESC`;
  const res = await run('psql', [...psqlArgs(url), '-v', 'ON_ERROR_STOP=1', '-q', '-o', '/dev/null', '-c', `COPY (${select}) TO STDOUT CSV HEADER`]);
  if (res.code !== 0) throw new Error(`COPY failed: ${res.stderr}`);
  return res.ms;
}

interface ExportRun {
  ms: number;
  bytes: number;
  /** CSV: records counted in the body (the heading included). */
  records: number;
  rssPeakKb: number;
  complete: boolean;
  /** Peaks of process.memoryUsage() fields of the API sampled every 100 ms during the export, bytes. */
  heapPeak?: { heapUsed: number; heapTotal: number; external: number; arrayBuffers: number };
}

/** Samples the API's process.memoryUsage() every 100 ms until `stop` is called; answers the peaks. */
function sampleHeap(proc: ApiProcess): () => Promise<NonNullable<ExportRun['heapPeak']>> {
  const heap = { heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const u = await proc.memoryUsage().catch(() => undefined);
      if (u) for (const k of Object.keys(heap) as Array<keyof typeof heap>) heap[k] = Math.max(heap[k], u[k]);
      await sleep(100);
    }
  })();
  return async () => {
    sampling = false;
    await sampler;
    return heap;
  };
}

const heapText = (h: ExportRun['heapPeak']): string =>
  h ? `heap used ${fmt(h.heapUsed / 1048576, 0)} MB of ${fmt(h.heapTotal / 1048576, 0)} MB, external ${fmt(h.external / 1048576, 0)} MB, array buffers ${fmt(h.arrayBuffers / 1048576, 0)} MB` : '';

/** One export read to the end (or for `readForMs` at `bytesPerSecond`), counting bytes and CSV records. */
async function exportOnce(proc: ApiProcess, key: string, brandId: string, accept: string, slow?: { readForMs: number; bytesPerSecond: number }): Promise<ExportRun> {
  const stop = sampleHeap(proc);
  const run = await readExport(proc, key, brandId, accept, slow);
  return { ...run, heapPeak: await stop() };
}

function readExport(proc: ApiProcess, key: string, brandId: string, accept: string, slow?: { readForMs: number; bytesPerSecond: number }): Promise<ExportRun> {
  const url = new URL(proc.baseUrl);
  proc.takeRssPeakKb();
  const t0 = nowMs();
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path: `/v1/brands/${brandId}/trainees/export`, headers: { authorization: `Bearer ${key}`, accept } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return reject(new Error(`export answered ${res.statusCode}`));
      }
      let bytes = 0;
      let records = 0;
      const done = (complete: boolean): void => resolve({ ms: nowMs() - t0, bytes, records, rssPeakKb: proc.takeRssPeakKb(), complete });
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) records++;
        if (slow) {
          // Read at the given rate: pause for as long as this chunk "takes".
          res.pause();
          setTimeout(() => res.resume(), (chunk.length / slow.bytesPerSecond) * 1000);
        }
      });
      res.on('end', () => done(res.complete));
      res.on('error', reject);
      if (slow) {
        setTimeout(() => {
          const run = { ms: nowMs() - t0, bytes, records, rssPeakKb: proc.takeRssPeakKb(), complete: false };
          req.destroy();
          resolve(run);
        }, slow.readForMs);
      }
    });
    req.on('error', (err) => (slow ? undefined : reject(err)));
    req.end();
  });
}

async function main(): Promise<void> {
  checkBuild();
  onInterrupt(cleanup);
  log(`export bench: ${ROWS} trainees, ${ROUNDS} rounds of COPY TO STDOUT, CSV export and .xlsx export, interleaved`);
  const url = await createMigratedDatabase(db);
  api = await startApi({
    databaseUrl: url,
    redisPrefix,
    bootstrapKey,
    env: { NODE_OPTIONS: API_NODE_OPTIONS, ...(process.env.BENCH_API_ENV ? JSON.parse(process.env.BENCH_API_ENV) : {}) },
    logFile: process.env.BENCH_API_LOG,
  });
  log(`API Node options: ${API_NODE_OPTIONS || '(none: V8 default heap sizing)'}`);
  const parties = await createParties(api.http, bootstrapKey);
  const brandId = await createBrand(api.http, parties, '徐汇AI训练师导出', false);
  let t = nowMs();
  await generateTrainees(url, brandId);
  log(`generated ${ROWS} trainees in SQL in ${fmt((nowMs() - t) / 1000, 1)} s`);
  const idleRssKb = api.memory().rssKb;
  log(`API idle RSS: ${mb(idleRssKb)}`);

  // Warm-up: JIT, pool, the table's pages in the cache.
  t = nowMs();
  await copyOnce(url, brandId);
  const warm = await exportOnce(api, parties.hrFirm.key, brandId, 'text/csv');
  log(`warm-up: COPY then CSV export (${fmt(warm.ms / 1000, 1)} s, ${fmt(warm.bytes / 1e6, 0)} MB)`);

  const copies: number[] = [];
  const csv: ExportRun[] = [];
  const xlsx: ExportRun[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const copyMs = await copyOnce(url, brandId);
    copies.push(copyMs);
    log(`round ${r + 1}/${ROUNDS}: COPY TO STDOUT ${fmt(copyMs, 0)} ms (${fmt((ROWS / copyMs) * 1000, 0)} rows/s)`);
    await sleep(500);
    const c = await exportOnce(api, parties.hrFirm.key, brandId, 'text/csv');
    if (!c.complete || c.records !== ROWS + 1) throw new Error(`CSV export incomplete: ${c.records} records, complete ${c.complete}`);
    csv.push(c);
    log(`  CSV export: ${fmt(c.ms / 1000, 2)} s, ${fmt((ROWS / c.ms) * 1000, 0)} rows/s, ${fmt(c.bytes / 1e6, 0)} MB; ratio to COPY ${fmt(copyMs / c.ms, 3)}; API RSS peak ${mb(c.rssPeakKb)} (${heapText(c.heapPeak)})`);
    await sleep(500);
    const x = await exportOnce(api, parties.hrFirm.key, brandId, XLSX);
    if (!x.complete) throw new Error('xlsx export incomplete');
    xlsx.push(x);
    log(`  .xlsx export: ${fmt(x.ms / 1000, 2)} s, ${fmt((ROWS / x.ms) * 1000, 0)} rows/s, ${fmt(x.bytes / 1e6, 0)} MB; ratio to COPY ${fmt(copyMs / x.ms, 3)}; API RSS peak ${mb(x.rssPeakKb)} (${heapText(x.heapPeak)})`);
    await sleep(500);
  }

  // A client reading at 1 MB/s: what the service has not sent yet must wait in the database, not in its memory.
  const slow: Record<string, ExportRun> = {};
  if (SLOW_SECONDS > 0) {
    for (const [name, accept] of [['csv', 'text/csv'], ['xlsx', XLSX]] as const) {
      slow[name] = await exportOnce(api, parties.hrFirm.key, brandId, accept, { readForMs: SLOW_SECONDS * 1000, bytesPerSecond: SLOW_BYTES_PER_SECOND });
      log(`slow client (${name}, ${fmt(SLOW_BYTES_PER_SECOND / 1e6, 1)} MB/s for ${SLOW_SECONDS} s): read ${fmt(slow[name].bytes / 1e6, 1)} MB; API RSS peak ${mb(slow[name].rssPeakKb)} (${heapText(slow[name].heapPeak)})`);
      await sleep(1000);
    }
  }
  // Where a CSV export's time goes: a V8 CPU profile of the API during one more export (not counted).
  let profile: ReturnType<typeof summarizeProfile> | undefined;
  if (PROFILE) {
    await api.startProfile();
    const p = await exportOnce(api, parties.hrFirm.key, brandId, 'text/csv');
    const file = join(BENCH_DIR, 'results', `export-${process.pid}.cpuprofile`);
    mkdirSync(join(BENCH_DIR, 'results'), { recursive: true });
    await api.stopProfile(file);
    log(`profiled CSV export: ${fmt(p.ms / 1000, 2)} s (profiler on); written to ${file}`);
    profile = summarizeProfile(file, ['/dist/src/common/tabular/', '/dist/src/trainees/', '/node_modules/pg/', '/node_modules/pg-protocol/', '/node_modules/typeorm/', '/node_modules/fastify/', '/node_modules/exceljs/']);
  }
  const mem = api.memory();
  await api.stop();
  api = undefined;

  const copyRate = median(copies.map((ms) => (ROWS / ms) * 1000));
  const csvRate = median(csv.map((c) => (ROWS / c.ms) * 1000));
  const xlsxRate = median(xlsx.map((x) => (ROWS / x.ms) * 1000));
  const peakKb = Math.max(...csv.map((c) => c.rssPeakKb), ...xlsx.map((x) => x.rssPeakKb), ...Object.values(slow).map((s) => s.rssPeakKb), mem.hwmKb);
  console.log('\n=== Trainee export (1 brand) ===');
  console.log(`${ROWS} trainees; ${ROUNDS} rounds, COPY and exports interleaved; medians over rounds`);
  console.log(`COPY (SELECT the export's columns ORDER BY registered_at DESC, id DESC) TO STDOUT CSV, psql to /dev/null: ${copies.map((m) => fmt(m, 0)).join(', ')} ms → ${fmt(copyRate, 0)} rows/s`);
  console.log(`CSV export through HTTP: ${csv.map((c) => fmt(c.ms, 0)).join(', ')} ms → ${fmt(csvRate, 0)} rows/s, ratio ${fmt(csvRate / copyRate, 3)} of COPY`);
  console.log(`.xlsx export through HTTP: ${xlsx.map((x) => fmt(x.ms, 0)).join(', ')} ms → ${fmt(xlsxRate, 0)} rows/s, ratio ${fmt(xlsxRate / copyRate, 3)} of COPY`);
  console.log(`API Node options: ${API_NODE_OPTIONS || '(none)'}`);
  console.log(`API RSS: idle ${mb(idleRssKb)}; peak during exports ${mb(peakKb)} (VmHWM ${mb(mem.hwmKb)}); target < ${RSS_TARGET_MB} MB: ${peakKb / 1024 < RSS_TARGET_MB ? 'met' : 'NOT met'}`);
  if (profile) printProfileSummary(profile);
  const file = writeResult('export', { rows: ROWS, copies, csv, xlsx, slow, idleRssKb, peakKb, hwmKb: mem.hwmKb, copyRate, csvRate, xlsxRate });
  console.log(`results: ${file}`);
  await cleanup();
}

main().catch(async (err) => {
  console.error(err);
  await cleanup();
  process.exit(1);
});
