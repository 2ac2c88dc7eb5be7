/**
 * The PostgreSQL server the tests create their databases on: TEST_ADMIN_DATABASE_URL when set, else the server of
 * DATABASE_URL (the one `npm test`'s set-up prepared), reached through its `postgres` database, else the local
 * default. Each test file clones its own database there.
 */
export function adminDatabaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TEST_ADMIN_DATABASE_URL) return env.TEST_ADMIN_DATABASE_URL;
  const url = new URL(env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/labor_brands');
  url.pathname = '/postgres';
  return url.toString();
}

/** The Redis the tests use (each with a key prefix of its own): REDIS_URL, else the local default. */
export function testRedisUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.REDIS_URL || 'redis://127.0.0.1:6379';
}
