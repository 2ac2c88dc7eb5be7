/**
 * The multi-process fault soak (not CI): 2 API processes and 2 worker processes from dist/, a client spreading mixed
 * load over both APIs, and a fault every SOAK_FAULT_EVERY_S seconds, in turn: SIGKILL a worker, restart Redis, restart
 * Postgres, SIGKILL an API. Postgres and Redis are private instances on spare ports (the machine's shared ones are
 * never stopped): Postgres initialised from Debian's binaries into a temporary directory, Redis without persistence
 * (a restart comes back empty, as a lost Redis does).
 *
 *   npm run build && npx ts-node --transpile-only -P tsconfig.json bench/soak.ts
 *   SOAK_SECONDS=180 … (default 600)
 *
 * Afterwards: no outbox event undelivered, every webhook delivery succeeded, every brand's statistics equal a
 * from-scratch rebuild (`stats:rebuild` from dist), and every 5xx (and every refused connection) inside a fault
 * window (from the fault until both APIs are ready and the outbox has caught up, plus SOAK_GRACE_S). Prints a summary
 * and writes it to bench/results/soak-<time>.json; exits 1 when a check fails.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Client } from 'pg';
import { migrate } from '../src/database/migrate';
import { checkBuild, MAIN_JS } from './lib/api';
import { creditCode, nationalId } from './lib/fixtures';
import { HttpClient } from './lib/http';
import { BENCH_DIR, envInt, log, sleep, writeResult } from './lib/util';
import { freePort, PrivateRedis } from '../test/support/private-redis';

const SECONDS = envInt('SOAK_SECONDS', 600);
const FAULT_EVERY_S = envInt('SOAK_FAULT_EVERY_S', 60);
const CONCURRENCY = envInt('SOAK_CONCURRENCY', 8);
const GRACE_S = envInt('SOAK_GRACE_S', 2);
const BRANDS = envInt('SOAK_BRANDS', 4);
const IMPORT_ROWS = envInt('SOAK_IMPORT_ROWS', 100);
const DRAIN_TIMEOUT_MS = 180_000;
const ROOT = join(BENCH_DIR, '..');
const PG_BIN = process.env.SOAK_PG_BIN ?? `/usr/lib/postgresql/${execFileSync('sh', ['-c', 'ls /usr/lib/postgresql | sort -n | tail -1']).toString().trim()}/bin`;
const bootstrapKey = `lbk_soak_${randomBytes(18).toString('hex')}`;

// ---------------------------------------------------------------------------------------------- private Postgres

/** A Postgres server of the soak's own: initdb into a temporary directory, run as the `postgres` user when root. */
class PrivatePostgres {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly dir = mkdtempSync(join(tmpdir(), 'lb-soak-pg-'));
  private readonly ids = process.getuid?.() === 0 ? { uid: Number(execFileSync('id', ['-u', 'postgres'])), gid: Number(execFileSync('id', ['-g', 'postgres'])) } : {};

  constructor(readonly port: number) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/soak`;
  }

  async init(): Promise<void> {
    if (this.ids.uid !== undefined) execFileSync('chown', [`${this.ids.uid}:${this.ids.gid}`, this.dir]);
    execFileSync(join(PG_BIN, 'initdb'), ['-D', join(this.dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8'], { ...this.ids, stdio: 'ignore' });
    await this.start();
  }

  async start(): Promise<void> {
    const out = openSync(join(tmpdir(), `lb-soak-pg-${this.port}.log`), 'a');
    const child = spawn(join(PG_BIN, 'postgres'), ['-D', join(this.dir, 'data'), '-p', String(this.port), '-k', this.dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'], {
      ...this.ids,
      stdio: ['ignore', out, out],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const client = new Client({ connectionString: `postgres://postgres@127.0.0.1:${this.port}/postgres` });
      try {
        await client.connect();
        await client.end();
        return;
      } catch {
        await client.end().catch(() => undefined);
        if (Date.now() > deadline) throw new Error('private postgres did not start');
        await sleep(100);
      }
    }
  }

  /** Fast shutdown (SIGINT: sessions cut, a clean checkpoint), as a restart by an operator or a failover does. */
  async stop(): Promise<void> {
    this.child?.kill('SIGINT');
    await this.exited;
    this.child = null;
  }

  async dispose(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------- service processes

interface Service {
  name: string;
  role: 'api' | 'worker';
  port: number;
  child: ChildProcess | null;
}

function startService(s: Service, env: Record<string, string>): void {
  const out = openSync(join(tmpdir(), `lb-soak-${s.name}.log`), 'a');
  s.child = spawn(process.execPath, [MAIN_JS], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, ROLE: s.role, PORT: String(s.port), HOST: '127.0.0.1', METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' },
    stdio: ['ignore', out, out],
  });
}

