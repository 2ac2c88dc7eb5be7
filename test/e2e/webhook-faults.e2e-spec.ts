import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Outbox } from '../../src/events/outbox.service';
import { WebhookReconciler } from '../../src/webhooks/webhook-reconciler';
import { appendEvents, deleteRedisPrefix, testEvents, waitFor } from '../support/events';
import { PrivateRedis } from '../support/private-redis';
import { startTestApp, TestApp } from '../support/test-app';
import { WorkerChildren } from '../support/worker-children';
import { ReceivedRequest, verify, WebhookReceiver } from '../support/webhook-receiver';
import { FAST_WEBHOOKS, subscribe, Subscription } from '../support/webhooks';


/**
 * No delivery is lost, whatever fails: each event reaches each subscription at least once, and every attempt of a
 * delivery carries the same webhook-id and body (receivers deduplicate by it).
 */
async function expectAllDelivered(t: TestApp, receiver: WebhookReceiver, sub: Subscription, eventIds: string[], timeoutMs = 60_000): Promise<void> {
  const pending = async (): Promise<number> =>
    (await t.dataSource.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE subscription_id = $1 AND event_id = ANY($2) AND status <> 'succeeded'`, [sub.id, eventIds]))[0].n;
  await waitFor('every delivery made', async () => (await t.dataSource.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE subscription_id = $1 AND event_id = ANY($2)`, [sub.id, eventIds]))[0].n === eventIds.length, timeoutMs, 100);
  await waitFor('every delivery succeeded', async () => (await pending()) === 0, timeoutMs, 100);
  const received = new Set(receiver.received.map((r) => JSON.parse(r.body).data.eventId));
  expect(eventIds.filter((id) => !received.has(id))).toEqual([]);
  expectStableIds(sub, receiver.received);
}

function expectStableIds(sub: Subscription, requests: ReceivedRequest[]): void {
  const bodies = new Map<string, string>();
  for (const request of requests) {
    const id = request.headers['webhook-id'];
    expect(verify(sub.secret, request)).toBeDefined();
    expect(bodies.get(id) ?? request.body).toBe(request.body);
    bodies.set(id, request.body);
  }
  // One webhook-id per event.
  const ids = new Map<string, string>();
  for (const request of requests) {
    const eventId = JSON.parse(request.body).data.eventId;
    expect(ids.get(eventId) ?? request.headers['webhook-id']).toBe(request.headers['webhook-id']);
    ids.set(eventId, request.headers['webhook-id']);
  }
}

