import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { MINIMUM_NODE_VERSION } from '../../src/node-version';
import { adminDatabaseUrl, testRedisUrl } from '../support/database-urls';

const ROOT = join(__dirname, '..', '..');

describe('what a fresh clone installs and connects to', () => {
  it('every locked package accepts the oldest Node.js the service supports: `npm ci` warns no EBADENGINE', () => {
    const oldest = `${MINIMUM_NODE_VERSION.join('.')}.0`;
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node?: string } }> };
    const refusing = Object.entries(lock.packages)
      .filter(([, meta]) => typeof meta.engines?.node === 'string' && !semver.satisfies(oldest, meta.engines.node))
      .map(([path, meta]) => `${path} (${meta.engines?.node})`);
    expect(refusing).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    expect(semver.minVersion(pkg.engines.node)?.version).toBe(oldest);
  });

  it('the tests use the configured Postgres and Redis, not the default ports', () => {
    expect(adminDatabaseUrl({ DATABASE_URL: 'postgres://me:secret@db.internal:6543/labor' })).toBe('postgres://me:secret@db.internal:6543/postgres');
    expect(adminDatabaseUrl({ DATABASE_URL: 'postgres://x@h:1/d', TEST_ADMIN_DATABASE_URL: 'postgres://admin@h:2/maint' })).toBe('postgres://admin@h:2/maint');
    expect(adminDatabaseUrl({})).toBe('postgres://postgres@127.0.0.1:5432/postgres');
    expect(testRedisUrl({ REDIS_URL: 'redis://cache:6380' })).toBe('redis://cache:6380');
    expect(testRedisUrl({})).toBe('redis://127.0.0.1:6379');
  });
});
