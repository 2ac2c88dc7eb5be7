import type { Queue } from 'bullmq';
import { randomBytes } from 'node:crypto';
import { EventHandlers } from '../../src/events/event-handlers.service';
import { Outbox } from '../../src/events/outbox.service';
import { OutboxRelay } from '../../src/events/outbox-relay';
import type { DomainEventJob } from '../../src/events/event-handlers.service';
import { appendEvents, deleteRedisPrefix, domainEventsQueue, sleep, testEvents, undeliveredCount, waitFor } from '../support/events';
import { startTestApp, TestApp } from '../support/test-app';
import { testRedisUrl } from '../support/database-urls';

const EVENTS = 2000;

/**
 * The relay and the domain-events worker: exactly one job per event with two relays and two workers on one
 * database and Redis prefix, harmless re-delivery, LISTEN wake-ups and their reconnection, graceful shutdown.
 */
describe('outbox relay', () => {
  const prefix = `lbt_${randomBytes(5).toString('hex')}`;
  let writer: TestApp;
  const extra: TestApp[] = [];
  let queue: Queue;

  beforeAll(async () => {
    // The writer serves HTTP only: no relay of its own.
    writer = await startTestApp({ REDIS_PREFIX: prefix });
    queue = domainEventsQueue(writer.config);
  });
  afterAll(async () => {
    for (const app of extra) await app.close().catch(() => undefined);
    await queue?.close().catch(() => undefined);
    await writer?.close();
    await deleteRedisPrefix(writer?.config.redisUrl ?? testRedisUrl(), prefix).catch(() => undefined);
  });

  /** Another process of the same deployment, with the worker role. */
  async function workerApp(env: Record<string, string>, handlers: Array<[string, (e: DomainEventJob) => Promise<void>]>): Promise<TestApp> {
    const app = await startTestApp(
      { REDIS_PREFIX: prefix, BOOTSTRAP_ADMIN_KEY: writer.platformKey, ...env },
      { databaseUrl: writer.databaseUrl, worker: true, beforeInit: (a) => handlers.forEach(([p, h]) => a.get(EventHandlers).register(p, h)) },
    );
    extra.push(app);
    return app;
  }

  async function closeApp(app: TestApp): Promise<void> {
    extra.splice(extra.indexOf(app), 1);
    await app.close();
  }

  describe('two relays and two workers at once', () => {
    const processed = new Map<string, number>();
    const record = async (e: DomainEventJob): Promise<void> => {
      processed.set(e.id, (processed.get(e.id) ?? 0) + 1);
    };
    let a: TestApp;
    let b: TestApp;
    let ids: string[];

    beforeAll(async () => {
      [a, b] = await Promise.all([workerApp({}, [['test.*', record]]), workerApp({}, [['test.*', record]])]);
    });
    afterAll(async () => {
      for (const app of [a, b]) if (app) await closeApp(app);
    });

    it('turn 2,000 events into exactly 2,000 jobs, each processed once', async () => {
      // Four transactions of 500 events, committed together, so the timing below is the relays' alone.
      const outbox = writer.app.get(Outbox);
      const runners = await Promise.all([0, 1, 2, 3].map(async () => {
        const runner = writer.dataSource.createQueryRunner();
        await runner.connect();
        await runner.startTransaction();
        return runner;
      }));
      ids = [];
      for (const [i, runner] of runners.entries()) {
        const appended = await outbox.append(runner.manager, null, testEvents(500).map((e) => ({ ...e, data: { n: i * 500 + (e.data.n as number) } })));
        ids.push(...appended.map((e) => e.id));
      }
      await Promise.all(runners.map(async (runner) => {
        await runner.commitTransaction();
        await runner.release();
      }));
      const deliveredMs = await waitFor('every event delivered', async () => (await undeliveredCount(writer.dataSource)) === 0, 20_000, 5);
      const processedMs = await waitFor('every event processed', () => processed.size === EVENTS, 20_000, 5);
      const relayed = [a, b].map((app) => app.app.get(OutboxRelay).stats.delivered);
      console.log(
        `relay: ${EVENTS} events committed in 4 transactions; all delivered to BullMQ ${deliveredMs} ms ` +
          `after the commit (${Math.round(EVENTS / (deliveredMs / 1000))} events/s, two relays: ${relayed.join(' + ')}); ` +
          `all processed by two workers (concurrency 8 each, no-op handler) ${deliveredMs + processedMs} ms after the commit`,
      );

      // No row claimed by both relays, none left.
      expect(relayed[0] + relayed[1]).toBe(EVENTS);
      const [row] = await writer.dataSource.query(`SELECT count(*)::int AS n, count(delivered_at)::int AS delivered FROM outbox_events WHERE type = 'test.happened'`);
      expect(row).toEqual({ n: EVENTS, delivered: EVENTS });

      // One job per event, its id the event id and its name the type.
      await waitFor('every job completed', async () => (await queue.getJobCounts('completed')).completed === EVENTS);
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized');
      expect(Object.values(counts).reduce((s, n) => s + n, 0)).toBe(EVENTS);
      const jobs = await queue.getJobs(['completed'], 0, -1);
      const jobIds = jobs.map((j) => j.id);
      expect(new Set(jobIds).size).toBe(EVENTS);
      expect(new Set(jobIds)).toEqual(new Set(ids));
      const sample = jobs.find((j) => j.id === ids[17]);
      expect(sample?.name).toBe('test.happened');
      expect(sample?.data).toMatchObject({ id: ids[17], type: 'test.happened', aggregateType: 'test', brandId: null, data: { n: 17 }, actorOrganizationId: null });
      expect(sample?.data.occurredAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(typeof sample?.data.seq).toBe('string');

      // Each event handled exactly once (nothing failed, so nothing was retried).
      expect(processed.size).toBe(EVENTS);
      expect([...processed.values()].every((n) => n === 1)).toBe(true);
    });

    it('relaying an event again (a crash between addBulk and commit) adds no job and runs nothing twice', async () => {
      const again = ids.slice(0, 100);
      const before = { a: a.app.get(OutboxRelay).stats.delivered, b: b.app.get(OutboxRelay).stats.delivered };
      await writer.dataSource.query(`UPDATE outbox_events SET delivered_at = NULL WHERE id = ANY($1::uuid[])`, [again]);
      await writer.dataSource.query(`SELECT pg_notify('outbox_events', '')`);
      await waitFor('re-delivery', async () => (await undeliveredCount(writer.dataSource)) === 0);
      // The rows were relayed a second time…
      expect(a.app.get(OutboxRelay).stats.delivered - before.a + (b.app.get(OutboxRelay).stats.delivered - before.b)).toBe(100);
      await sleep(300);
      // …but the queue already held those job ids: no new job, no second run.
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized');
      expect(Object.values(counts).reduce((s, n) => s + n, 0)).toBe(EVENTS);
      expect([...processed.values()].every((n) => n === 1)).toBe(true);
    });
  });

  it('wakes on NOTIFY, not the poll, and listens again after its connection is killed', async () => {
    const seen = new Set<string>();
    // A poll of a minute: anything delivered sooner came through LISTEN/NOTIFY.
    const relay = await workerApp({ OUTBOX_POLL_MS: '60000' }, [['test.*', async (e) => void seen.add(e.id)]]);
    const listenerPid = async (): Promise<number | null> => {
      const rows = await writer.dataSource.query(
        `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'labor-brands:outbox-listen' AND query ILIKE 'LISTEN%'`,
      );
      return rows.length === 1 ? rows[0].pid : null;
    };
    await waitFor('the relay to listen', async () => (await listenerPid()) !== null);

    const [first] = await appendEvents(writer.dataSource, writer.app.get(Outbox), testEvents(1, 'test.notified'));
    const firstMs = await waitFor('delivery by NOTIFY', async () => (await undeliveredCount(writer.dataSource, [first])) === 0, 3000, 5);

    const pid = await listenerPid();
    await writer.dataSource.query(`SELECT pg_terminate_backend($1)`, [pid]);
    await waitFor('a new LISTEN connection', async () => {
      const now = await listenerPid();
      return now !== null && now !== pid;
    });
    const [second] = await appendEvents(writer.dataSource, writer.app.get(Outbox), testEvents(1, 'test.notified'));
    const secondMs = await waitFor('delivery by NOTIFY after reconnecting', async () => (await undeliveredCount(writer.dataSource, [second])) === 0, 3000, 5);
    await waitFor('both processed', () => seen.has(first) && seen.has(second));
    console.log(`relay: delivered ${firstMs} ms after commit; after the LISTEN connection was killed and re-made, ${secondMs} ms`);
    await closeApp(relay);
  });

  it('graceful shutdown: close() waits for the job in hand, which finishes with the database still open', async () => {
    const timeline: string[] = [];
    let handlerError: unknown = null;
    let app: TestApp | undefined = undefined;
    app = await workerApp({}, [
      [
        'test.slow',
        async (e) => {
          timeline.push('started');
          await sleep(1500);
          try {
            await app!.dataSource.query(`SELECT $1::uuid`, [e.id]);
          } catch (err) {
            handlerError = err;
          }
          timeline.push('finished');
        },
      ],
    ]);
    const [id] = await appendEvents(writer.dataSource, writer.app.get(Outbox), testEvents(1, 'test.slow'));
    await waitFor('the slow job to start', () => timeline.includes('started'));
    await closeApp(app);
    timeline.push('closed');
    expect(timeline).toEqual(['started', 'finished', 'closed']);
    expect(handlerError).toBeNull();
    const job = await queue.getJob(id);
    expect(await job?.getState()).toBe('completed');
  });
});
