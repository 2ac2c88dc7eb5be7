import { Client } from 'pg';

export default async function globalTeardown(): Promise<void> {
  const template = process.env.LB_TEST_TEMPLATE;
  if (!template) return;
  const client = new Client({ connectionString: process.env.TEST_ADMIN_DATABASE_URL });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
  await client.end();
}
