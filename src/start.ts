import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { createApp } from './app.factory';
import { AppModule } from './app.module';
import { createLogger, PinoNestLogger } from './common/logging/logger';
import { AppConfig, ConfigError, loadConfig } from './config/config';
import { checkConnectionBudget, ConnectionBudgetError } from './database/connection-budget';
import { migrate } from './database/migrate';

/** Reads the configuration, migrates, and runs the role ROLE names (the API, the workers, or both). */
export async function start(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  if (config.runMigrations) await migrate(config.databaseDirectUrl, (m) => logger.info(m));
  try {
    await checkConnectionBudget(config);
  } catch (err) {
    if (err instanceof ConnectionBudgetError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }

  if (config.role === 'worker') {
    const context = await NestFactory.createApplicationContext(AppModule.forRoot(config, { api: false, worker: true }), { logger: new PinoNestLogger(logger) });
    context.enableShutdownHooks();
    logger.info({ role: config.role }, 'worker started');
    return;
  }
  const { app } = await createApp(config, { api: true, worker: config.role === 'both' });
  await app.listen({ port: config.port, host: config.host });
  logger.info({ role: config.role, port: config.port }, 'labor-brands listening');
}

