import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module';
import { ConfigError, loadConfig } from '../config/config';
import { migrate } from '../database/migrate';
import { StatisticsCalculator } from '../statistics/statistics.calculator';

/** `npm run stats:rebuild`: rebuilds every brand's tallies and recomputes every brand's and region's figures. */
async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, BOOTSTRAP_ADMIN_KEY: '', DATABASE_POOL_SIZE: '2' });
  await migrate(config.databaseDirectUrl);
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, { api: false, worker: false }), { logger: ['error'] });
  try {
    const started = Date.now();
    const { brands, regions } = await app.get(StatisticsCalculator).rebuildAll();
    process.stdout.write(`rebuilt ${brands} brands and ${regions} regions in ${Date.now() - started} ms\n`);
  } finally {
    await app.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `stats:rebuild failed: ${(err as Error).message}`);
  process.exit(1);
});
