import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { migrate } from '../../src/database/migrate';
import { adminDatabaseUrl } from './database-urls';
import { ensureChromium } from './browser';
import { ensurePromtool } from './debian-packages';
import { ensurePgbouncer } from './pgbouncer';

const ROOT = join(__dirname, '..', '..');

/** Newest modification time of the files under `dir`. */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/**
 * The public pages the API serves are built from web/ into dist/web (`npm run build`); a fresh clone has no build,
 * and a build older than its sources would test old pages: build them then (esbuild, about a second).
 */
function ensurePagesBuilt(): void {
  const manifest = join(ROOT, 'dist', 'web', 'manifest.json');
  // web/ and the pure rules it imports from src/.
  const shared = ['src/dashboard/language.rules.ts', 'src/dashboard/page-data.rules.ts', 'src/common/identifiers/region-code.ts', 'package-lock.json'].map((f) => statSync(join(ROOT, f)).mtimeMs);
  const sources = Math.max(newest(join(ROOT, 'web')), ...shared);
  if (existsSync(manifest) && statSync(manifest).mtimeMs >= sources) return;
  execFileSync(process.execPath, [join(ROOT, 'web', 'build.mjs'), '--quiet'], { stdio: 'inherit' });
}

/**
 * Migrates one template database per test run; each e2e test file then clones it (CREATE DATABASE … TEMPLATE),
 * which takes a fraction of a second and isolates the file's data completely.
 */
/**
 * The page tests drive Debian's chromium: install it now when it is missing (apt-get, as root or with sudo), as
 * scripts/setup.sh installs PostgreSQL, rather than inside a test's time. Where that is impossible the page tests
 * fail, saying why; the rest of the suite runs.
 */
function ensureBrowser(): void {
  try {
    ensureChromium();
  } catch (err) {
    console.error(`==> the page tests need chromium, which could not be installed: ${(err as Error).message}`);
  }
  try {
    ensurePromtool();
  } catch (err) {
    console.error(`==> the metrics tests need promtool, which could not be installed: ${(err as Error).message}`);
  }
  try {
    ensurePgbouncer();
  } catch (err) {
    console.error(`==> the PgBouncer tests need pgbouncer, which could not be installed: ${(err as Error).message}`);
  }
}

export default async function globalSetup(): Promise<void> {
  ensurePagesBuilt();
  ensureBrowser();
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
