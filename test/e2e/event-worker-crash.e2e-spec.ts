import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Outbox } from '../../src/events/outbox.service';
import { appendEvents, deleteRedisPrefix, testEvents, undeliveredCount, waitFor } from '../support/events';
import { startTestApp, TestApp } from '../support/test-app';
import { WorkerChildren } from '../support/worker-children';

const EVENTS = 60;

/**
 * A worker process killed with SIGKILL while jobs are in hand loses nothing: its jobs' locks expire, another
 * worker's stalled-job check puts them back, and the (idempotent) handler runs them to the end.
 */
describe('domain-events worker killed mid-job', () => {
  let t: TestApp;
  const workers = new WorkerChildren('event-worker-child.ts');

  beforeAll(async () => {
    t = await startTestApp();
    await t.dataSource.query(`CREATE TABLE test_event_attempts (event_id uuid NOT NULL, pid int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`);
    await t.dataSource.query(`CREATE TABLE test_processed_events (event_id uuid PRIMARY KEY, pid int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`);
  });
  afterAll(async () => {
    await workers.killAll();
    await t?.close();
    if (t) await deleteRedisPrefix(t.config.redisUrl, t.config.redisPrefix).catch(() => undefined);
  });

  /** A worker-role process on the test's database and Redis prefix; resolves once it runs. */
  const startWorker = (): Promise<ChildProcess> =>
    workers.start(t, {
      DATABASE_POOL_SIZE: '10',
      EVENT_WORKER_CONCURRENCY: '8',
      EVENT_LOCK_DURATION_MS: '2000',
      EVENT_STALLED_INTERVAL_MS: '1000',
      CHILD_HANDLER_SLEEP_MS: '400',
    });

  it('every event is processed after the worker holding it is SIGKILLed', async () => {
    const first = await startWorker();
    const ids = await appendEvents(t.dataSource, t.app.get(Outbox), testEvents(EVENTS));

    // Kill it while it has jobs in hand (started, not finished: the handler sleeps 400 ms).
    await waitFor('the first worker to take jobs', async () => {
      const [row] = await t.dataSource.query(`SELECT count(*)::int AS n FROM test_event_attempts WHERE pid = $1`, [first.pid]);
      return row.n >= 4;
    });
    first.kill('SIGKILL');
    await once(first, 'exit');
    const inHand: string[] = (
      await t.dataSource.query(
        `SELECT DISTINCT a.event_id FROM test_event_attempts a LEFT JOIN test_processed_events p USING (event_id) WHERE a.pid = $1 AND p.event_id IS NULL`,
        [first.pid],
      )
    ).map((r: { event_id: string }) => r.event_id);
    expect(inHand.length).toBeGreaterThan(0);

    const second = await startWorker();
    const recoveredMs = await waitFor(
      'every event processed',
      async () => {
        const [row] = await t.dataSource.query(`SELECT count(*)::int AS n FROM test_processed_events`);
        return row.n === EVENTS;
      },
      30_000,
      50,
    );
    console.log(`worker crash: ${inHand.length} jobs in hand at the SIGKILL; all ${EVENTS} events processed ${recoveredMs} ms after the second worker started`);

    expect(await undeliveredCount(t.dataSource, ids)).toBe(0);
    const processed: Array<{ event_id: string; pid: number }> = await t.dataSource.query(`SELECT event_id, pid FROM test_processed_events`);
    expect(new Set(processed.map((r) => r.event_id))).toEqual(new Set(ids));
    // The jobs the first worker died holding were finished by the second one.
    const byEvent = new Map(processed.map((r) => [r.event_id, r.pid]));
    for (const id of inHand) expect(byEvent.get(id)).toBe(second.pid);

    // Graceful stop: Nest closes the app, then re-raises SIGTERM on itself.
    second.kill('SIGTERM');
    const [code, signal] = await once(second, 'exit');
    expect(code === 0 || signal === 'SIGTERM').toBe(true);
  }, 120_000);
});
