/**
 * Databases of the bench: each script creates its own (name `bench_<what>_<pid>`), applies the app's migrations
 * with `migrate()` and drops it at the end. Only local servers are accepted.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { Client } from 'pg';
import { migrate } from '../../src/database/migrate';
import { nowMs } from './util';

/** The maintenance database of the local server; every bench database is created next to it. */
export const ADMIN_URL = process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function assertLocal(url: string): void {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) throw new Error(`bench runs against local servers only (got host ${host})`);
}
assertLocal(ADMIN_URL);

export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export function benchDatabaseName(what: string): string {
  return `bench_${what}_${process.pid}`;
}

async function admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** CREATE DATABASE, then the app's own migrations. Answers the database URL. */
export async function createMigratedDatabase(name: string): Promise<string> {
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  const url = databaseUrl(name);
  await migrate(url);
  return url;
}

export async function createEmptyDatabase(name: string): Promise<string> {
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  return databaseUrl(name);
}

export async function dropDatabase(name: string): Promise<void> {
  await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

export async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a local program (psql, pgbench) and collects its output. */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const started = nowMs();
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: nowMs() - started }));
  });
}

/** psql connection arguments (host, port, user, database) from a URL. */
export function psqlArgs(url: string): string[] {
  const u = new URL(url);
  return ['-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username || 'postgres'), '-d', decodeURIComponent(u.pathname.slice(1))];
}

/** The pgbench binary: on PATH, else Debian's versioned directory. */
export function pgbenchBinary(): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    try {
      if (readdirSync(dir).includes('pgbench')) return `${dir}/pgbench`;
    } catch {
      /* not a directory */
    }
  }
  return '/usr/lib/postgresql/15/bin/pgbench';
}

// ------------------------------------------------------------------------------------------- CPU accounting

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of one process, in CPU milliseconds (0 when it is gone). */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** CPU of this process's reaped children (cutime + cstime): how pgbench and psql runs are accounted. */
export function reapedChildrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / TICKS_PER_SECOND;
}

/**
 * CPU milliseconds of every Postgres backend currently connected to `database` (matched on the process title
 * `postgres: <cluster>: <user> <database> …`), by pid, so a caller can take deltas over the backends that lived
 * through a whole phase. Shared processes (WAL writer, checkpointer) are not included.
 */
export function postgresBackendsCpuMs(database: string): Map<number, number> {
  const result = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmd.startsWith('postgres: ')) continue;
      const parts = cmd.replace(/\0/g, ' ').split(/\s+/);
      // postgres: 15/main: postgres bench_x 127.0.0.1(1234) idle
      if (parts[3] !== database) continue;
      result.set(Number(entry), processCpuMs(Number(entry)));
    } catch {
      /* process ended meanwhile */
    }
  }
  return result;
}

/** CPU used by `database`'s backends between two snapshots (backends born in between count from zero). */
export function backendsCpuDeltaMs(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, cpu] of after) total += cpu - (before.get(pid) ?? 0);
  return total;
}

/** Pids of the processes whose command line starts with `prefix` (e.g. `redis-server`). */
export function pidsOf(prefix: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').startsWith(prefix)) pids.push(Number(entry));
    } catch {
      /* process ended meanwhile */
    }
  }
  return pids;
}
