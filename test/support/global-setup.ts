import { Client } from 'pg';
import { migrate } from '../../src/database/migrate';
import { adminDatabaseUrl } from './database-urls';

/**
 * Migrates one template database per test run; each e2e test file then clones it (CREATE DATABASE … TEMPLATE),
 * which takes a fraction of a second and isolates the file's data completely.
 */
export default async function globalSetup(): Promise<void> {
  const admin = adminDatabaseUrl();
  const template = `lb_tpl_${process.pid}_${Date.now().toString(36)}`;
  const url = new URL(admin);
  url.pathname = `/${template}`;
  await migrate(url.toString());
  // Connections to a template block cloning; the migration's pool is closed, but make sure.
  const client = new Client({ connectionString: admin });
  await client.connect();
  await client.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [template]);
  await client.end();
  process.env.LB_TEST_TEMPLATE = template;
  process.env.TEST_ADMIN_DATABASE_URL = admin;
}
