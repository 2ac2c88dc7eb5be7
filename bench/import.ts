/**
 * Bulk trainee import (100,000 valid rows, CSV) through POST /v1/brands/:id/trainees/import, against Postgres COPY
 * of the same file into a plain table of six text columns; the API process's memory during the import; and where
 * the import's time goes (stages run in this process, a CPU profile of the API). See bench/README.md.
 *
 *   npm run build && npx ts-node --transpile-only -P tsconfig.json bench/import.ts
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import type { Actor } from '../src/common/auth/actor';
import { maskPhone, parsePiiKeyring, PiiCipher } from '../src/common/crypto/pii-cipher';
import { maskNationalId } from '../src/common/identifiers/national-id';
import { dataSourceOptions } from '../src/database/data-source';
import { ENTITIES } from '../src/entities';
import { readImportRows } from '../src/trainees/import/row-reader';
import { parseRegistration, REGISTRATION_FIELDS, REQUIRED_REGISTRATION_FIELDS } from '../src/trainees/registration';
import { servicesOn } from './lib/services';
import { ApiProcess, clearRedisPrefix, startApi } from './lib/api';
import { printProfileSummary, summarizeProfile } from './lib/cpu-profile';
import { backendsCpuDeltaMs, benchDatabaseName, createMigratedDatabase, dropDatabase, postgresBackendsCpuMs, psqlArgs, run, withClient } from './lib/db';
import { createBrand, createParties, Parties, writeTraineeCsv } from './lib/fixtures';
import { BENCH_DIR, envFlag, envInt, fmt, latencySummary, log, mb, median, nowMs, onInterrupt, sleep, writeResult } from './lib/util';

const ROWS = envInt('BENCH_IMPORT_ROWS', 100_000);
const ROUNDS = envInt('BENCH_ROUNDS', 3);
const PROFILE = envFlag('BENCH_PROFILE', true);
const STAGES = envFlag('BENCH_STAGES', true);
/** Rows of the import job whose memory is measured (API.md, Import jobs: up to 1,000,000); 0 skips it. */
const JOB_ROWS = envInt('BENCH_IMPORT_JOB_ROWS', 1_000_000);

const db = benchDatabaseName('import');
const redisPrefix = `bench-import-${process.pid}`;
const bootstrapKey = `lbk_bench_${randomBytes(18).toString('hex')}`;
const dataDir = join(BENCH_DIR, '.data');
const csvFile = join(dataDir, `trainees-${ROWS}-${process.pid}.csv`);
const encryptedFile = join(dataDir, `trainees-encrypted-${process.pid}.csv`);
const jobFile = join(dataDir, `trainees-job-${JOB_ROWS}-${process.pid}.csv`);

/** The indexes of trainees (migrations/…-Trainees.ts), added one at a time to a copy of the table. */
const INDEX_STEPS: Array<[string, string]> = [
  ['no index', ''],
  ['+ primary key (id: gen_random_uuid(), random order)', 'ALTER TABLE bench_trainees_copy ADD PRIMARY KEY (id)'],
  ['+ (brand_id, registered_at, id)', 'CREATE INDEX ON bench_trainees_copy (brand_id, registered_at, id)'],
  ['+ unique (brand_id, national_id_hash) (random order)', 'CREATE UNIQUE INDEX ON bench_trainees_copy (brand_id, national_id_hash) WHERE national_id_hash IS NOT NULL'],
  ['+ (national_id_hash) (random order)', 'CREATE INDEX ON bench_trainees_copy (national_id_hash) WHERE national_id_hash IS NOT NULL'],
];

let api: ApiProcess | undefined;
async function cleanup(): Promise<void> {
  await api?.stop().catch(() => undefined);
  await dropDatabase(db).catch((e) => console.error(`drop ${db}: ${(e as Error).message}`));
  await clearRedisPrefix(redisPrefix).catch(() => undefined);
  rmSync(csvFile, { force: true });
  rmSync(encryptedFile, { force: true });
  rmSync(jobFile, { force: true });
}

