/**
 * Every rule is written once in TypeScript; where the database needs it (a check, an index predicate, a trigger,
 * a list filter), the SQL is built from the same constant. These tests compare what the migrated database holds,
 * and what the SQL forms answer, with the TypeScript rules, so the two cannot drift apart unnoticed.
 */
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { BRAND_STATUSES, effectiveBrandStatus, effectiveBrandStatusSql, takesNewTrainees, takesNewTraineesSql, type BrandStatus } from '../../src/brands/brand.rules';
import type { Actor } from '../../src/common/auth/actor';
import { SqlParams } from '../../src/database/sql';
import { becomesCurrentSalary, becomesCurrentSalarySql, jobDateOkSql, jobDateProblem } from '../../src/placements/placement.rules';
import { Policy } from '../../src/policy/policy';
import { WRITING_TRANSACTION_FUNCTION, WRITING_TRANSACTION_FUNCTION_DDL, WRITING_TRANSACTION_SQL } from '../../src/events/outbox.fragments';
import { TALLY_FUNCTIONS, TALLY_TRIGGERS, talliesFingerprint } from '../../src/statistics/tallies.sql';
import { canBePlaced, canBePlacedSql, TRAINEE_STATUSES } from '../../src/trainees/trainee.rules';
import { startTestApp, TestApp } from '../support/test-app';

/** Runs `work` in a transaction that is always rolled back: probes leave nothing behind. */
async function probing<T>(t: TestApp, work: (m: EntityManager) => Promise<T>): Promise<T> {
  const runner = t.dataSource.createQueryRunner();
  await runner.connect();
  await runner.startTransaction();
  try {
    return await work(runner.manager);
  } finally {
    await runner.rollbackTransaction();
    await runner.release();
  }
}

