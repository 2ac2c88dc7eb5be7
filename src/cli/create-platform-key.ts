import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { AuditLog } from '../audit/audit-log';
import { ConfigError, loadConfig } from '../config/config';
import { dataSourceOptions } from '../database/data-source';
import { migrate } from '../database/migrate';
import { newApiKeySecret } from '../organizations/api-key-secret';
import { ensureBootstrapAdmin } from '../organizations/bootstrap';

/**
 * `npm run key:create`: prints a new platform API key, for a first key without BOOTSTRAP_ADMIN_KEY. It is printed
 * once and stored only hashed, like every other key; run it again for another key.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  await migrate(config.databaseUrl);
  const dataSource = await new DataSource(dataSourceOptions(config.databaseUrl, 2)).initialize();
  try {
    const secret = newApiKeySecret();
    await ensureBootstrapAdmin(dataSource, new AuditLog(dataSource), secret);
    process.stdout.write(`${secret}\n`);
  } finally {
    await dataSource.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `key:create failed: ${(err as Error).message}`);
  process.exit(1);
});
