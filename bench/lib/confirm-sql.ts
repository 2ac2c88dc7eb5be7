/**
 * The SQL of one placement confirmation, captured from the service itself (PlacementsService.confirm run in this
 * process with a TypeORM logger that records every statement and its parameters), turned into a pgbench script.
 * Running that script with pgbench gives the database's own ceiling for exactly the app's transaction, without
 * Node, Nest, TypeORM or Redis: the gap between it and the HTTP figure is the application tier's cost.
 */
import { randomUUID } from 'node:crypto';
import { DataSource, Logger as OrmLogger } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source';
import { ENTITIES } from '../../src/entities';
import type { ConfirmPlacementDto } from '../../src/placements/dto/placement.dto';
import { insertPartiesAndBrand, insertProposedPlacements } from './confirm-data';
import { withClient } from './db';
import { servicesOn } from './services';

/** Records every statement a TypeORM data source runs, with its parameters. */
export class CaptureLogger implements OrmLogger {
  readonly statements: Array<{ sql: string; params: unknown[] }> = [];
  logQuery(query: string, parameters?: unknown[]): void {
    this.statements.push({ sql: query, params: parameters ?? [] });
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/**
 * JSON with a space after each key's colon: pgbench reads `:name` anywhere in a command as a variable, even inside
 * a string literal, so `"endDate":null` would become a parameter.
 */
const json = (v: unknown): string => JSON.stringify(v).replace(/":/g, '": ');

function arrayElement(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  const s = v instanceof Date ? v.toISOString() : typeof v === 'object' ? json(v) : typeof v === 'string' && v.startsWith('{') ? json(JSON.parse(v)) : String(v);
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A parameter as an SQL literal; the placement's and trainee's ids become the pgbench variables :pid and :tid. */
function literal(v: unknown, ids: { placementId: string; traineeId: string }): string {
  if (v === ids.placementId) return ':pid';
  if (v === ids.traineeId) return ':tid';
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Date) return quote(v.toISOString());
  if (Array.isArray(v)) return quote(`{${v.map(arrayElement).join(',')}}`);
  if (typeof v === 'object') return quote(json(v));
  return quote(String(v));
}

function render(sql: string, params: unknown[], ids: { placementId: string; traineeId: string }): string {
  // Highest numbers first, so $1 does not eat the start of $12.
  let out = sql;
  for (let i = params.length; i >= 1; i--) out = out.split(`$${i}`).join(literal(params[i - 1], ids));
  out = out.replace(/\s+/g, ' ').trim();
  // pgbench reads `:name` as a variable even inside a string literal: spell the colons of a to_char format
  // (HH24:MI:SS) with chr(58), and refuse any other such colon rather than send pgbench something else.
  out = out.replace(/HH24:MI:SS/g, `HH24' || chr(58) || 'MI' || chr(58) || 'SS`);
  let quoted = false;
  for (let i = 0; i < out.length; i++) {
    if (out[i] === "'") quoted = !quoted; // '' inside a literal toggles twice
    else if (quoted && out[i] === ':' && /[A-Za-z_]/.test(out[i + 1] ?? '')) {
      throw new Error(`a string literal of the captured SQL holds a colon pgbench would read as a variable: …${out.slice(i - 20, i + 20)}…`);
    }
  }
  return out;
}

/**
 * Confirms one placement through the service (with `dto`: {} takes the one-statement path, terms such as
 * { salaryPeriod } the general transaction) and answers the statements it ran, rendered for pgbench. The
 * after-commit wake-up NOTIFY (sent a few ms later, coalesced per process) is not part of it.
 */
export async function captureConfirmStatements(
  databaseUrl: string,
  p: { placementId: string; traineeId: string; employerId: string },
  dto: ConfirmPlacementDto = {},
): Promise<string[]> {
  const logger = new CaptureLogger();
  const ds = new DataSource({ ...dataSourceOptions(databaseUrl, 2, ENTITIES), logging: ['query'], logger } as ConstructorParameters<typeof DataSource>[0]);
  await ds.initialize();
  let from = 0;
  let to = 0;
  try {
    const service = servicesOn(ds).placements;
    from = logger.statements.length; // TypeORM's start-up queries (version, schema, extension) come first
    await service.confirm({ organizationId: p.employerId, kind: 'employer', regionCode: '310104', apiKeyId: randomUUID() }, p.placementId, dto, undefined);
    to = logger.statements.length;
  } finally {
    await ds.destroy();
  }
  return logger.statements.slice(from, to).map((s) => render(s.sql, s.params, p));
}

/** The pick every script starts with: the next prepared placement, in order (bench_seq), so none is used twice in a run. */
export const PICK_NEXT = `SELECT id AS pid, trainee_id AS tid, employer_id AS emp FROM bench_pick WHERE n = (SELECT nextval('bench_seq')) \\gset`;

/** pgbench script: the next prepared placement (see PICK_NEXT), then the captured statements. */
export function pgbenchScript(statements: string[]): string {
  return [PICK_NEXT, ...statements.map((s) => (s === 'START TRANSACTION' ? 'BEGIN;' : `${s};`)), ''].join('\n');
}

/**
 * A migrated database made ready for the scripts: a brand with `rows` + 2 proposed placements, `bench_pick` (their
 * order) and `bench_seq` (the next to take); answers the captured statements of one confirmation as proposed
 * (`hot`: one statement) and one with terms (`general`: the transaction), on the two placements past `rows`.
 */
export async function prepareConfirmSqlDatabase(url: string, rows: number): Promise<{ hot: string[]; general: string[] }> {
  return withClient(url, async (c) => {
    const { brandId, employerId, hrFirmId } = await insertPartiesAndBrand(c);
    await insertProposedPlacements(c, brandId, employerId, hrFirmId, rows + 2);
    await c.query(`CREATE TABLE bench_pick AS SELECT row_number() OVER () AS n, id, trainee_id, employer_id FROM placements WHERE status = 'proposed'`);
    await c.query(`CREATE UNIQUE INDEX ON bench_pick (n)`);
    await c.query(`CREATE SEQUENCE bench_seq MAXVALUE ${rows}`);
    await c.query('VACUUM ANALYZE');
    const [a, b] = (await c.query(`SELECT id, trainee_id FROM bench_pick WHERE n > $1 ORDER BY n`, [rows])).rows;
    return {
      hot: await captureConfirmStatements(url, { placementId: a.id, traineeId: a.trainee_id, employerId }),
      general: await captureConfirmStatements(url, { placementId: b.id, traineeId: b.trainee_id, employerId }, { salaryPeriod: 'monthly' }),
    };
  });
}

/** Puts the prepared placements back to proposed, so the next script meets the same data. */
export async function resetConfirmSqlDatabase(url: string): Promise<void> {
  await withClient(url, async (c) => {
    await c.query(`UPDATE placements SET status = 'proposed', confirmed_at = NULL, version = 1 WHERE status <> 'proposed'`);
    await c.query(`UPDATE trainees SET status = 'registered', version = 1 WHERE status <> 'registered'`);
    await c.query(`DELETE FROM placement_salary_changes`);
    await c.query(`SELECT setval('bench_seq', 1, false)`);
    await c.query('VACUUM ANALYZE placements');
    await c.query('VACUUM ANALYZE trainees');
  });
}
