import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from '../config/config';
import { dataSourceOptions } from '../database/data-source';
import { migrate } from '../database/migrate';
import { StatisticsCalculator } from '../statistics/statistics.calculator';

/** `npm run stats:rebuild`: recomputes every brand's and region's figures from the source tables. */
async function main(): Promise<void> {
  const config = loadConfig();
  await migrate(config.databaseUrl);
  const dataSource = await new DataSource(dataSourceOptions(config.databaseUrl, 2)).initialize();
  try {
    const started = Date.now();
    const { brands, regions } = await new StatisticsCalculator(dataSource).rebuildAll();
    process.stdout.write(`rebuilt ${brands} brands and ${regions} regions in ${Date.now() - started} ms\n`);
  } finally {
    await dataSource.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `stats:rebuild failed: ${(err as Error).message}`);
  process.exit(1);
});
