import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadConfig } from '../../src/config/config';
import { checkConnectionBudget, ConnectionBudgetError, serverConnections } from '../../src/database/connection-budget';
import { createTestDatabase, dropTestDatabase } from '../support/test-app';

const ROOT = join(__dirname, '..', '..');

/** Runs `npm start`'s entry (through ts-node) with `env`; answers its exit code and standard error. */
function startProcess(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'node_modules', '.bin', 'ts-node'), '--transpile-only', join(ROOT, 'src', 'main.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', METRICS_PORT: '0', PORT: '0', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('the connection budget against the real Postgres', () => {
  let databaseUrl: string;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
  });

  afterAll(async () => {
    if (databaseUrl) await dropTestDatabase(databaseUrl);
  });

  it("reads max_connections, the reserved slots and other clients' connections", async () => {
    const client = new Client({ connectionString: databaseUrl, application_name: 'someone-else' });
    await client.connect();
    try {
      const server = await serverConnections(databaseUrl);
      const [row] = (await client.query(`SELECT current_setting('max_connections')::int AS max`)).rows;
      expect(server.maxConnections).toBe(row.max);
      expect(server.reserved).toBeGreaterThanOrEqual(0);
      // This test's own connection is another application's; the check's own connection is not counted.
      expect(server.usedByOthers).toBeGreaterThanOrEqual(1);
    } finally {
      await client.end();
    }
  });

  it('lets one process through and refuses as many processes as the server has connections', async () => {
    await expect(checkConnectionBudget(loadConfig({ DATABASE_URL: databaseUrl }))).resolves.toBeUndefined();
    const { maxConnections } = await serverConnections(databaseUrl);
    const tooMany = loadConfig({ DATABASE_URL: databaseUrl, DATABASE_EXPECTED_PROCESSES: String(maxConnections) });
    await expect(checkConnectionBudget(tooMany)).rejects.toThrow(ConnectionBudgetError);
    await expect(checkConnectionBudget(tooMany)).rejects.toThrow(/connection budget is exceeded.*max_connections/);
    await expect(checkConnectionBudget({ ...tooMany, databaseBudgetCheck: false })).resolves.toBeUndefined();
  });

  it('start-up refuses such a configuration with exit code 78 and says what to change', async () => {
    const { maxConnections } = await serverConnections(databaseUrl);
    const { code, stderr } = await startProcess({ DATABASE_URL: databaseUrl, DATABASE_EXPECTED_PROCESSES: String(maxConnections), ROLE: 'api' });
    expect(stderr).toContain('Invalid configuration');
    expect(stderr).toContain('DATABASE_EXPECTED_PROCESSES');
    expect(stderr).toContain('max_connections');
    expect(code).toBe(78);
  });
});
