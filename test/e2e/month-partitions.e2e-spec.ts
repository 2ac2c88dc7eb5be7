/**
 * The outbox and the audit log partitioned by month (migration MonthPartitions): partitions made ahead and on
 * demand, rows the default partition caught moved into their month, the timelines, the event feed and the
 * statistics reconciliation reading across months, and `npm run archive` writing old months to gzip NDJSON
 * before dropping them, refusing a month the relay has not finished with. The audit log stays append-only.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { MonthPartitions1764300860000 } from '../../migrations/1764300860000-MonthPartitions';
import { PrepareAuditPartitionsJob } from '../../src/audit/audit-partitions.job';
import { AuditRepository } from '../../src/audit/audit.repository';
import { archiveAll, parseArgs } from '../../src/cli/archive';
import { dataSourceOptions } from '../../src/database/data-source';
import { archiveFileName } from '../../src/database/month-archive';
import { monthPartitions } from '../../src/database/month-partitions';
import { addMonths, monthOf } from '../../src/database/months';
import { PrepareOutboxPartitionsJob } from '../../src/events/outbox-partitions.job';
import { OutboxRepository } from '../../src/events/outbox.repository';
import { Outbox } from '../../src/events/outbox.service';
import { ReconcileJob } from '../../src/statistics/jobs/upkeep.jobs';
import { StatisticsCalculator } from '../../src/statistics/statistics.calculator';
import { createCertifiedBrand } from '../support/brands';
import { appendEvents, testEvents } from '../support/events';
import { createOrganization, OrgWithKey } from '../support/factories';
import { endPlacement, placeNewTrainee } from '../support/placements';
import { testRedisUrl } from '../support/database-urls';
import { createTestDatabase, dropTestDatabase, startTestApp, TestApp } from '../support/test-app';

const THIS_MONTH = monthOf(new Date());
const M1 = addMonths(THIS_MONTH, -1);
const M2 = addMonths(THIS_MONTH, -2);
const M3 = addMonths(THIS_MONTH, -3);
/** An instant in the middle of a month. */
const inMonth = (month: string, day = 15): string => `${month}-${String(day).padStart(2, '0')}T12:00:00.000Z`;
const part = (table: string, month: string): string => `${table}_y${month.replace('-', 'm')}`;

