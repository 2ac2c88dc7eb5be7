import 'reflect-metadata';
import { types } from 'pg';
import type { DataSourceOptions, EntitySchema } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { SnakeNamingStrategy } from './naming';

// A SQL `date` is a civil date, not an instant: keep it as 'YYYY-MM-DD' instead of a Date at local midnight.
types.setTypeParser(types.builtins.DATE, (value: string) => value);

export type EntityList = Array<Function | EntitySchema>;

/**
 * The one set of TypeORM options, for the app, the migration runner and the CLIs. The entities are passed in by
 * the composition root (src/entities.ts), which alone knows every module.
 */
export function dataSourceOptions(databaseUrl: string, poolSize = 20, entities: EntityList = []): DataSourceOptions {
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
    extra: { max: poolSize, application_name: 'labor-brands', statement_timeout: 30_000 },
  };
}