interface JobRun {
  rows: number;
  bytes: number;
  /** Until the 202: the file streamed in and stored encrypted. */
  storedMs: number;
  /** From the 202 until the import succeeded. */
  runMs: number;
  created: number;
  /** The longest the import was seen running without its progress or counters moving (polled every 250 ms). */
  longestStillMs: number;
  rssPeakKb: number;
  /** GET /v1/brands/:id, one after another (20 ms apart) from the 202 until the import succeeded. */
  brandReads: { count: number; failed: number; p50: number; p95: number; p99: number; max: number };
}

/**
 * One import job of `rows` rows through POST /v1/brands/:id/trainee-imports, run by the same process (ROLE=both):
 * its peak RSS over the upload and the whole run, and how steadily its progress moves.
 */
async function importJobOnce(apiProc: ApiProcess, parties: Parties, brandId: string, file: string, rows: number): Promise<JobRun> {
  const bytes = statSync(file).size;
  apiProc.takeRssPeakKb();
  const t0 = nowMs();
  const res = await apiProc.http.request<{ id: string }>('POST', `/v1/brands/${brandId}/trainee-imports?fileName=bench.csv`, {
    key: parties.hrFirm.key,
    body: createReadStream(file),
    contentType: 'text/csv',
    contentLength: bytes,
  });
  if (res.status !== 202) throw new Error(`import job answered ${res.status}: ${res.text.slice(0, 500)}`);
  const storedMs = nowMs() - t0;
  // A reader of the brand while its import runs: its latency is what the import costs everybody else.
  const brandReadMs: number[] = [];
  let brandReadsFailed = 0;
  let reading = true;
  const reader = (async () => {
    while (reading) {
      const r0 = nowMs();
      const r = await apiProc.http.request('GET', `/v1/brands/${brandId}`, { key: parties.hrFirm.key });
      if (r.status === 200) brandReadMs.push(nowMs() - r0);
      else brandReadsFailed++;
      await sleep(20);
    }
  })();
  const brandReads = async (): Promise<JobRun['brandReads']> => {
    reading = false;
    await reader;
    const l = latencySummary(brandReadMs);
    return { count: brandReadMs.length, failed: brandReadsFailed, p50: l.p50, p95: l.p95, p99: l.p99, max: l.max };
  };
  let last = '';
  let lastMove = nowMs();
  let longestStillMs = 0;
  for (;;) {
    const s = await apiProc.http.request<{ status: string; progress: number; created: number; received: number; failure: unknown }>('GET', `/v1/trainee-imports/${res.body.id}`, { key: parties.hrFirm.key });
    const state = `${s.body.status}|${s.body.progress}|${s.body.received}`;
    if (state !== last) {
      if (s.body.status === 'running' && last.startsWith('running')) longestStillMs = Math.max(longestStillMs, nowMs() - lastMove);
      last = state;
      lastMove = nowMs();
    }
    if (s.body.status === 'succeeded') {
      const runMs = nowMs() - t0 - storedMs;
      return { rows, bytes, storedMs, runMs, created: s.body.created, longestStillMs, rssPeakKb: apiProc.takeRssPeakKb(), brandReads: await brandReads() };
    }
    if (s.body.status !== 'queued' && s.body.status !== 'running') {
      await brandReads();
      throw new Error(`import job ended ${s.body.status}: ${JSON.stringify(s.body.failure)}`);
    }
    if (nowMs() - t0 > 60 * 60_000) throw new Error('import job did not end within an hour');
    await sleep(250);
  }
}

interface ImportRun {
  ms: number;
  rowsPerSec: number;
  created: number;
  rejected: number;
  rssPeakKb: number;
  /** Peaks of process.memoryUsage() fields sampled every 100 ms during the import, bytes. */
  heapPeak: { heapUsed: number; heapTotal: number; external: number; arrayBuffers: number };
  apiCpuMs: number;
  pgBackendCpuMs: number;
  /** From the import's answer until GET /statistics counts the rows. */
  statisticsCaughtUpMs: number;
}

