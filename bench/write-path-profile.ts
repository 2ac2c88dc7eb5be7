/**
 * Where a write's database time goes: the statements one confirmation and one salary change run (captured from the
 * services themselves, as confirmations.ts does), and EXPLAIN (ANALYZE, BUFFERS) of each statement on a brand with
 * BENCH_PROFILE_PLACEMENTS proposed placements: the time of the statement's own plan and of every trigger it fires.
 *
 *   npx ts-node --transpile-only -P tsconfig.json bench/write-path-profile.ts
 */
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source';
import { ENTITIES } from '../src/entities';
import { chinaToday } from '../src/common/time/china-time';
import { CaptureLogger } from './lib/confirm-sql';
import { insertPartiesAndBrand, insertProposedPlacements } from './lib/confirm-data';
import { benchDatabaseName, createMigratedDatabase, dropDatabase, withClient } from './lib/db';
import { servicesOn } from './lib/services';
import { envInt, fmt, log, median, onInterrupt } from './lib/util';

const PLACEMENTS = envInt('BENCH_PROFILE_PLACEMENTS', 5_000);
const RUNS = envInt('BENCH_RUNS', 20);
const db = benchDatabaseName('profile');

async function main(): Promise<void> {
  onInterrupt(() => dropDatabase(db));
  const url = await createMigratedDatabase(db);
  const { brandId, employerId, hrFirmId } = await withClient(url, insertPartiesAndBrand);
  const ids = await withClient(url, async (c) => {
    const ids = await insertProposedPlacements(c, brandId, employerId, hrFirmId, PLACEMENTS);
    await c.query('VACUUM ANALYZE');
    return ids;
  });
  const logger = new CaptureLogger();
  const ds = new DataSource({ ...dataSourceOptions(url, 2, ENTITIES), logging: ['query'], logger } as ConstructorParameters<typeof DataSource>[0]);
  await ds.initialize();
  const { placements } = servicesOn(ds);
  const employer = { organizationId: employerId, kind: 'employer' as const, regionCode: '310104', apiKeyId: randomUUID() };
  // Warm the caches (plans, pages), then capture one of each.
  for (const id of ids.slice(0, 20)) await placements.confirm(employer, id, {}, undefined);
  const capture = async (fn: () => Promise<unknown>): Promise<Array<{ sql: string; params: unknown[] }>> => {
    const from = logger.statements.length;
    await fn();
    return logger.statements.slice(from);
  };
  const confirm = await capture(() => placements.confirm(employer, ids[20], {}, undefined));
  const salary = await capture(() => placements.changeSalary(employer, ids[0], { salaryFen: 900_000, salaryPeriod: 'monthly', effectiveDate: chinaToday() }, undefined));
  await ds.destroy();
  console.log(`\n=== Statements per request ===\nconfirmation as proposed: ${confirm.length}; salary change: ${salary.length}`);
  for (const s of salary) console.log(`  salary change: ${s.sql.replace(/\s+/g, ' ').slice(0, 140)}`);

  // EXPLAIN ANALYZE every statement of the next RUNS writes of each kind (each in its own transaction, committed, as the
  // service does), summing per plan node and trigger.
  const explain = async (label: string, statements: (i: number) => Array<{ sql: string; params: unknown[] }>): Promise<void> => {
    const totals = new Map<string, number[]>();
    await withClient(url, async (c) => {
      for (let i = 0; i < RUNS; i++) {
        await c.query('BEGIN');
        const per = new Map<string, number>();
        for (const s of statements(i)) {
          if (/^(START TRANSACTION|BEGIN|COMMIT|SET |SELECT pg_notify)/i.test(s.sql)) continue;
          const [row] = (await c.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${s.sql}`, s.params)).rows;
          const plan = row['QUERY PLAN'][0];
          const head = s.sql.replace(/\s+/g, ' ').trim().slice(0, 60);
          per.set(`statement: ${head}`, (per.get(`statement: ${head}`) ?? 0) + plan['Execution Time']);
          for (const t of plan.Triggers ?? []) per.set(`  trigger ${t['Trigger Name']}`, (per.get(`  trigger ${t['Trigger Name']}`) ?? 0) + t.Time);
        }
        await c.query('COMMIT');
        for (const [k, v] of per) totals.set(k, [...(totals.get(k) ?? []), v]);
      }
    });
    console.log(`\n=== ${label}: EXPLAIN ANALYZE, median of ${RUNS} (ms; a statement's time includes its triggers) ===`);
    for (const [k, v] of totals) console.log(`${fmt(median(v), 3).padStart(8)}  ${k}`);
  };
  const confirmSql = confirm.find((s) => /UPDATE placements/.test(s.sql)) ?? confirm[0];
  await explain('confirmation as proposed', (i) => [{ sql: confirmSql.sql, params: [ids[100 + i], ...confirmSql.params.slice(1)] }]);
  await explain('salary change', (i) => salary.map((s) => ({ sql: s.sql, params: s.params.map((p) => (p === ids[0] ? ids[100 + i] : p)) })));
  await dropDatabase(db);
  log('done');
}

main().catch(async (err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  await dropDatabase(db).catch(() => undefined);
  process.exitCode = 1;
});