// ---------------------------------------------------------------------------------------------- the run

interface Sample {
  at: number;
  status: number;
  what: string;
  /** The start of a 5xx answer's body (a problem document: which failure it reports). */
  detail?: string;
}

interface Fault {
  kind: string;
  at: number;
  recoveredAt: number | null;
}

async function main(): Promise<void> {
  checkBuild();
  const pg = new PrivatePostgres(await freePort());
  const redis = await PrivateRedis.start();
  const services: Service[] = [];
  const receivers: Server[] = [];
  let stopping = false;
  const cleanup = async (): Promise<void> => {
    stopping = true;
    for (const s of services) s.child?.kill('SIGKILL');
    for (const r of receivers) r.close();
    await redis.dispose();
    await pg.dispose();
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    await pg.init();
    await migrate(pg.url);
    const env: Record<string, string> = {
      DATABASE_URL: pg.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: 'soak',
      BOOTSTRAP_ADMIN_KEY: bootstrapKey,
      RATE_LIMIT_MAX: '10000000',
      RUN_MIGRATIONS: 'false',
      DATABASE_POOL_SIZE: '10',
      LOG_LEVEL: 'warn',
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      WEBHOOK_RECONCILE_MS: '2000',
      WEBHOOK_RETRY_BASE_MS: '200',
      WEBHOOK_RETRY_MAX_DELAY_MS: '2000',
      EVENT_LOCK_DURATION_MS: '5000',
      EVENT_STALLED_INTERVAL_MS: '2000',
    };
    for (const [i, role] of (['api', 'api', 'worker', 'worker'] as const).entries()) services.push({ name: `${role}${i % 2}`, role, port: role === 'api' ? await freePort() : 0, child: null });
    for (const s of services) startService(s, { ...env, PUBLIC_BASE_URL: `http://127.0.0.1:${s.port}` });
    const apis = services.filter((s) => s.role === 'api');
    const workers = services.filter((s) => s.role === 'worker');
    const clients = apis.map((s) => new HttpClient(`http://127.0.0.1:${s.port}`, CONCURRENCY * 2));
    const ready = async (c: HttpClient): Promise<boolean> => (await c.request('GET', '/health/ready').catch(() => ({ status: 0 }))).status === 200;
    const started = Date.now();
    while (!(await Promise.all(clients.map(ready))).every(Boolean)) {
      if (Date.now() - started > 60_000) throw new Error('the APIs did not become ready');
      await sleep(200);
    }
    log(`private postgres :${pg.port}, redis :${redis.port}; APIs on ${apis.map((a) => a.port).join(', ')}; 2 workers`);

    // A webhook receiver that answers 200 to every delivery.
    let received = 0;
    const receiver = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received++;
        res.writeHead(200).end();
      });
    });
    receivers.push(receiver);
    const receiverPort = await freePort();
    await new Promise<void>((r) => receiver.listen(receiverPort, '127.0.0.1', r));

    // Parties, brands, a subscription (through the first API).
    const admin = clients[0];
    const org = async (kind: string, regionCode: string, name: string): Promise<{ id: string; key: string }> => {
      const body = await admin.expect(201, 'POST', '/v1/organizations', { key: bootstrapKey, json: { kind, name, creditCode: creditCode(regionCode), regionCode } });
      return { id: body.organization.id, key: body.apiKey.secret };
    };
    const firm = await org('hr_firm', '310104', '徐汇人力资源有限公司');
    const bureau = await org('bureau', '310104', '徐汇区人力资源和社会保障局');
    const employer = await org('employer', '310104', '上海某科技有限公司');
    const brands: string[] = [];
    for (let i = 0; i < BRANDS; i++) {
      const brand = await admin.expect(201, 'POST', '/v1/brands', { key: firm.key, json: { name: `浸泡测试品牌${i}`, occupationCode: '4-04-05-05', occupationName: '人工智能训练师', sector: '信息技术', regionCode: '310104' } });
      await admin.expect(200, 'POST', `/v1/brands/${brand.id}/submit`, { key: firm.key });
      await admin.expect(200, 'POST', `/v1/brands/${brand.id}/certify`, { key: bureau.key, json: { level: 'district', validUntil: new Date(Date.now() + 730 * 86_400_000).toISOString().slice(0, 10) } });
      brands.push(brand.id);
    }
    // Imports go to a brand of their own, so that its trainees count exactly what the imports wrote.
    const importBrand = await admin.expect(201, 'POST', '/v1/brands', { key: firm.key, json: { name: '浸泡测试导入品牌', occupationCode: '4-04-05-05', occupationName: '人工智能训练师', sector: '信息技术', regionCode: '310104' } });
    await admin.expect(200, 'POST', `/v1/brands/${importBrand.id}/submit`, { key: firm.key });
    await admin.expect(200, 'POST', `/v1/brands/${importBrand.id}/certify`, { key: bureau.key, json: { level: 'district', validUntil: new Date(Date.now() + 730 * 86_400_000).toISOString().slice(0, 10) } });
    await admin.expect(201, 'POST', '/v1/webhooks', { key: firm.key, json: { url: `http://127.0.0.1:${receiverPort}/hook`, eventTypes: ['placement.*', 'trainee.registered'] } });

    // The load: closed loops over both APIs, each iteration one use case.
    const samples: Sample[] = [];
    const confirmed: string[] = [];
    let idCounter = Math.floor(Math.random() * 1_000_000);
    let turn = 0;
    /** What the load reads of an answer: the new object's id. */
    type Created = { id: string } | null;
    const call = async (what: string, method: string, path: string, key: string, json?: unknown, csv?: Buffer): Promise<{ status: number; body: Created }> => {
      const client = clients[turn++ % clients.length];
      const options = csv ? { key, body: csv, contentType: 'text/csv' } : { key, json };
      const res = await client.request<Created>(method, path, options).catch(() => ({ status: 0, body: null, text: '' }));
      samples.push({ at: Date.now(), status: res.status, what, ...(res.status >= 500 ? { detail: res.text.slice(0, 200) } : {}) });
      return res;
    };
    const today = (): string => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    const register = async (brandId: string): Promise<string | null> => {
      const res = await call('register', 'POST', `/v1/brands/${brandId}/trainees`, firm.key, {
        fullName: '张伟', nationalId: nationalId(idCounter++), phone: '13812345678', targetGroups: ['graduate'], cohort: '2026春季班', expectedMonthlySalaryFen: 1_000_000,
      });
      return res.status === 201 && res.body ? res.body.id : null;
    };
    /** Every import file sent, and whether an answer said it was written (one that was not is sent again after the run). */
    const imports: Array<{ csv: Buffer; answered: boolean }> = [];
    const sendImport = async (file: { csv: Buffer; answered: boolean }): Promise<void> => {
      const res = await call('import', 'POST', `/v1/brands/${importBrand.id}/trainees/import`, firm.key, undefined, file.csv);
      if (res.status === 200) file.answered = true;
    };
    const iteration = async (): Promise<void> => {
      const brandId = brands[Math.floor(Math.random() * brands.length)];
      const r = Math.random();
      if (r < 0.02) {
        const rows = Array.from({ length: IMPORT_ROWS }, () => `李娜,${nationalId(idCounter++)},13912345678,graduate,2026秋季班,900000`);
        const file = { csv: Buffer.from(`fullName,nationalId,phone,targetGroups,cohort,expectedMonthlySalaryFen\n${rows.join('\n')}\n`), answered: false };
        imports.push(file);
        await sendImport(file);
      } else if (r < 0.3) {
        await register(brandId);
      } else if (r < 0.75 || confirmed.length === 0) {
        const traineeId = await register(brandId);
        if (!traineeId) return;
        const proposed = await call('propose', 'POST', '/v1/placements', firm.key, { traineeId, employerId: employer.id, jobTitle: '训练师', workRegionCode: '310104', salaryFen: 15_000_000 + Math.floor(Math.random() * 5_000_000), salaryPeriod: 'annual', startDate: today() });
        if (proposed.status !== 201 || !proposed.body) return;
        const placementId = proposed.body.id;
        const done = await call('confirm', 'POST', `/v1/placements/${placementId}/confirm`, employer.key, {});
        if (done.status === 200) confirmed.push(placementId);
      } else {
        const id = confirmed[Math.floor(Math.random() * confirmed.length)];
        await call('salary-change', 'POST', `/v1/placements/${id}/salary-changes`, employer.key, { salaryFen: 16_000_000 + Math.floor(Math.random() * 8_000_000), salaryPeriod: 'annual', effectiveDate: today() });
      }
    };
    const loadStarted = Date.now();
    const loadEnds = loadStarted + SECONDS * 1000;
    const loops = Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < loadEnds && !stopping) {
        await iteration();
        // A refused connection answers at once: do not spin on a dead API.
        if (samples.length && samples[samples.length - 1].status === 0) await sleep(50);
      }
    });

    // The faults.
    const faults: Fault[] = [];
    const outboxCaughtUp = async (): Promise<boolean> => {
      const client = new Client({ connectionString: pg.url });
      try {
        await client.connect();
        const { rows } = await client.query(`SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(occurred_at)), 0)::float8 AS age FROM outbox_events WHERE delivered_at IS NULL`);
        return rows[0].age < 3;
      } catch {
        return false;
      } finally {
        await client.end().catch(() => undefined);
      }
    };
    const kinds = ['SIGKILL a worker', 'restart Redis', 'restart Postgres', 'SIGKILL an API'];
    const injector = (async () => {
      for (let n = 0; ; n++) {
        const due = loadStarted + (n + 1) * FAULT_EVERY_S * 1000;
        if (due >= loadEnds) return;
        await sleep(due - Date.now());
        const kind = kinds[n % kinds.length];
        const fault: Fault = { kind, at: Date.now(), recoveredAt: null };
        faults.push(fault);
        log(`fault: ${kind}`);
        if (kind === 'SIGKILL a worker') {
          const w = workers[Math.floor(n / kinds.length) % workers.length];
          w.child?.kill('SIGKILL');
          await sleep(1000);
          startService(w, { ...env, PUBLIC_BASE_URL: 'http://127.0.0.1:3000' });
        } else if (kind === 'restart Redis') {
          await redis.stop();
          await sleep(3000);
          await redis.restart();
        } else if (kind === 'restart Postgres') {
          await pg.stop();
          await sleep(3000);
          await pg.start();
        } else {
          const a = apis[Math.floor(n / kinds.length) % apis.length];
          a.child?.kill('SIGKILL');
          await sleep(1000);
          startService(a, { ...env, PUBLIC_BASE_URL: `http://127.0.0.1:${a.port}` });
        }
        const deadline = Date.now() + 120_000;
        let recovered = false;
        while (!recovered && Date.now() < deadline) {
          recovered = (await Promise.all(clients.map(ready))).every(Boolean) && (await outboxCaughtUp());
          if (!recovered) await sleep(200);
        }
        fault.recoveredAt = recovered ? Date.now() : null;
        log(recovered ? `recovered from ${kind} in ${((Date.now() - fault.at) / 1000).toFixed(1)} s` : `NOT recovered from ${kind} within 120 s`);
      }
    })();
    await Promise.all(loops);
    await injector;
    log(`load stopped after ${((Date.now() - loadStarted) / 1000).toFixed(0)} s; ${samples.length} requests; draining`);

    // Drain and check.
    const q = async <T = Record<string, number>>(sql: string, params: unknown[] = []): Promise<T[]> => {
      const client = new Client({ connectionString: pg.url });
      await client.connect();
      try {
        return (await client.query(sql, params)).rows;
      } finally {
        await client.end();
      }
    };
    const until = async (what: string, check: () => Promise<boolean>): Promise<boolean> => {
      const deadline = Date.now() + DRAIN_TIMEOUT_MS;
      while (Date.now() < deadline) {
        if (await check().catch(() => false)) return true;
        await sleep(500);
      }
      log(`not reached within ${DRAIN_TIMEOUT_MS / 1000} s: ${what}`);
      return false;
    };
    // An import whose answer was lost (a fault) is sent again, as a client would: people already in the brand count
    // as duplicates, so a file written before its answer was lost creates nothing twice.
    const unanswered = imports.filter((f) => !f.answered).length;
    for (const file of imports.filter((f) => !f.answered)) {
      for (let attempt = 0; attempt < 20 && !file.answered; attempt++) {
        await sendImport(file);
        if (!file.answered) await sleep(500);
      }
    }
    const [{ n: importedTrainees }] = await q(`SELECT count(*)::int AS n FROM trainees WHERE brand_id = $1`, [importBrand.id]);
    const importsExact = imports.every((f) => f.answered) && importedTrainees === imports.length * IMPORT_ROWS;
    const outboxDrained = await until('no undelivered outbox event', async () => (await q(`SELECT count(*)::int AS n FROM outbox_events WHERE delivered_at IS NULL`))[0].n === 0);
    const deliveriesDone = await until('every webhook delivery succeeded', async () => (await q(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE status <> 'succeeded'`))[0].n === 0);
    const figuresCurrent = await until('every brand\'s figures stamped with its newest event', async () =>
      (await q(`SELECT count(*)::int AS n FROM brands b LEFT JOIN brand_statistics s ON s.brand_id = b.id
                 WHERE s.last_event_seq IS DISTINCT FROM (SELECT max(seq) FROM outbox_events e WHERE e.brand_id = b.id)`))[0].n === 0,
    );
    const figures = async (): Promise<Record<string, unknown>> =>
      Object.fromEntries((await q<{ brand_id: string; f: unknown }>(`SELECT brand_id, to_jsonb(s) - 'computed_at' - 'as_of' - 'last_event_id' - 'last_event_seq' AS f FROM brand_statistics s ORDER BY brand_id`)).map((r) => [r.brand_id, r.f]));
    const kept = await figures();
    execFileSync(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'stats-rebuild.js')], { cwd: ROOT, env: { ...process.env, ...env }, stdio: 'ignore' });
    const rebuilt = await figures();
    const statisticsEqual = isDeepStrictEqual(kept, rebuilt);
    const [{ events, deliveries }] = await q(`SELECT (SELECT count(*)::int FROM outbox_events) AS events, (SELECT count(*)::int FROM webhook_deliveries) AS deliveries`);

    // Summary.
    const windows = faults.map((f) => [f.at, (f.recoveredAt ?? Date.now()) + GRACE_S * 1000]);
    const inWindow = (at: number): boolean => windows.some(([a, b]) => at >= a && at <= b);
    const byStatus = (inside: boolean): Record<string, number> => {
      const counts: Record<string, number> = {};
      for (const s of samples) if (inWindow(s.at) === inside) counts[s.status === 0 ? 'refused' : String(s.status)] = (counts[s.status === 0 ? 'refused' : String(s.status)] ?? 0) + 1;
      return counts;
    };
    const outsideErrors = samples.filter((s) => !inWindow(s.at) && (s.status === 0 || s.status >= 500));
    const summary = {
      seconds: SECONDS,
      concurrency: CONCURRENCY,
      requests: samples.length,
      byWhat: samples.reduce<Record<string, number>>((m, s) => ({ ...m, [s.what]: (m[s.what] ?? 0) + 1 }), {}),
      statusInsideFaultWindows: byStatus(true),
      statusOutsideFaultWindows: byStatus(false),
      faults: faults.map((f) => {
        const end = (f.recoveredAt ?? Date.now()) + GRACE_S * 1000;
        const statuses: Record<string, number> = {};
        for (const x of samples) if (x.at >= f.at && x.at <= end) statuses[x.status === 0 ? 'refused' : String(x.status)] = (statuses[x.status === 0 ? 'refused' : String(x.status)] ?? 0) + 1;
        return { kind: f.kind, atS: Math.round((f.at - loadStarted) / 1000), recoverySeconds: f.recoveredAt ? Number(((f.recoveredAt - f.at) / 1000).toFixed(1)) : null, statuses };
      }),
      serverErrorsInsideFaultWindows: samples.filter((x) => x.status === 500 && inWindow(x.at)).slice(0, 10),
      events,
      webhookDeliveries: deliveries,
      imports: { files: imports.length, rowsEach: IMPORT_ROWS, sentAgainAfterAFault: unanswered, traineesInTheImportBrand: importedTrainees },
      webhookRequestsReceived: received,
      checks: {
        noImportRowLostOrDoubled: importsExact,
        noUndeliveredOutboxEvent: outboxDrained,
        everyWebhookDeliverySucceeded: deliveriesDone,
        figuresCaughtUp: figuresCurrent,
        statisticsEqualRebuild: statisticsEqual,
        no5xxOutsideFaultWindows: outsideErrors.length === 0,
      },
      errorsOutsideFaultWindows: outsideErrors.slice(0, 20),
    };
    console.log(JSON.stringify(summary, null, 2));
    log(`written to ${writeResult('soak', summary)}`);
    for (const c of clients) c.close();
    if (!Object.values(summary.checks).every(Boolean)) process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(`soak failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
});
