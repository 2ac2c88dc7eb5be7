import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module';
import { newApiKeySecret } from '../common/auth/api-key-secret';
import { ConfigError, loadConfig } from '../config/config';
import { migrate } from '../database/migrate';
import { PlatformKeys } from '../organizations/bootstrap';

/**
 * `npm run key:create`: prints a new platform API key, for a first key without BOOTSTRAP_ADMIN_KEY. It is printed
 * once and stored only hashed, like every other key; run it again for another key.
 */
async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, BOOTSTRAP_ADMIN_KEY: '' });
  await migrate(config.databaseDirectUrl);
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, { api: false, worker: false }), { logger: ['error'] });
  try {
    const secret = newApiKeySecret();
    await app.get(PlatformKeys).ensure(secret);
    process.stdout.write(`${secret}\n`);
  } finally {
    await app.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `key:create failed: ${(err as Error).message}`);
  process.exit(1);
});
