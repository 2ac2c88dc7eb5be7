/**
 * A worker-role process for tests that kill one (SIGKILL) mid-job: the outbox relay and the domain-events worker
 * against the test's database and Redis prefix (from the environment, like the real `ROLE=worker`), with a
 * handler for every event that records its attempt, sleeps CHILD_HANDLER_SLEEP_MS, then records the event as
 * processed, idempotently (tables test_event_attempts and test_processed_events, created by the test).
 *
 *   node -r ts-node/register/transpile-only test/support/event-worker-child.ts
 *
 * Prints `ready` on stdout once the worker runs.
 */
import 'reflect-metadata';
import { Inject, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { loadConfig } from '../../src/config/config';
import { EventHandlers } from '../../src/events/event-handlers.service';

const config = loadConfig({ ...process.env, ROLE: 'worker' });
const sleepMs = Number(process.env.CHILD_HANDLER_SLEEP_MS ?? '0');

@Injectable()
class RecordingHandler implements OnModuleInit {
  constructor(
    @Inject(EventHandlers) private readonly handlers: EventHandlers,
    @Inject(DataSource) private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    this.handlers.register('test.*', async (event) => {
      await this.dataSource.query(`INSERT INTO test_event_attempts (event_id, pid) VALUES ($1, $2)`, [event.id, process.pid]);
      await new Promise((r) => setTimeout(r, sleepMs));
      await this.dataSource.query(`INSERT INTO test_processed_events (event_id, pid) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING`, [event.id, process.pid]);
    });
  }
}

@Module({ imports: [AppModule.forRoot(config, { api: false, worker: true })], providers: [RecordingHandler] })
class ChildModule {}

async function main(): Promise<void> {
  const context = await NestFactory.createApplicationContext(ChildModule, { logger: ['error'] });
  context.enableShutdownHooks();
  process.stdout.write('ready\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`event worker child failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
