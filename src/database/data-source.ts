import 'reflect-metadata';
import { types } from 'pg';
import type { DataSourceOptions, EntitySchema } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { SnakeNamingStrategy } from './naming';

// A SQL `date` is a civil date, not an instant: keep it as 'YYYY-MM-DD' instead of a Date at local midnight.
types.setTypeParser(types.builtins.DATE, (value: string) => value);

export type EntityList = Array<Function | EntitySchema>;

/** Every statement of the service ends within this; a runaway query cannot hold a connection for ever. */
export const STATEMENT_TIMEOUT_MS = 30_000;

// A key of the pool options that node-postgres ignores: how a data source says whether its connections keep named
// prepared statements, where the repositories can read it (DataSource.options) without another dependency.
const NAMED_STATEMENTS = 'labor_brands_named_statements';

/**
 * The one set of TypeORM options, for the app, the migration runner and the CLIs. The entities are passed in by
 * the composition root (src/entities.ts), which alone knows every module.
 *
 * `pooled`: the URL is PgBouncer in transaction mode, which refuses start-up parameters it does not track
 * (statement_timeout among them); its server connections get the timeout from PgBouncer's `connect_query` or
 * the role's settings instead (docs/operations.md). Nor can it keep named prepared statements (the next
 * transaction may run on a server connection that never saw the PREPARE): the hot statements that are prepared
 * on a direct connection (`namedStatementsAllowed`) run unnamed through a pooler. Nothing else here keeps session
 * state: no SET outside a transaction, no session advisory lock.
 */
export function dataSourceOptions(databaseUrl: string, poolSize = 20, entities: EntityList = [], pooled = false): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    namingStrategy: new SnakeNamingStrategy(),
    // gen_random_uuid() is built into Postgres 13+: no extension needed for uuid keys.
    uuidExtension: 'pgcrypto',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: { max: poolSize, application_name: 'labor-brands', ...(pooled ? {} : { statement_timeout: STATEMENT_TIMEOUT_MS }), [NAMED_STATEMENTS]: !pooled },
  };
}

/** Whether the connections of this data source keep named prepared statements (not through PgBouncer). */
export function namedStatementsAllowed(options: DataSourceOptions): boolean {
  return (options as { extra?: Record<string, unknown> }).extra?.[NAMED_STATEMENTS] === true;
}
