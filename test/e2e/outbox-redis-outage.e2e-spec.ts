import { EventHandlers } from '../../src/events/event-handlers.service';
import { Outbox } from '../../src/events/outbox.service';
import { appendEvents, sleep, testEvents, undeliveredCount, waitFor } from '../support/events';
import { creditCode } from '../support/factories';
import { PrivateRedis } from '../support/private-redis';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * Redis lost and back (a private redis-server; the machine's shared one is never touched): events written
 * meanwhile stay in the outbox, the API keeps writing, and once Redis answers again every event is delivered
 * and processed.
 */
describe('outbox relay while Redis is down', () => {
  let redis: PrivateRedis;
  let t: TestApp;
  const processed = new Set<string>();

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    t = await startTestApp(
      { REDIS_URL: redis.url, OUTBOX_POLL_MS: '100' },
      { worker: true, beforeInit: (app) => app.get(EventHandlers).register('*', async (e) => void processed.add(e.id)) },
    );
  });
  afterAll(async () => {
    try {
      if (redis && !redis.running) await redis.restart().catch(() => undefined);
      // Closing waits for Redis-bound clients; never let it hang the suite.
      if (t) await Promise.race([t.close(), new Promise((r) => setTimeout(r, 15_000).unref())]);
    } finally {
      await redis?.dispose();
    }
  });

  it('keeps events in the outbox until Redis is back, then delivers and processes them all', async () => {
    const outbox = t.app.get(Outbox);
    const [warmup] = await appendEvents(t.dataSource, outbox, testEvents(1));
    await waitFor('the first event processed', () => processed.has(warmup));

    await redis.stop();

    // The API still writes: the event goes to the outbox, in Postgres.
    const created = await t.request('POST', '/v1/organizations', { body: { kind: 'employer', name: 'Outage Employer', creditCode: creditCode('310104'), regionCode: '310104' } });
    expect(created.status).toBe(201);
    const ids = await appendEvents(t.dataSource, outbox, testEvents(300), 100);
    const [orgEvent] = await t.dataSource.query(`SELECT id FROM outbox_events WHERE type = 'organization.created' AND aggregate_id = $1`, [created.body.organization.id]);
    expect(orgEvent).toBeDefined();
    ids.push(orgEvent.id);

    // Readiness names Redis; metrics still answer (without queue samples).
    const ready = await t.request('GET', '/health/ready', { key: null });
    expect(ready.status).toBe(503);
    expect(ready.body.checks).toEqual({ postgres: 'up', redis: 'down' });
    const metrics = await t.metrics();
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/^outbox_backlog_events \d+/m);

    // Many polls later nothing has moved, and nothing is lost.
    await sleep(1500);
    expect(await undeliveredCount(t.dataSource, ids)).toBe(ids.length);
    expect(ids.some((id) => processed.has(id))).toBe(false);

    await redis.restart();
    const recoveredMs = await waitFor('every event delivered', async () => (await undeliveredCount(t.dataSource, ids)) === 0, 15_000, 20);
    const processedMs = await waitFor('every event processed', () => ids.every((id) => processed.has(id)), 15_000, 20);
    console.log(`redis outage: ${ids.length} events delivered ${recoveredMs} ms after redis-server restarted, processed ${recoveredMs + processedMs} ms after`);

    const after = await t.metrics();
    expect(after.text).toMatch(/^queue_jobs\{queue="domain-events",state="failed"\} 0$/m);
  });
});
