import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { ensureDebianTool } from './debian-packages';
import { freePort } from './private-redis';

/** Debian's PgBouncer (package `pgbouncer`), installed by the test set-up when missing. */
export const PGBOUNCER = process.env.PGBOUNCER_PATH ?? '/usr/sbin/pgbouncer';

export function ensurePgbouncer(): string {
  return ensureDebianTool(PGBOUNCER, ['pgbouncer'], 'the PgBouncer tests');
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A PgBouncer of the test's own in transaction mode, on a spare port, in front of the server of `upstreamUrl`
 * (any database: `*`), with a generated ini and user list (auth_type any: the local Postgres trusts). The server
 * connections get the statement timeout the app cannot send through it, as a deployment's would (connect_query).
 * Runs as the `postgres` user when the tests run as root (PgBouncer refuses root).
 */
export class Pgbouncer {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly upstream: URL,
  ) {}

  static async start(upstreamUrl: string, poolSize = 10): Promise<Pgbouncer> {
    const path = ensurePgbouncer();
    const upstream = new URL(upstreamUrl);
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'lb-pgbouncer-'));
    chmodSync(dir, 0o755);
    const user = decodeURIComponent(upstream.username || 'postgres');
    writeFileSync(join(dir, 'userlist.txt'), `"${user}" ""\n`);
    writeFileSync(
      join(dir, 'pgbouncer.ini'),
      [
        '[databases]',
        `* = host=${upstream.hostname} port=${upstream.port || 5432} user=${user} connect_query='SET statement_timeout = 30000'`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        `unix_socket_dir = ${dir}`,
        'auth_type = any',
        `auth_file = ${join(dir, 'userlist.txt')}`,
        'pool_mode = transaction',
        `default_pool_size = ${poolSize}`,
        'max_client_conn = 500',
        'ignore_startup_parameters = extra_float_digits',
        `logfile = ${join(dir, 'pgbouncer.log')}`,
        `pidfile = ${join(dir, 'pgbouncer.pid')}`,
        '',
      ].join('\n'),
    );
    const bouncer = new Pgbouncer(port, dir, upstream);
    const asRoot = userInfo().uid === 0;
    if (asRoot) {
      const { execFileSync } = await import('node:child_process');
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
      for (const f of ['', 'userlist.txt', 'pgbouncer.ini']) chownSync(join(dir, f), uid, gid);
    }
    const child = spawn(path, [...(asRoot ? ['-u', 'postgres'] : []), join(dir, 'pgbouncer.ini')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    bouncer.child = child;
    bouncer.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void bouncer.exited.then(() => (bouncer.child = null));
    const deadline = Date.now() + 10_000;
    while (!(await listening(port))) {
      if (!bouncer.child) throw new Error(`pgbouncer exited at start: ${stderr.slice(0, 500)}`);
      if (Date.now() > deadline) throw new Error('pgbouncer did not listen');
      await new Promise((r) => setTimeout(r, 50));
    }
    return bouncer;
  }

  /** The same database as `databaseUrl`, reached through this PgBouncer. */
  urlFor(databaseUrl: string): string {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  /** For afterAll: never throws, leaves no process or file behind. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child) {
      child.kill('SIGINT');
      await this.exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