describe('month partitions and the archive', () => {
  let t: TestApp;
  let outbox: Outbox;
  let firm: OrgWithKey;
  let bureau: OrgWithKey;
  let employer: OrgWithKey;
  let brand: any;
  let placementId: string;
  let archiveDir: string;
  /** Test events moved into M3 while it had no partition. */
  let strays: string[];

  beforeAll(async () => {
    archiveDir = mkdtempSync(join(tmpdir(), 'lb-archive-'));
    t = await startTestApp({ OUTBOX_RETENTION_MONTHS: '0', AUDIT_RETENTION_MONTHS: '0', ARCHIVE_DIR: archiveDir });
    outbox = t.app.get(Outbox);
    firm = await createOrganization(t, 'hr_firm', '310104');
    bureau = await createOrganization(t, 'bureau', '310000');
    employer = await createOrganization(t, 'employer', '310104');
  });
  afterAll(async () => {
    await t?.close();
    rmSync(archiveDir, { recursive: true, force: true });
  });

  /** Moves outbox rows to another instant: the partition key changes, so Postgres moves each row into that month's partition. */
  const backdate = (ids: string[], at: string) => t.dataSource.query(`UPDATE outbox_events SET occurred_at = $2 WHERE id = ANY($1::uuid[])`, [ids, at]);
  const partitionOfEvent = async (id: string): Promise<string> => (await t.dataSource.query(`SELECT tableoid::regclass::text AS p FROM outbox_events WHERE id = $1`, [id]))[0]?.p;
  const eventsOf = async (aggregateId: string): Promise<Array<{ id: string; type: string; seq: string }>> =>
    t.dataSource.query(`SELECT id, type, seq::text AS seq FROM outbox_events WHERE aggregate_id = $1 ORDER BY seq`, [aggregateId]);
  /** An audit row of another month, written as the application writes them but with the time given. */
  const auditAt = async (at: string, action: string): Promise<string> =>
    (await t.dataSource.query(`INSERT INTO audit_log (occurred_at, action, object_type, details) VALUES ($1, $2, 'test', '{"n": 1}') RETURNING id::text AS id`, [at, action]))[0].id;
  const auditPartition = async (id: string): Promise<string> => (await t.dataSource.query(`SELECT tableoid::regclass::text AS p FROM audit_log WHERE id = $1`, [id]))[0]?.p;

  it('a migrated database has this month, the next two and a default partition in both tables', async () => {
    for (const table of ['outbox_events', 'audit_log']) {
      const months = (await monthPartitions(t.dataSource.manager, table)).map((p) => p.month);
      expect(months).toEqual(expect.arrayContaining([THIS_MONTH, addMonths(THIS_MONTH, 1), addMonths(THIS_MONTH, 2)]));
      const [row] = await t.dataSource.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [`${table}_default`]);
      expect(row.present).toBe(true);
    }
    // Today's writes land in this month's partition.
    const [id] = await appendEvents(t.dataSource, outbox, testEvents(1, 'test.now'));
    expect(await partitionOfEvent(id)).toBe(part('outbox_events', THIS_MONTH));
  });

  it('rows of a month without a partition wait in the default partition, and move into the month when it is made', async () => {
    strays = await appendEvents(t.dataSource, outbox, testEvents(3, 'test.stray'));
    await backdate(strays, inMonth(M3));
    const strayAudit = await auditAt(inMonth(M3, 3), 'test.stray');
    expect(await partitionOfEvent(strays[0])).toBe('outbox_events_default');
    expect(await auditPartition(strayAudit)).toBe('audit_log_default');

    expect(await t.app.get(OutboxRepository).prepareMonths([M3, M2, M1])).toEqual([M3, M2, M1]);
    expect(await t.app.get(AuditRepository).prepareMonths([M3, M2, M1])).toEqual([M3, M2, M1]);
    for (const id of strays) expect(await partitionOfEvent(id)).toBe(part('outbox_events', M3));
    expect(await auditPartition(strayAudit)).toBe(part('audit_log', M3));
    // A partition attached after the move carries the append-only row trigger like every other.
    await expect(t.dataSource.query(`DELETE FROM ${part('audit_log', M3)}`)).rejects.toThrow(/audit_log is append-only/);
    // Made once: a second call (another worker, the next round) finds them.
    expect(await t.app.get(OutboxRepository).prepareMonths([M3, M2, M1])).toEqual([]);
    // The move switched the default partition's append-only trigger off for itself only.
    const ancient = await auditAt('2020-01-15T00:00:00Z', 'test.ancient');
    expect(await auditPartition(ancient)).toBe('audit_log_default');
    await expect(t.dataSource.query(`DELETE FROM audit_log_default`)).rejects.toThrow(/audit_log is append-only/);

    // The maintenance jobs: nothing left to make; the months past retention (0 here) named for the archive.
    for (const job of [PrepareOutboxPartitionsJob, PrepareAuditPartitionsJob]) {
      const result = await t.app.get(job).handle();
      expect(result.made).toEqual([]);
      expect(result.pastRetention).toEqual(expect.arrayContaining([M3, M2, M1]));
      expect(result.pastRetention).not.toContain(THIS_MONTH);
    }
  });

  it("a placement's timeline reads its events across three months, page by page", async () => {
    brand = await createCertifiedBrand(t, firm.key, bureau.key);
    ({ placementId } = await placeNewTrainee(t, firm, employer, brand.id, { salaryFen: 18_000_000 }));
    await endPlacement(t, employer, placementId);
    const events = await eventsOf(placementId);
    expect(events.map((e) => e.type)).toEqual(['placement.proposed', 'placement.confirmed', 'placement.ended']);
    await backdate([events[0].id], inMonth(M2, 28));
    await backdate([events[1].id], inMonth(M1, 1));
    // The brand's own events a month back too: its newest event then lies in another partition than its oldest.
    await backdate((await eventsOf(brand.id)).map((e) => e.id), inMonth(M2, 27));

    const items: any[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await t.request('GET', `/v1/placements/${placementId}/events?limit=1${cursor ? `&cursor=${cursor}` : ''}`, { key: firm.key });
      expect(res.status).toBe(200);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(items.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(items.map((e) => monthOf(new Date(e.occurredAt)))).toEqual([M2, M1, THIS_MONTH]);
  });

  it('the event feed pages across the partition boundary in order, its cursor carried from one month into the next', async () => {
    const events = await eventsOf(placementId);
    const seen: any[] = [];
    let after = Buffer.from(JSON.stringify(['0', '0'])).toString('base64url');
    for (let round = 0; round < 20 && seen.length < events.length; round++) {
      const res: any = await t.request('GET', `/v1/events?types=placement.*&brandId=${brand.id}&limit=1&after=${after}&wait=30`);
      expect(res.status).toBe(200);
      seen.push(...res.body.items);
      after = res.body.nextCursor;
    }
    expect(seen.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(new Set(seen.map((e) => monthOf(new Date(e.occurredAt))))).toEqual(new Set([M2, M1, THIS_MONTH]));
  });

  it('the reconcile job finds a brand whose unprocessed events lie in older months, and its figures take the newest event of any month', async () => {
    const calculator = t.app.get(StatisticsCalculator);
    // No worker runs here, so no figures were computed: every event of the brand is unprocessed.
    expect(await calculator.staleBrands()).toContain(brand.id);
    expect((await t.app.get(ReconcileJob).handle()).rescheduled).toBeGreaterThanOrEqual(1);
    await calculator.recomputeBrand(brand.id);
    const [newest] = await t.dataSource.query(`SELECT max(seq)::text AS seq FROM outbox_events WHERE brand_id = $1`, [brand.id]);
    const [figures] = await t.dataSource.query(`SELECT last_event_seq::text AS seq FROM brand_statistics WHERE brand_id = $1`, [brand.id]);
    expect(figures.seq).toBe(newest.seq);
    expect(await calculator.staleBrands()).not.toContain(brand.id);
  });

  it('reads its arguments, and explains itself on a wrong one', () => {
    expect(parseArgs([])).toEqual({});
    expect(parseArgs(['--before', '2026-06'])).toEqual({ before: '2026-06' });
    for (const wrong of [['--before'], ['--before', '2026-13'], ['--before', '202606'], ['--force']]) expect(() => parseArgs(wrong)).toThrow(/usage: npm run archive/);
  });

  describe('npm run archive', () => {
    const lines: string[] = [];
    const say = (line: string): void => {
      lines.push(line);
    };
    /** Each month's rows as Postgres writes them to JSON (UTC), in the archive's order. */
    const rowsAsJson = async (table: string, month: string, order: string): Promise<unknown[]> => {
      const client = new Client({ connectionString: t.databaseUrl });
      await client.connect();
      try {
        await client.query(`SET TimeZone = 'UTC'`);
        const { rows } = await client.query(`SELECT row_to_json(p)::text AS line FROM ${part(table, month)} p ORDER BY ${order}`);
        return rows.map((r) => JSON.parse(r.line));
      } finally {
        await client.end();
      }
    };
    const readArchive = (table: string, month: string): unknown[] =>
      gunzipSync(readFileSync(join(archiveDir, archiveFileName(table, month))))
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l));
    const exists = async (name: string): Promise<boolean> => (await t.dataSource.query(`SELECT to_regclass($1) IS NOT NULL AS present`, [name]))[0].present;

    it('refuses an outbox month that still holds undelivered events, saying so, and archives nothing of it', async () => {
      lines.length = 0;
      const outcomes = await archiveAll(t.config, { before: M1 }, say);
      const refused = outcomes.filter((o) => o.refused !== null);
      expect(refused.map((o) => `${o.table} ${o.month}`)).toEqual([`outbox_events ${M3}`, `outbox_events ${M2}`]);
      expect(lines).toContain(`outbox_events ${M3}: kept, it holds 3 undelivered events; it can be archived once a worker (the outbox relay) has delivered them`);
      expect(await exists(part('outbox_events', M3))).toBe(true);
      expect(readdirSync(archiveDir).filter((f) => f.startsWith('outbox_events'))).toEqual([]);
      // The audit log has nothing to wait for: its old months went, the one whose row waited in the default partition too.
      expect(outcomes.filter((o) => o.table === 'audit_log' && o.refused === null).map((o) => o.month)).toEqual(['2020-01', M3, M2]);
      expect((readArchive('audit_log', '2020-01') as any[]).map((r) => r.action)).toEqual(['test.ancient']);
      expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM audit_log_default`))[0].n).toBe(0);
      expect(await exists(part('audit_log', '2020-01'))).toBe(false);
    });

    it('writes each older month to gzip NDJSON whose lines are its rows, drops it, and leaves the newer months', async () => {
      // The relay's own two steps, as a worker would take them.
      const events = t.app.get(OutboxRepository);
      await t.dataSource.transaction(async (m) => events.markDelivered(m, (await events.claimUndelivered(m, 10_000)).map((e) => e.id)));
      const expected = { [M3]: await rowsAsJson('outbox_events', M3, 'seq'), [M2]: await rowsAsJson('outbox_events', M2, 'seq') };
      expect(expected[M3]).toHaveLength(3);
      const newer = (await t.dataSource.query(`SELECT count(*)::int AS n FROM outbox_events WHERE occurred_at >= $1`, [`${M1}-01T00:00:00Z`]))[0].n;

      lines.length = 0;
      const outcomes = await archiveAll(t.config, { before: M1 }, say);
      expect(outcomes.map((o) => [o.table, o.month, o.refused])).toEqual([['outbox_events', M3, null], ['outbox_events', M2, null]]);
      for (const month of [M3, M2]) {
        const archived = readArchive('outbox_events', month);
        expect(archived).toEqual(expected[month]);
        expect(await exists(part('outbox_events', month))).toBe(false);
      }
      expect((readArchive('outbox_events', M3) as any[]).map((r) => r.id)).toEqual(strays);
      expect((readArchive('outbox_events', M3) as any[])[0]).toEqual(expect.objectContaining({ type: 'test.stray', occurred_at: `${M3}-15T12:00:00+00:00`, data: { n: 0 } }));
      expect(lines).toContain(`outbox_events ${M3}: 3 rows written to ${join(archiveDir, archiveFileName('outbox_events', M3))}; partition dropped`);
      // Newer months untouched; the timeline goes on from what is left.
      expect(await exists(part('outbox_events', M1))).toBe(true);
      expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM outbox_events`))[0].n).toBe(newer);
      const timeline = await t.request('GET', `/v1/placements/${placementId}/events`, { key: firm.key });
      expect(timeline.body.items.map((e: any) => e.type)).toEqual(['placement.confirmed', 'placement.ended']);

      // The audit log's months went on the first run: their files hold their rows.
      const audit = readArchive('audit_log', M3) as any[];
      expect(audit.map((r) => r.action)).toEqual(['test.stray']);
      expect(audit[0]).toEqual(expect.objectContaining({ object_type: 'test', details: { n: 1 }, occurred_at: `${M3}-03T12:00:00+00:00` }));
      expect(await exists(part('audit_log', M3))).toBe(false);
      expect(await exists(part('audit_log', M1))).toBe(true);
    });

    it('is a no-op when run again, and never archives the current month or one inside the retention', async () => {
      const files = readdirSync(archiveDir).sort();
      const sizes = files.map((f) => statSync(join(archiveDir, f)).size);
      lines.length = 0;
      expect(await archiveAll(t.config, { before: M1 }, say)).toEqual([]);
      expect(lines).toEqual([`outbox_events: no month before ${M1} to archive`, `audit_log: no month before ${M1} to archive`]);
      expect(readdirSync(archiveDir).sort()).toEqual(files);
      expect(files.map((f) => statSync(join(archiveDir, f)).size)).toEqual(sizes);

      // A month ahead asks for this month too; the retention (here 0 months before this one) keeps it.
      lines.length = 0;
      await archiveAll({ ...t.config, auditRetentionMonths: 1 }, { before: addMonths(THIS_MONTH, 1) }, say);
      expect(await exists(part('outbox_events', THIS_MONTH))).toBe(true);
      expect(await exists(part('outbox_events', M1))).toBe(false);
      expect(await exists(part('audit_log', M1))).toBe(true);
      expect(lines).toContain(`audit_log: AUDIT_RETENTION_MONTHS=1 keeps ${M1} and later (the current month is ${THIS_MONTH})`);
    });

    it('the command itself: reports what it did, exits 0 with nothing left to do, 1 with a usage on a wrong argument', async () => {
      const run = (args: string[]) =>
        promisify(execFile)('npx', ['ts-node', '--transpile-only', 'src/cli/archive.ts', ...args], {
          env: { ...process.env, DATABASE_URL: t.databaseUrl, REDIS_URL: testRedisUrl(), ARCHIVE_DIR: archiveDir, OUTBOX_RETENTION_MONTHS: '0', AUDIT_RETENTION_MONTHS: '1', LOG_LEVEL: 'silent' },
        });
      const { stdout } = await run([]);
      expect(stdout).toBe(`outbox_events: no month before ${THIS_MONTH} to archive\naudit_log: no month before ${M1} to archive\n`);
      await expect(run(['--before', 'June'])).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('--before takes a month as YYYY-MM (got June)') });
    });
  });

  it('the audit log still refuses to change or lose rows, through the table and through any of its partitions', async () => {
    const id = await auditAt(new Date().toISOString(), 'test.kept');
    const recent = await auditAt(inMonth(M1, 20), 'test.kept');
    for (const sql of [
      `UPDATE audit_log SET action = 'x' WHERE id = ${id}`,
      `DELETE FROM audit_log WHERE id = ${id}`,
      `DELETE FROM audit_log WHERE false`,
      `TRUNCATE audit_log`,
      `UPDATE ${part('audit_log', THIS_MONTH)} SET action = 'x'`,
      `DELETE FROM ${part('audit_log', THIS_MONTH)}`,
      `DELETE FROM ${part('audit_log', M1)} WHERE id = ${recent}`,
    ]) {
      await expect(t.dataSource.query(sql)).rejects.toThrow(/audit_log is append-only/);
    }
    expect(await auditPartition(id)).toBe(part('audit_log', THIS_MONTH));
    expect(await auditPartition(recent)).toBe(part('audit_log', M1));
  });
});

