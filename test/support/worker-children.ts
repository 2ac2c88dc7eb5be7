import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { TestApp } from './test-app';

const ROOT = join(__dirname, '..', '..');

/**
 * Worker-role processes on a test app's database and Redis prefix, for the tests that SIGKILL one mid-job and show
 * another finishes its work. Each runs a script of test/support/ (it prints `ready` once its workers run).
 */
export class WorkerChildren {
  private readonly children: ChildProcess[] = [];

  constructor(private readonly script: string) {}

  /** Starts one with the app's database and Redis, plus `env`; resolves once it runs. */
  async start(t: TestApp, env: Record<string, string> = {}): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join('test', 'support', this.script)], {
      cwd: ROOT,
      env: {
        ...process.env,
        TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
        DATABASE_URL: t.databaseUrl,
        REDIS_URL: t.config.redisUrl,
        REDIS_PREFIX: t.config.redisPrefix,
        BOOTSTRAP_ADMIN_KEY: '',
        RUN_MIGRATIONS: 'false',
        LOG_LEVEL: 'silent',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.push(child);
    let stderr = '';
    child.stderr!.on('data', (c) => (stderr += c.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker did not start in 45 s: ${stderr}`)), 45_000);
      child.stdout!.on('data', (c) => {
        if (c.toString().includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`worker exited (${code}) at start: ${stderr}`));
      });
    });
    return child;
  }

  /** SIGKILLs every one still running and waits until they are gone. */
  async killAll(): Promise<void> {
    const running = this.children.filter((c) => c.exitCode === null && c.signalCode === null);
    for (const child of running) child.kill('SIGKILL');
    await Promise.all(running.map((c) => once(c, 'exit')));
  }
}
