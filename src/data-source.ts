import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './config/config';
import { dataSourceOptions } from './database/data-source';
import { ENTITIES } from './entities';

/** For the TypeORM CLI (`npm run migration:generate`); the app builds its own from the validated config. */
export default new DataSource(dataSourceOptions(loadConfig().databaseUrl, 2, ENTITIES));
