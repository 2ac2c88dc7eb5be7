import 'reflect-metadata';
import { types } from 'pg';
import { DataSource, DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { loadConfig } from '../config/config';
import { ENTITIES } from './entities';
import { SnakeNamingStrategy } from './naming';

// A SQL `date` is a civil date, not an instant: keep it as 'YYYY-MM-DD' instead of a Date at local midnight.
types.setTypeParser(types.builtins.DATE, (value: string) => value);

export function dataSourceOptions(databaseUrl: string, poolSize = 20): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities: ENTITIES,
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

/** Used by the TypeORM CLI (`npm run migration:*`); the app builds its own from the validated config. */
export default new DataSource(dataSourceOptions(loadConfig().databaseUrl));