describe('webhooks when things fail', () => {
  describe('a receiver down, then back', () => {
    let t: TestApp;
    let receiver: WebhookReceiver;
    beforeAll(async () => {
      receiver = await WebhookReceiver.start();
      t = await startTestApp(FAST_WEBHOOKS, { worker: true });
    });
    afterAll(async () => {
      await t?.close();
      await receiver?.close();
    });

    it('gets every event once it answers again', async () => {
      const sub = await subscribe(t, { key: t.platformKey }, receiver.url, ['*']);
      await receiver.stop();
      const ids = await appendEvents(t.dataSource, t.app.get(Outbox), testEvents(150, 'test.outage'), 10);
      await waitFor('every delivery tried and failed', async () => (await t.dataSource.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE subscription_id = $1 AND status = 'retrying'`, [sub.id]))[0].n === ids.length, 30_000, 100);
      const [row] = await t.dataSource.query(`SELECT DISTINCT error FROM webhook_deliveries WHERE subscription_id = $1`, [sub.id]);
      expect(row.error).toBe('connection refused');
      await receiver.listen();
      await expectAllDelivered(t, receiver, sub, ids);
    });
  });

  describe('Redis lost and back', () => {
    let redis: PrivateRedis;
    let t: TestApp;
    let receiver: WebhookReceiver;
    beforeAll(async () => {
      redis = await PrivateRedis.start();
      receiver = await WebhookReceiver.start();
      t = await startTestApp({ ...FAST_WEBHOOKS, REDIS_URL: redis.url, WEBHOOK_RETRY_BASE_MS: '1000', WEBHOOK_RETRY_MAX_DELAY_MS: '2000' }, { worker: true });
    });
    afterAll(async () => {
      try {
        if (redis && !redis.running) await redis.restart().catch(() => undefined);
        if (t) await Promise.race([t.close(), new Promise((r) => setTimeout(r, 15_000).unref())]);
        await receiver?.close();
      } finally {
        await redis?.dispose();
      }
    });

    it('loses no delivery: queued retries, events written meanwhile, and events whose jobs Redis lost', async () => {
      const sub = await subscribe(t, { key: t.platformKey }, receiver.url, ['*']);
      const outbox = t.app.get(Outbox);
      // Deliveries failing, each with its retry waiting in Redis.
      receiver.answer = () => ({ status: 503 });
      const queued = await appendEvents(t.dataSource, outbox, testEvents(60, 'test.queued'), 10);
      await waitFor('every first attempt failed', async () => (await t.dataSource.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE subscription_id = $1 AND attempts >= 1`, [sub.id]))[0].n === queued.length, 30_000, 50);

      await redis.stop();
      // Written while Redis is away: they wait in the outbox.
      const meanwhile = await appendEvents(t.dataSource, outbox, testEvents(60, 'test.meanwhile'), 10);
      // Relayed to the domain-events queue of a Redis that then lost them (marked delivered in the outbox): only
      // the reconciler's sweep of the outbox can still make their deliveries.
      const lost = await t.dataSource.transaction(async (m) => {
        const appended = await outbox.append(m, null, testEvents(40, 'test.lost'));
        await m.query(`UPDATE outbox_events SET delivered_at = now() WHERE id = ANY($1)`, [appended.map((e) => e.id)]);
        return appended.map((e) => e.id);
      });
      await new Promise((r) => setTimeout(r, 1000));
      receiver.answer = () => ({ status: 200 });
      await redis.restart();

      await expectAllDelivered(t, receiver, sub, [...queued, ...meanwhile, ...lost], 90_000);
      // The lost events' deliveries were made from the outbox, and the lost retries queued again, by the reconciler.
      const stats = t.app.get(WebhookReconciler).stats;
      expect(stats.fannedOut).toBeGreaterThanOrEqual(lost.length);
      expect(stats.requeued).toBeGreaterThanOrEqual(queued.length);
    });
  });

  describe('a worker killed mid-delivery', () => {
    let t: TestApp;
    let receiver: WebhookReceiver;
    const workers = new WorkerChildren('event-worker-child.ts');
    const env = { ...FAST_WEBHOOKS, WEBHOOK_TIMEOUT_MS: '3000', WEBHOOK_RECONCILE_MS: '1000' };

    beforeAll(async () => {
      receiver = await WebhookReceiver.start();
      t = await startTestApp(env);
      await t.dataSource.query(`CREATE TABLE test_event_attempts (event_id uuid NOT NULL, pid int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`);
      await t.dataSource.query(`CREATE TABLE test_processed_events (event_id uuid PRIMARY KEY, pid int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`);
    });
    afterAll(async () => {
      await workers.killAll();
      await t?.close();
      await receiver?.close();
      if (t) await deleteRedisPrefix(t.config.redisUrl, t.config.redisPrefix).catch(() => undefined);
    });

    /** A worker-role process on the test's database and Redis prefix; resolves once it runs. */
    const startWorker = (): Promise<ChildProcess> =>
      workers.start(t, {
        ...env,
        DATABASE_POOL_SIZE: '10',
        EVENT_LOCK_DURATION_MS: '2000',
        EVENT_STALLED_INTERVAL_MS: '1000',
      });

    it('another worker sends what it held, under the same webhook-ids', async () => {
      const sub = await subscribe(t, { key: t.platformKey }, receiver.url, ['*']);
      // The receiver takes its time: the first worker is killed with requests in flight.
      receiver.answer = () => ({ status: 200, delayMs: 1500 });
      const first = await startWorker();
      const ids = await appendEvents(t.dataSource, t.app.get(Outbox), testEvents(40, 'test.killed'), 5);
      await waitFor('deliveries in flight', () => receiver.received.length >= 5, 30_000);
      first.kill('SIGKILL');
      await once(first, 'exit');
      const heldByTheDead = (await t.dataSource.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE subscription_id = $1 AND locked_until > now()`, [sub.id]))[0].n;
      expect(heldByTheDead).toBeGreaterThan(0);

      receiver.answer = () => ({ status: 200 });
      await startWorker();
      await expectAllDelivered(t, receiver, sub, ids, 90_000);
      // The dead worker's in-flight requests reached the receiver but were never recorded: those came twice.
      const perId = new Map<string, number>();
      for (const r of receiver.received) perId.set(r.headers['webhook-id'], (perId.get(r.headers['webhook-id']) ?? 0) + 1);
      expect([...perId.values()].some((n) => n > 1)).toBe(true);
    });
  });
});
