/**
 * The service under test, as a child process: `node dist/src/main.js` with its own database, Redis prefix and port,
 * so its memory (VmHWM / VmRSS) and CPU time can be read from /proc. A preload script lets the bench start and stop
 * a V8 CPU profile of a chosen window over the IPC channel.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Redis from 'ioredis';
import { BENCH_DIR, sleep } from './util';
import { HttpClient } from './http';

const ROOT = join(BENCH_DIR, '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS file shared with scripts/start-split.mjs
const { heapFlags } = require('../../scripts/heap.cjs') as { heapFlags: (nodeOptions?: string) => string[] };

export const MAIN_JS = join(ROOT, 'dist', 'src', 'main.js');
const PRELOAD = join(BENCH_DIR, 'lib', 'cpu-profile-preload.cjs');
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** dist must exist; a source file newer than it is reported (the bench would measure the older build). */
export function checkBuild(): void {
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run \`npm run build\` first`);
  const built = statSync(MAIN_JS).mtimeMs;
  const stale: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts') && statSync(p).mtimeMs > built) stale.push(p);
    }
  };
  walk(join(ROOT, 'src'));
  walk(join(ROOT, 'migrations'));
  // Other people edit this tree too: warn rather than refuse, and name what is newer than the build.
  if (stale.length) console.log(`WARNING: dist/ is older than ${stale.length} source file(s) (${stale.map((p) => p.slice(ROOT.length + 1)).join(', ')}): the API runs the build, not these edits; \`npm run build\` to include them`);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ApiOptions {
  databaseUrl: string;
  redisPrefix: string;
  bootstrapKey: string;
  /** Extra environment (LOG_LEVEL, DATABASE_POOL_SIZE, …). */
  env?: Record<string, string>;
  /** Where the child's stdout (pino logs) goes: a file path, or nowhere. */
  logFile?: string;
  /** ROLE of the child (default both). A worker has no API port: it is ready when its metrics listener answers. */
  role?: 'api' | 'worker' | 'both';
}

export interface ApiProcess {
  baseUrl: string;
  /** Where the process serves GET /metrics (its own listener, not the API port). */
  metricsUrl: string;
  pid: number;
  http: HttpClient;
  /** VmRSS and VmHWM of the child, in kB. */
  memory(): { rssKb: number; hwmKb: number };
  /** Highest VmRSS seen by the 50 ms sampler since the last call (then resets). */
  takeRssPeakKb(): number;
  /** utime + stime of the child, CPU ms. */
  cpuMs(): number;
  /** stime alone (time in the kernel: syscalls such as socket writes), CPU ms. */
  sysCpuMs(): number;
  /** process.memoryUsage() of the child (heap, external, arrayBuffers), over IPC. */
  memoryUsage(): Promise<NodeJS.MemoryUsage>;
  startProfile(): Promise<void>;
  /** Stops the profile and answers the path of the written .cpuprofile. */
  stopProfile(file: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startApi(options: ApiOptions): Promise<ApiProcess> {
  checkBuild();
  const port = await freePort();
  const metricsPort = await freePort();
  const stdout = options.logFile ? openSync(options.logFile, 'a') : 'ignore';
  // As `npm run up` starts each process: with the heap ceiling (scripts/heap.cjs).
  const child: ChildProcess = spawn(process.execPath, [...heapFlags(process.env.NODE_OPTIONS), '--require', PRELOAD, MAIN_JS], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ROLE: options.role ?? 'both',
      HOST: '127.0.0.1',
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      METRICS_HOST: '127.0.0.1',
      DATABASE_URL: options.databaseUrl,
      REDIS_URL,
      REDIS_PREFIX: options.redisPrefix,
      BOOTSTRAP_ADMIN_KEY: options.bootstrapKey,
      // The limiter stays on (its Redis round trip is part of every request) with a limit no run reaches;
      // 10,000,000 is the highest value the config accepts.
      RATE_LIMIT_MAX: '10000000',
      RUN_MIGRATIONS: 'false',
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      ...options.env,
    },
    stdio: ['ignore', stdout, 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-20_000);
  });
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));

  const pid = child.pid as number;
  const readStatus = (): { rssKb: number; hwmKb: number } => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
      return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
    } catch {
      return { rssKb: 0, hwmKb: 0 };
    }
  };
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, readStatus().rssKb);
  }, 50);
  sampler.unref();

  const baseUrl = `http://127.0.0.1:${port}`;
  const http = new HttpClient(baseUrl, 4);
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`API exited with ${exited} before it was ready:\n${stderr}`);
    try {
      if (options.role === 'worker') {
        if ((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).ok) break;
      } else {
        const res = await http.request('GET', '/health/ready');
        if (res.status === 200) break;
      }
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`API not ready after 90 s:\n${stderr}`);
    await sleep(200);
  }

  const ipc = <T>(message: Record<string, unknown>, reply: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const onMessage = (m: { type?: string; error?: string } & T): void => {
        if (m?.type !== reply) return;
        child.off('message', onMessage);
        if (m.error) reject(new Error(m.error));
        else resolve(m);
      };
      child.on('message', onMessage);
      child.send(message);
    });

  return {
    baseUrl,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    pid,
    http,
    memory: readStatus,
    takeRssPeakKb: () => {
      const p = Math.max(peak, readStatus().rssKb);
      peak = 0;
      return p;
    },
    cpuMs: () => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
      } catch {
        return 0;
      }
    },
    memoryUsage: async () => (await ipc<{ usage: NodeJS.MemoryUsage }>({ type: 'memory' }, 'memory-usage')).usage,
    sysCpuMs: () => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[12]) * 1000) / 100;
      } catch {
        return 0;
      }
    },
    startProfile: async () => {
      await ipc({ type: 'profile-start' }, 'profile-started');
    },
    stopProfile: async (file: string) => {
      await ipc({ type: 'profile-stop', file }, 'profile-written');
      return file;
    },
    stop: async () => {
      clearInterval(sampler);
      http.close();
      if (exited !== undefined) return;
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await done;
      clearTimeout(timer);
    },
  };
}

/** Deletes every Redis key under the bench's own prefix (BullMQ queues, rate-limit counters). */
export async function clearRedisPrefix(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}
