/**
 * A worker-role process for the import-job tests, which start it, and kill one (SIGKILL) mid-import: the whole
 * worker role against the test's database and Redis prefix (from the environment, like the real `ROLE=worker`).
 *
 *   node -r ts-node/register/transpile-only test/support/import-worker-child.ts
 *
 * Prints `ready` on stdout once the worker runs.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../../src/app.module';
import { loadConfig } from '../../src/config/config';

const config = loadConfig({ ...process.env, ROLE: 'worker' });

async function main(): Promise<void> {
  const context = await NestFactory.createApplicationContext(AppModule.forRoot(config, { api: false, worker: true }), { logger: ['error'] });
  context.enableShutdownHooks();
  process.stdout.write('ready\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`import worker child failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