async function importOnce(apiProc: ApiProcess, parties: Parties, brandId: string, file: string): Promise<ImportRun> {
  const size = statSync(file).size;
  apiProc.takeRssPeakKb();
  const cpu0 = apiProc.cpuMs();
  const pg0 = postgresBackendsCpuMs(db);
  const heap = { heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
  let sampling = true;
  const memorySampler = (async () => {
    while (sampling) {
      const u = await apiProc.memoryUsage().catch(() => undefined);
      if (u) for (const k of Object.keys(heap) as Array<keyof typeof heap>) heap[k] = Math.max(heap[k], u[k]);
      await sleep(100);
    }
  })();
  const t0 = nowMs();
  const res = await apiProc.http.request<{ received: number; created: number; duplicates: number; rejected: number; errors: unknown[] }>('POST', `/v1/brands/${brandId}/trainees/import`, {
    key: parties.hrFirm.key,
    body: createReadStream(file),
    contentType: 'text/csv',
    contentLength: size,
  });
  const ms = nowMs() - t0;
  const cpu1 = apiProc.cpuMs();
  const pg1 = postgresBackendsCpuMs(db);
  const rssPeakKb = apiProc.takeRssPeakKb();
  sampling = false;
  await memorySampler;
  if (res.status !== 200) throw new Error(`import answered ${res.status}: ${res.text.slice(0, 500)}`);
  // The statistics worker recomputes the brand from the trainee.imported events.
  let statisticsCaughtUpMs = NaN;
  for (;;) {
    const s = await apiProc.http.request<{ traineeCount: number }>('GET', `/v1/brands/${brandId}/statistics`, { key: parties.hrFirm.key });
    const at = nowMs() - t0 - ms;
    if (s.status === 200 && s.body.traineeCount >= res.body.created) {
      statisticsCaughtUpMs = at;
      break;
    }
    if (at > 60_000) break;
    await sleep(50);
  }
  return {
    ms,
    rowsPerSec: (res.body.created / ms) * 1000,
    created: res.body.created,
    rejected: res.body.rejected,
    rssPeakKb,
    heapPeak: heap,
    apiCpuMs: cpu1 - cpu0,
    pgBackendCpuMs: backendsCpuDeltaMs(pg0, pg1),
    statisticsCaughtUpMs,
  };
}

/** psql's \copy of a file into a table; answers the wall time of the psql process (its start-up included, ~tens of ms). */
async function copyOnce(url: string, table: string, file: string, columns = ''): Promise<number> {
  const res = await run('psql', [...psqlArgs(url), '-v', 'ON_ERROR_STOP=1', '-q', '-c', `\\copy ${table}${columns} FROM '${file}' CSV HEADER`]);
  if (res.code !== 0) throw new Error(`psql \\copy failed: ${res.stderr}`);
  return res.ms;
}

// ------------------------------------------------------------------------------------------ stage breakdown

interface Stages {
  parseMs: number;
  parseValidateMs: number;
  parseValidateEncryptMs: number;
  serviceImportMs: number;
}

/**
 * The import's stages in this process on the same file: CSV reading only; + validation (parseRegistration);
 * + the encryption insertBatch does per row (two AES-GCM, one HMAC, masks); the whole TraineesService.import
 * (the SQL included) called directly, without HTTP, the API process or its workers.
 */
async function stagesOnce(url: string, operatorId: string, brandId: string): Promise<Stages> {
  const { keyring } = parsePiiKeyring(undefined, undefined, { allowDevelopmentKeys: true });
  const cipher = new PiiCipher(keyring);
  const options = { requiredColumns: [...REQUIRED_REGISTRATION_FIELDS], knownColumns: [...REGISTRATION_FIELDS] };
  const today = new Date();

  let t = nowMs();
  let n = 0;
  for await (const row of readImportRows(createReadStream(csvFile), 'csv', options)) if ('fields' in row) n++;
  const parseMs = nowMs() - t;

  t = nowMs();
  for await (const row of readImportRows(createReadStream(csvFile), 'csv', options)) if ('fields' in row && parseRegistration(row.fields, today).ok) n++;
  const parseValidateMs = nowMs() - t;

  t = nowMs();
  let sink = 0;
  for await (const row of readImportRows(createReadStream(csvFile), 'csv', options)) {
    if (!('fields' in row)) continue;
    const parsed = parseRegistration(row.fields, today);
    if (!parsed.ok) continue;
    const r = parsed.value;
    // What TraineesService.seal does for each row (before its COPY line is written).
    const idCipher = cipher.encrypt(r.nationalId, 'national_id');
    const hash = cipher.blindIndex(r.nationalId, 'national_id');
    const masked = maskNationalId(r.nationalId);
    const phone = r.phone ? cipher.encrypt(r.phone, 'phone') : null;
    const phoneMasked = r.phone ? maskPhone(r.phone) : null;
    sink += idCipher.length + hash.length + masked.length + (phone?.length ?? 0) + (phoneMasked?.length ?? 0) + cipher.keyIdOf(idCipher).length;
  }
  const parseValidateEncryptMs = nowMs() - t;
  if (sink === 0 || n === 0) throw new Error('stages read nothing');

  const ds = new DataSource(dataSourceOptions(url, 4, ENTITIES));
  await ds.initialize();
  try {
    const service = servicesOn(ds, cipher).trainees;
    const actor: Actor = { organizationId: operatorId, kind: 'hr_firm', regionCode: '310104', apiKeyId: '00000000-0000-4000-8000-000000000000' };
    t = nowMs();
    const result = await service.import(actor, brandId, createReadStream(csvFile), { format: 'csv' });
    const serviceImportMs = nowMs() - t;
    if (result.created !== ROWS) throw new Error(`in-process import created ${result.created} of ${ROWS}`);
    return { parseMs, parseValidateMs, parseValidateEncryptMs, serviceImportMs };
  } finally {
    await ds.destroy();
  }
}

/** Removes a brand's trainees (and vacuums), so every import meets a table of the same size. */
async function removeTrainees(url: string, brandId: string): Promise<void> {
  await withClient(url, async (c) => {
    try {
      await c.query(`DELETE FROM trainees WHERE brand_id = $1`, [brandId]);
    } catch (err) {
      // The statistics' tally trigger on trainees may refuse deletes (the product never deletes a trainee): the rows
      // stay, and each import meets a table that grew by one import.
      log(`  could not remove the warm-up's trainees (${(err as Error).message}); they stay`);
    }
    await c.query('VACUUM ANALYZE trainees');
  });
}

// ------------------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  onInterrupt(cleanup);
  log(`import bench: ${ROUNDS} rounds of ${ROWS} rows, interleaved with psql \\copy of the same file`);
  mkdirSync(dataDir, { recursive: true });
  const bytes = await writeTraineeCsv(csvFile, ROWS);
  log(`wrote ${csvFile} (${(bytes / 1e6).toFixed(1)} MB)`);

  const url = await createMigratedDatabase(db);
  await withClient(url, (c) =>
    c.query(`CREATE TABLE copy_ref (full_name text, national_id text, phone text, target_groups text, cohort text, expected_monthly_salary_fen text)`),
  );
  api = await startApi({ databaseUrl: url, redisPrefix, bootstrapKey, env: process.env.BENCH_API_ENV ? JSON.parse(process.env.BENCH_API_ENV) : {}, logFile: process.env.BENCH_API_LOG });
  const parties = await createParties(api.http, bootstrapKey);
  const idleRssKb = api.memory().rssKb;
  log(`API idle RSS after start-up: ${mb(idleRssKb)}`);

  // Warm-up: one import of the same file (JIT, connection pool, caches), then the rows are removed.
  log('warm-up import');
  const warmBrand = await createBrand(api.http, parties, '预热品牌', false);
  const w = await importOnce(api, parties, warmBrand, csvFile);
  log(`  warm-up: ${fmt(w.ms / 1000, 2)} s`);
  await removeTrainees(url, warmBrand);
  await copyOnce(url, 'copy_ref', csvFile);
  await withClient(url, (c) => c.query('TRUNCATE copy_ref'));

  const imports: ImportRun[] = [];
  const copies: number[] = [];
  const psqlStartup: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const startup = await run('psql', [...psqlArgs(url), '-q', '-c', 'SELECT 1']);
    psqlStartup.push(startup.ms);
    const copyMs = await copyOnce(url, 'copy_ref', csvFile);
    copies.push(copyMs);
    await withClient(url, (c) => c.query('TRUNCATE copy_ref'));
    log(`round ${r + 1}/${ROUNDS}: COPY ${fmt(copyMs, 0)} ms (${fmt((ROWS / copyMs) * 1000, 0)} rows/s; psql start-up alone ${fmt(startup.ms, 0)} ms)`);
    await sleep(500);

    const brandId = await createBrand(api.http, parties, `徐汇AI训练师${r + 1}`, false);
    const imp = await importOnce(api, parties, brandId, csvFile);
    imports.push(imp);
    log(
      `  import: ${fmt(imp.ms / 1000, 2)} s, ${fmt(imp.rowsPerSec, 0)} rows/s (${imp.created} created, ${imp.rejected} rejected); ratio ${fmt(imp.rowsPerSec / ((ROWS / copyMs) * 1000), 3)}; ` +
        `RSS peak ${mb(imp.rssPeakKb)}; CPU: API ${fmt(imp.apiCpuMs / 1000, 2)} s, Postgres backends ${fmt(imp.pgBackendCpuMs / 1000, 2)} s; statistics caught up ${fmt(imp.statisticsCaughtUpMs, 0)} ms after the answer`,
    );
    await removeTrainees(url, brandId);
    await sleep(500);
  }

  // COPY of the encrypted rows into the real table (its four indexes): the database's floor for the import's writes.
  const encryptedCopies: number[] = [];
  const indexCopies: number[][] = [];
  {
    const brandId = await createBrand(api.http, parties, '加密行品牌', false);
    await importOnce(api, parties, brandId, csvFile);
    const target = await createBrand(api.http, parties, 'COPY目标品牌', false);
    // No brand column in the file: each round COPYs into a brand of its own (the column's default, set per round),
    // since trainees cannot be deleted while the statistics' tally trigger refuses DELETE.
    const cols = `(full_name, national_id_cipher, national_id_hash, national_id_masked, phone_cipher, phone_masked, pii_key_id, birth_date, gender, target_groups, cohort, expected_monthly_salary_fen, status)`;
    const exp = await run('psql', [
      ...psqlArgs(url),
      '-q',
      '-c',
      `\\copy (SELECT full_name, national_id_cipher, national_id_hash, national_id_masked, phone_cipher, phone_masked, pii_key_id, birth_date, gender, target_groups, cohort, expected_monthly_salary_fen, status FROM trainees WHERE brand_id = '${brandId}') TO '${encryptedFile}' CSV HEADER`,
    ]);
    if (exp.code !== 0) throw new Error(`export failed: ${exp.stderr}`);
    await removeTrainees(url, brandId);
    for (let r = 0; r < ROUNDS; r++) {
      const into = r === 0 ? target : await createBrand(api.http, parties, `COPY目标品牌${r + 1}`, false);
      await withClient(url, (c) => c.query(`ALTER TABLE trainees ALTER COLUMN brand_id SET DEFAULT '${into}'::uuid`));
      encryptedCopies.push(await copyOnce(url, 'trainees', encryptedFile, cols));
      await withClient(url, (c) => c.query(`ALTER TABLE trainees ALTER COLUMN brand_id DROP DEFAULT`));
    }
    log(`COPY of the encrypted rows into trainees (4 indexes): ${encryptedCopies.map((m) => fmt(m, 0)).join(', ')} ms`);

    // What each index of trainees adds to that floor: the same COPY into a copy of the table, indexes added one by one.
    INDEX_STEPS.forEach(() => indexCopies.push([]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const [k] of INDEX_STEPS.entries()) {
        await withClient(url, async (c) => {
          await c.query('DROP TABLE IF EXISTS bench_trainees_copy');
          await c.query('CREATE TABLE bench_trainees_copy (LIKE trainees INCLUDING DEFAULTS)');
          await c.query(`ALTER TABLE bench_trainees_copy ALTER COLUMN brand_id SET DEFAULT '${target}'::uuid`);
          for (const [, ddl] of INDEX_STEPS.slice(1, k + 1)) await c.query(ddl);
        });
        indexCopies[k].push(await copyOnce(url, 'bench_trainees_copy', encryptedFile, cols));
      }
    }
    await withClient(url, (c) => c.query('DROP TABLE IF EXISTS bench_trainees_copy'));
  }

  const stages: Stages[] = [];
  if (STAGES) {
    for (let r = 0; r < ROUNDS; r++) {
      const brandId = await createBrand(api.http, parties, `分段品牌${r + 1}`, false);
      const s = await stagesOnce(url, parties.hrFirm.id, brandId);
      stages.push(s);
      log(`stages (this process): parse ${fmt(s.parseMs, 0)} ms; + validate ${fmt(s.parseValidateMs, 0)} ms; + encrypt ${fmt(s.parseValidateEncryptMs, 0)} ms; TraineesService.import in-process ${fmt(s.serviceImportMs, 0)} ms`);
      await removeTrainees(url, brandId);
    }
  }

  let profileSummary: ReturnType<typeof summarizeProfile> | undefined;
  if (PROFILE) {
    const brandId = await createBrand(api.http, parties, '剖析品牌', false);
    await api.startProfile();
    const p = await importOnce(api, parties, brandId, csvFile);
    const file = join(BENCH_DIR, 'results', `import-${process.pid}.cpuprofile`);
    mkdirSync(join(BENCH_DIR, 'results'), { recursive: true });
    await api.stopProfile(file);
    log(`profile import: ${fmt(p.ms / 1000, 2)} s (profiler on); written to ${file}`);
    profileSummary = summarizeProfile(file, [
      '/node_modules/csv-parse/',
      '/dist/src/trainees/import/',
      'parseRegistration',
      'encryptRegistration',
      'insertBatch',
      '/dist/src/common/crypto/',
      '/node_modules/pg/',
      '/node_modules/typeorm/',
      '/dist/src/statistics/',
      '/node_modules/bullmq/',
    ]);
  }
  let job: JobRun | undefined;
  if (JOB_ROWS > 0) {
    const jobBytes = await writeTraineeCsv(jobFile, JOB_ROWS, 20251206);
    log(`import job: ${JOB_ROWS} rows, ${(jobBytes / 1e6).toFixed(1)} MB`);
    const brandId = await createBrand(api.http, parties, '百万行导入品牌', false);
    job = await importJobOnce(api, parties, brandId, jobFile, JOB_ROWS);
    log(`  stored in ${fmt(job.storedMs / 1000, 1)} s, run in ${fmt(job.runMs / 1000, 1)} s, RSS peak ${mb(job.rssPeakKb)}; GET /v1/brands/:id p99 ${fmt(job.brandReads.p99, 1)} ms over ${job.brandReads.count} reads`);
    rmSync(jobFile, { force: true });
  }
  const mem = api.memory();
  await api.stop();
  api = undefined;

  // ----------------------------------------------------------------------------------------------- report
  const copyRate = median(copies.map((ms) => (ROWS / ms) * 1000));
  const importRate = median(imports.map((i) => i.rowsPerSec));
  const ratios = imports.map((i, k) => i.rowsPerSec / ((ROWS / copies[k]) * 1000));
  console.log('\n=== Bulk trainee import (CSV) ===');
  console.log(`${ROWS} rows, ${(bytes / 1e6).toFixed(1)} MB; ${ROUNDS} rounds, COPY and import interleaved; medians over rounds`);
  console.log(`COPY (psql \\copy into 6 text columns, psql start-up included): ${copies.map((m) => fmt(m, 0)).join(', ')} ms → median ${fmt(copyRate, 0)} rows/s (psql start-up alone: median ${fmt(median(psqlStartup), 0)} ms)`);
  console.log(`import through HTTP: ${imports.map((i) => fmt(i.ms, 0)).join(', ')} ms → median ${fmt(importRate, 0)} rows/s`);
  console.log(`ratio per round (import ÷ COPY of the same round): ${ratios.map((r) => fmt(r, 3)).join(', ')} → median ${fmt(median(ratios), 3)}   target ≥ 0.3: ${median(ratios) >= 0.3 ? 'MET' : 'MISSED'}`);
  const enc = median(encryptedCopies);
  console.log(`COPY of the same rows already encrypted into trainees (its 4 indexes): median ${fmt(enc, 0)} ms = ${fmt((ROWS / enc) * 1000, 0)} rows/s (import ÷ this: ${fmt(importRate / ((ROWS / enc) * 1000), 3)})`);
  console.log('  the same COPY into a copy of trainees, its indexes added one by one (medians):');
  INDEX_STEPS.forEach(([name], k) => console.log(`    ${name.padEnd(56)} ${fmt(median(indexCopies[k]), 0)} ms`));
  console.log(`CPU per import: API process ${fmt(median(imports.map((i) => i.apiCpuMs)) / 1000, 2)} s, Postgres backends ${fmt(median(imports.map((i) => i.pgBackendCpuMs)) / 1000, 2)} s (wall ${fmt(median(imports.map((i) => i.ms)) / 1000, 2)} s)`);
  console.log(`statistics show the imported trainees ${imports.map((i) => fmt(i.statisticsCaughtUpMs, 0)).join(', ')} ms after the import answered`);
  console.log('\n=== API process memory during the import ===');
  const rssPeak = median(imports.map((i) => i.rssPeakKb));
  console.log(`RSS peak per import: ${imports.map((i) => mb(i.rssPeakKb)).join(', ')} → median ${mb(rssPeak)}   target < 300 MB: ${rssPeak < 300 * 1024 ? 'MET' : 'MISSED'}; VmHWM over the whole run (warm-up, stages, profile included): ${mb(mem.hwmKb)}`);
  const h = (f: (i: ImportRun) => number): string => mb(median(imports.map(f)) / 1024);
  console.log(`  of which (peaks, medians): V8 heap total ${h((i) => i.heapPeak.heapTotal)}, heap used ${h((i) => i.heapPeak.heapUsed)}, external ${h((i) => i.heapPeak.external)} (array buffers ${h((i) => i.heapPeak.arrayBuffers)})`);
  if (job) {
    console.log('\n=== Import job (POST /v1/brands/:id/trainee-imports), one process running API and worker ===');
    console.log(
      `${job.rows} rows, ${(job.bytes / 1e6).toFixed(1)} MB: stored (encrypted) in ${fmt(job.storedMs / 1000, 1)} s, checked and written in ${fmt(job.runMs / 1000, 1)} s (${fmt((job.created / job.runMs) * 1000, 0)} rows/s); created ${job.created}`,
    );
    console.log(`longest the running import's progress stood still: ${fmt(job.longestStillMs, 0)} ms   target ≤ 1000 ms: ${job.longestStillMs <= 1000 ? 'MET' : 'MISSED'}`);
    const b = job.brandReads;
    console.log(
      `GET /v1/brands/:id while the import ran: ${b.count} reads (${b.failed} not 200), p50 ${fmt(b.p50, 1)} ms, p95 ${fmt(b.p95, 1)} ms, p99 ${fmt(b.p99, 1)} ms, max ${fmt(b.max, 1)} ms   target p99 < 50 ms: ${b.p99 < 50 ? 'MET' : 'MISSED'}`,
    );
    console.log(`RSS peak over upload and run: ${mb(job.rssPeakKb)}   target < 300 MB: ${job.rssPeakKb < 300 * 1024 ? 'MET' : 'MISSED'}`);
  }
  if (stages.length) {
    const m = (f: (s: Stages) => number): number => median(stages.map(f));
    const total = m((s) => s.serviceImportMs);
    console.log('\n=== Where the import time goes (stages in the bench process, medians) ===');
    console.log(`  CSV reading (readImportRows):           ${fmt(m((s) => s.parseMs), 0)} ms  (${fmt((100 * m((s) => s.parseMs)) / total, 0)} % of the in-process import)`);
    console.log(`  + validation (parseRegistration):      +${fmt(m((s) => s.parseValidateMs - s.parseMs), 0)} ms`);
    console.log(`  + encryption (2 × AES-GCM, HMAC, masks): +${fmt(m((s) => s.parseValidateEncryptMs - s.parseValidateMs), 0)} ms`);
    console.log(`  + COPY lines, SQL (insertBatch: COPY into staging, INSERT … SELECT; outbox, audit, commit): +${fmt(m((s) => s.serviceImportMs - s.parseValidateEncryptMs), 0)} ms`);
    console.log(`  = TraineesService.import in-process:   ${fmt(total, 0)} ms (through HTTP: ${fmt(median(imports.map((i) => i.ms)), 0)} ms)`);
  }
  if (profileSummary) {
    console.log('\n=== Where the API process spends its CPU during an import (profile) ===');
    printProfileSummary(profileSummary);
  }
  const file = writeResult('import', { config: { ROWS, ROUNDS, bytes }, copies, psqlStartup, imports, encryptedCopies, indexCopies: INDEX_STEPS.map(([name], k) => ({ name, ms: indexCopies[k] })), stages, memory: { ...mem, idleRssKb }, profile: profileSummary, job });
  console.log(`\nresults: ${file}`);
}

main()
  .catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanup();
    log('cleaned up (database dropped, Redis prefix cleared, data files removed)');
  });