describe('rules written once, in TypeScript and in the database alike', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  it('the entities describe the migrated schema exactly (migration:generate finds nothing to do)', async () => {
    const pending = await t.dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('every check constraint and partial-index predicate in the database is the one built from the rules', async () => {
    const compared: string[] = [];
    await probing(t, async (m) => {
      for (const entity of t.dataSource.entityMetadatas) {
        const table = entity.tableName;
        // Postgres prints an expression in one canonical form: put the expected one through it on a copy of the table.
        await m.query(`CREATE TEMP TABLE probe_${table} (LIKE ${table}) ON COMMIT DROP`);
        for (const check of entity.checks) {
          const [stored] = await m.query(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = $1 AND conrelid = $2::regclass`, [check.name, table]);
          await m.query(`ALTER TABLE probe_${table} ADD CONSTRAINT probe_${check.name} CHECK (${check.expression})`);
          const [expected] = await m.query(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = $1`, [`probe_${check.name}`]);
          expect({ check: check.name, def: stored?.def }).toEqual({ check: check.name, def: expected.def });
          compared.push(check.name!);
        }
        for (const index of entity.indices.filter((i) => i.where)) {
          const [stored] = await m.query(
            `SELECT pg_get_expr(i.indpred, i.indrelid) AS predicate FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1`,
            [index.name],
          );
          await m.query(`CREATE INDEX probe_${index.name} ON probe_${table} (${index.columns[0].databaseName}) WHERE ${index.where}`);
          const [expected] = await m.query(
            `SELECT pg_get_expr(i.indpred, i.indrelid) AS predicate FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1`,
            [`probe_${index.name}`],
          );
          expect({ index: index.name, predicate: stored?.predicate }).toEqual({ index: index.name, predicate: expected.predicate });
          compared.push(index.name!);
        }
      }
    });
    // The rules this guards by name: the status lists, the one open placement per trainee, the ordered figures.
    expect(compared).toEqual(expect.arrayContaining(['ck_placements_status', 'ck_trainees_status', 'ck_brands_status', 'ux_placements_open_per_trainee', 'ix_placements_active_salary', 'ix_placements_active_uplift', 'ix_brands_expiry', 'ck_certifications_status_list_entry', 'ix_certifications_revoked_entries']));
  });

  it('the tally functions in the database are the source in src/statistics/tallies.sql.ts', async () => {
    for (const [name, source] of Object.entries(TALLY_FUNCTIONS)) {
      const body = source.slice(source.indexOf('$$') + 2, source.lastIndexOf('$$'));
      const [stored] = await t.dataSource.query(`SELECT prosrc FROM pg_proc WHERE proname = $1`, [name]);
      expect({ name, body: stored?.prosrc }).toEqual({ name, body });
    }
  });

  it('the tally triggers in the database are the source in src/statistics/tallies.sql.ts', async () => {
    await probing(t, async (m) => {
      for (const [name, { table, sql }] of Object.entries(TALLY_TRIGGERS)) {
        const [stored] = await m.query(`SELECT pg_get_triggerdef(oid) AS def FROM pg_trigger WHERE tgname = $1 AND tgrelid = $2::regclass`, [name, table]);
        // Transition tables are not allowed on temporary tables: probe on a real copy, dropped with the rollback.
        await m.query(`CREATE TABLE IF NOT EXISTS probe_${table} (LIKE ${table})`);
        await m.query(sql.replace(`TRIGGER ${name}`, `TRIGGER probe_${name}`).replace(` ON ${table} `, ` ON probe_${table} `));
        const [expected] = await m.query(`SELECT pg_get_triggerdef(oid) AS def FROM pg_trigger WHERE tgname = $1`, [`probe_${name}`]);
        expect({ name, def: stored?.def }).toEqual({ name, def: expected.def.replace(`probe_${name}`, name).replace(`probe_${table}`, table) });
      }
    });
  });

  it('the tally source is what the newest migration that installs it recorded (a change needs a migration)', () => {
    const installers = MIGRATIONS.map((M) => new (M as new () => { name: string; talliesFingerprint?: string })()).filter((m) => m.talliesFingerprint);
    const newest = installers[installers.length - 1];
    expect(newest).toBeDefined();
    if (newest.talliesFingerprint !== talliesFingerprint()) {
      throw new Error(
        `src/statistics/tallies.sql.ts changed since ${newest.name} installed it: existing databases still run the old functions. ` +
          `Add a migration that installs them again (CREATE OR REPLACE) and records talliesFingerprint() = ${talliesFingerprint()}.`,
      );
    }
  });

  it('canBePlaced and its SQL form answer alike for every status, erased or not', async () => {
    const cases = TRAINEE_STATUSES.flatMap((status) => [false, true].map((erased) => ({ status, erased })));
    const p = new SqlParams();
    const rows: Array<{ i: number; ok: boolean }> = await t.dataSource.query(
      `SELECT t.i, ${canBePlacedSql('t')} AS ok FROM unnest(${p.add(cases.map((c) => c.status))}::text[], ${p.add(cases.map((c) => c.erased))}::boolean[])
         WITH ORDINALITY AS t(status, erased, i)`,
      p.values,
    );
    for (const row of rows) expect({ ...cases[Number(row.i) - 1], ok: row.ok }).toEqual({ ...cases[Number(row.i) - 1], ok: canBePlaced(cases[Number(row.i) - 1]) });
    expect(rows).toHaveLength(cases.length);
  });

  it('effectiveBrandStatus and takesNewTrainees answer as their SQL forms for every status and validity', async () => {
    const today = '2026-06-15';
    const cases = BRAND_STATUSES.flatMap((status) => [null, '2026-06-14', today, '2026-06-16'].map((validUntil) => ({ status, validUntil })));
    const p = new SqlParams();
    const on = `${p.add(today)}::date`;
    const effective = effectiveBrandStatusSql('b.status', 'b.valid_until', on);
    const rows: Array<{ i: string; effective: BrandStatus; open: boolean }> = await t.dataSource.query(
      `SELECT b.i, ${effective} AS effective, ${takesNewTraineesSql(effective)} AS open
         FROM unnest(${p.add(cases.map((c) => c.status))}::text[], ${p.add(cases.map((c) => c.validUntil))}::date[]) WITH ORDINALITY AS b(status, valid_until, i)`,
      p.values,
    );
    expect(rows).toHaveLength(cases.length);
    for (const row of rows) {
      const c = cases[Number(row.i) - 1];
      const status = effectiveBrandStatus(c.status, c.validUntil, today);
      expect({ ...c, effective: row.effective, open: row.open }).toEqual({ ...c, effective: status, open: takesNewTrainees(status) });
    }
    // Both answers occur, so the comparison can fail either way.
    expect(new Set(rows.map((r) => r.open))).toEqual(new Set([true, false]));
  });

  it('a date within a job and whether a salary change becomes current: the SQL forms answer as the TypeScript does', async () => {
    const days = ['2025-12-31', '2026-01-01', '2026-01-02', '2026-02-28', '2026-03-01', '2027-01-01'];
    const cases = days.flatMap((date) => days.flatMap((start) => [...days, null].map((other) => ({ date, start, other }))));
    const p = new SqlParams();
    const rows: Array<{ i: number; within: boolean; current: boolean | null }> = await t.dataSource.query(
      `SELECT c.i, ${jobDateOkSql('c.date', 'c.start', 'c.other')} AS within, ${becomesCurrentSalarySql('c.date', 'c.other')} AS current
         FROM unnest(${p.add(cases.map((c) => c.date))}::date[], ${p.add(cases.map((c) => c.start))}::date[], ${p.add(cases.map((c) => c.other))}::date[])
         WITH ORDINALITY AS c(date, start, other, i)`,
      p.values,
    );
    expect(rows).toHaveLength(cases.length);
    for (const row of rows) {
      const c = cases[Number(row.i) - 1];
      // `other` is the latest effective date for the salary (null without history), and today for the date check.
      expect({ ...c, current: row.current }).toEqual({ ...c, current: becomesCurrentSalary(c.date, c.other) });
      if (c.other !== null) expect({ ...c, within: row.within }).toEqual({ ...c, within: jobDateProblem(c.date, c.start, c.other) === null });
    }
  });

  describe('the access policy and its SQL filters', () => {
    const operatorId = randomUUID();
    const employerId = randomUUID();
    const actor = (kind: Actor['kind'], regionCode: string, organizationId = randomUUID()): Actor => ({ kind, regionCode, organizationId, apiKeyId: randomUUID() });
    const actors: Array<[string, Actor]> = [
      ['platform', actor('platform', '100000')],
      ['operator', actor('hr_firm', '310104', operatorId)],
      ['another HR firm', actor('hr_firm', '310104')],
      ['district bureau', actor('bureau', '310104')],
      ['city bureau', actor('bureau', '310100')],
      ['province bureau', actor('bureau', '310000')],
      ['national bureau', actor('bureau', '100000')],
      ['bureau elsewhere', actor('bureau', '440305')],
      ['the employer', actor('employer', '310104', employerId)],
      ['another employer', actor('employer', '310104')],
    ];
    const brands = BRAND_STATUSES.flatMap((status) => ['310104', '310115', '320102'].map((regionCode) => ({ status, regionCode, operatorId })));

    it('visibleBrandsSql admits exactly the brands canSeeBrand does', async () => {
      for (const [who, a] of actors) {
        const p = new SqlParams();
        const sql = `SELECT b.i, ${Policy.visibleBrandsSql(a, { status: 'b.status', operatorId: 'b.operator_id', regionCode: 'b.region_code' }, p)} AS visible
                       FROM unnest(${p.add(brands.map((b) => b.status))}::text[], ${p.add(brands.map((b) => b.operatorId))}::uuid[], ${p.add(brands.map((b) => b.regionCode))}::text[])
                       WITH ORDINALITY AS b(status, operator_id, region_code, i)`;
        const rows: Array<{ i: string; visible: boolean }> = await t.dataSource.query(sql, p.values);
        for (const row of rows) {
          const brand = brands[Number(row.i) - 1];
          expect({ who, ...brand, visible: row.visible }).toEqual({ who, ...brand, visible: Policy.canSeeBrand(a, { ...brand, status: brand.status as BrandStatus }) });
        }
      }
    });

    it('operatesBrandSql admits exactly the brands isBrandOperator does', async () => {
      for (const [who, a] of actors) {
        const p = new SqlParams();
        const sql = `SELECT b.i, ${Policy.operatesBrandSql(a, { operatorId: 'b.operator_id' }, p)} AS operates
                       FROM unnest(${p.add(brands.map((b) => b.operatorId))}::uuid[]) WITH ORDINALITY AS b(operator_id, i)`;
        const rows: Array<{ i: string; operates: boolean }> = await t.dataSource.query(sql, p.values);
        expect(rows).toHaveLength(brands.length);
        for (const row of rows) {
          const brand = brands[Number(row.i) - 1];
          expect({ who, ...brand, operates: row.operates }).toEqual({ who, ...brand, operates: Policy.isBrandOperator(a, brand) });
        }
      }
    });

    it('visiblePlacementsSql admits exactly the placements a role is found for', async () => {
      const placements = brands.flatMap((b) => [employerId, randomUUID()].map((employer) => ({ ...b, employerId: employer })));
      for (const [who, a] of actors) {
        const p = new SqlParams();
        const sql = `SELECT x.i, ${Policy.visiblePlacementsSql(a, { employerId: 'x.employer_id', operatorId: 'x.operator_id', regionCode: 'x.region_code' }, p)} AS visible
                       FROM unnest(${p.add(placements.map((x) => x.employerId))}::uuid[], ${p.add(placements.map((x) => x.operatorId))}::uuid[], ${p.add(placements.map((x) => x.regionCode))}::text[])
                       WITH ORDINALITY AS x(employer_id, operator_id, region_code, i)`;
        const rows: Array<{ i: string; visible: boolean }> = await t.dataSource.query(sql, p.values);
        for (const row of rows) {
          const x = placements[Number(row.i) - 1];
          expect({ who, ...x, visible: row.visible }).toEqual({ who, ...x, visible: Policy.placementRole(a, x, x) !== null });
        }
      }
    });

    it('visibleEventsSql admits exactly the events seesEvent does (with and without a brand, naming an employer or not)', async () => {
      const events = [
        ...['310104', '310115', '320102'].flatMap((regionCode) =>
          [employerId, randomUUID(), null].map((named) => ({ brand: { operatorId, regionCode } as { operatorId: string; regionCode: string } | null, employerId: named })),
        ),
        { brand: null, employerId: null },
        { brand: null, employerId },
      ];
      for (const [who, a] of actors) {
        const p = new SqlParams();
        const sql = `SELECT x.i, ${Policy.visibleEventsSql(a, { employerId: 'x.employer_id', operatorId: 'x.operator_id', regionCode: 'x.region_code' }, p)} AS visible
                       FROM unnest(${p.add(events.map((e) => e.employerId))}::text[], ${p.add(events.map((e) => e.brand?.operatorId ?? null))}::uuid[], ${p.add(events.map((e) => e.brand?.regionCode ?? null))}::text[])
                       WITH ORDINALITY AS x(employer_id, operator_id, region_code, i)`;
        const rows: Array<{ i: string; visible: boolean }> = await t.dataSource.query(sql, p.values);
        expect(rows).toHaveLength(events.length);
        for (const row of rows) {
          const e = events[Number(row.i) - 1];
          const event = { brandId: e.brand ? randomUUID() : null, data: e.employerId ? { employerId: e.employerId } : {} };
          expect({ who, ...e, visible: row.visible }).toEqual({ who, ...e, visible: Policy.seesEvent(a, event, e.brand) });
        }
      }
    });
  });

  it("the outbox's writing-transaction function is the one the events module declares", async () => {
    const [row] = await t.dataSource.query(`SELECT pg_get_functiondef($1::regproc) AS def`, [WRITING_TRANSACTION_FUNCTION]);
    await probing(t, async (m) => {
      await m.query(WRITING_TRANSACTION_FUNCTION_DDL.replace(`FUNCTION ${WRITING_TRANSACTION_FUNCTION}(`, `FUNCTION pg_temp.probe_${WRITING_TRANSACTION_FUNCTION}(`));
      const [probe] = await m.query(`SELECT pg_get_functiondef('pg_temp.probe_${WRITING_TRANSACTION_FUNCTION}'::regproc) AS def`);
      expect(row.def.replace(/public\./, '')).toBe(probe.def.replace(/pg_temp(_\d+)?\.probe_/, ''));
    });
    const [column] = await t.dataSource.query(`SELECT column_default FROM information_schema.columns WHERE table_name = 'outbox_events' AND column_name = 'xid'`);
    expect(column.column_default).toBe(WRITING_TRANSACTION_SQL);
  });
});