describe('the migration that partitions the tables', () => {
  it('keeps every row, sequence position and the append-only trigger, one way and back', async () => {
    const url = await createTestDatabase();
    const ds = new DataSource(dataSourceOptions(url, 2));
    await ds.initialize();
    const migration = new MonthPartitions1764300860000();
    const step = async (direction: 'up' | 'down'): Promise<void> => {
      const runner = ds.createQueryRunner();
      await runner.startTransaction();
      await migration[direction](runner);
      await runner.commitTransaction();
      await runner.release();
    };
    const kind = async (table: string): Promise<string> => (await ds.query(`SELECT relkind::text AS k FROM pg_class WHERE oid = to_regclass($1)`, [table]))[0].k;
    const snapshot = async (): Promise<unknown[]> =>
      ds.query(`SELECT (SELECT json_agg(o ORDER BY seq) FROM outbox_events o) AS outbox, (SELECT json_agg(a ORDER BY id) FROM audit_log a) AS audit`);
    const old = addMonths(THIS_MONTH, -14);
    try {
      await step('down');
      expect([await kind('outbox_events'), await kind('audit_log')]).toEqual(['r', 'r']);
      await ds.query(
        `INSERT INTO outbox_events (aggregate_type, aggregate_id, type, occurred_at, delivered_at)
         SELECT 'test', gen_random_uuid(), 'test.old', t, t FROM unnest($1::timestamptz[]) AS t`,
        [[inMonth(old), inMonth(M2), new Date().toISOString()]],
      );
      await ds.query(`INSERT INTO audit_log (occurred_at, action, object_type) SELECT t, 'test.old', 'test' FROM unnest($1::timestamptz[]) AS t`, [[inMonth(old), inMonth(M1)]]);
      const before = await snapshot();

      await step('up');
      expect([await kind('outbox_events'), await kind('audit_log')]).toEqual(['p', 'p']);
      expect(await snapshot()).toEqual(before);
      const months = (await monthPartitions(ds.manager, 'outbox_events')).map((p) => p.month);
      expect(months[0]).toBe(old);
      expect(months[months.length - 1]).toBe(addMonths(THIS_MONTH, 2));
      expect(months).toHaveLength(17);
      const [oldest] = await ds.query(`SELECT tableoid::regclass::text AS p FROM audit_log WHERE occurred_at = $1`, [inMonth(old)]);
      expect(oldest.p).toBe(part('audit_log', old));
      // The sequences carry on past every copied row.
      const [max] = await ds.query(`SELECT (SELECT max(seq) FROM outbox_events)::text AS seq, (SELECT max(id) FROM audit_log)::text AS id`);
      const [next] = await ds.query(`INSERT INTO outbox_events (aggregate_type, aggregate_id, type) VALUES ('test', gen_random_uuid(), 'test.new') RETURNING seq::text AS seq`);
      expect(BigInt(next.seq)).toBeGreaterThan(BigInt(max.seq));
      const [audited] = await ds.query(`INSERT INTO audit_log (action, object_type) VALUES ('test.new', 'test') RETURNING id`);
      expect(BigInt(audited.id)).toBeGreaterThan(BigInt(max.id));
      await expect(ds.query(`DELETE FROM ${part('audit_log', old)}`)).rejects.toThrow(/append-only/);

      const partitioned = await snapshot();
      await step('down');
      expect([await kind('outbox_events'), await kind('audit_log')]).toEqual(['r', 'r']);
      expect(await snapshot()).toEqual(partitioned);
      await expect(ds.query(`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
      const [unique] = await ds.query(`SELECT indisunique AS u FROM pg_index WHERE indexrelid = to_regclass('ux_outbox_seq')`);
      expect(unique.u).toBe(true);
      await step('up');
    } finally {
      await ds.destroy();
      await dropTestDatabase(url);
    }
  });
});
