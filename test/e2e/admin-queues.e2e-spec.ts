import { EventHandlers } from '../../src/events/event-handlers.service';
import { Outbox } from '../../src/events/outbox.service';
import { appendEvents, deleteRedisPrefix, testEvents, waitFor } from '../support/events';
import { createOrganization, OrgWithKey } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** The queue dashboard and the dead-letter routes: platform keys only. */
describe('queue dashboard and dead letters', () => {
  let t: TestApp;
  let hr: OrgWithKey;
  let healed = false;
  const handled: string[] = [];

  beforeAll(async () => {
    t = await startTestApp(
      { EVENT_JOB_ATTEMPTS: '2' },
      {
        worker: true,
        beforeInit: (app) =>
          app.get(EventHandlers).register('test.always_fails', async (e) => {
            if (!healed) throw new Error(`handler broken for ${e.id}`);
            handled.push(e.id);
          }),
      },
    );
    hr = await createOrganization(t, 'hr_firm');
  });
  afterAll(async () => {
    await t?.close();
    if (t) await deleteRedisPrefix(t.config.redisUrl, t.config.redisPrefix).catch(() => undefined);
  });

  describe('/admin/queues', () => {
    const get = (url: string, authorization?: string) => t.app.inject({ method: 'GET', url, headers: authorization ? { authorization } : {} });

    it('401 without a key or with an unknown one, with a Basic challenge so a browser asks', async () => {
      for (const authorization of [undefined, 'Bearer lbk_nope_nope_nope', basic('admin', 'lbk_nope_nope_nope'), basic('admin', ''), 'Token abc']) {
        const res = await get('/admin/queues', authorization);
        expect(res.statusCode).toBe(401);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.json()).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', instance: '/admin/queues' });
        expect(String(res.headers['www-authenticate'])).toMatch(/^Basic realm=/);
      }
      // The dashboard's JSON API and its assets are behind the same check.
      expect((await get('/admin/queues/api/queues')).statusCode).toBe(401);
      expect((await get('/admin/queues/api/queues', `Bearer ${hr.key}`)).statusCode).toBe(403);
    });

    it('403 for a key of another organization kind, Bearer or Basic', async () => {
      for (const authorization of [`Bearer ${hr.key}`, basic('someone', hr.key)]) {
        const res = await get('/admin/queues', authorization);
        expect(res.statusCode).toBe(403);
        expect(res.json()).toMatchObject({ status: 403, code: 'FORBIDDEN' });
      }
    });

    it('200 for the platform key, Bearer or Basic (any user name)', async () => {
      for (const authorization of [`Bearer ${t.platformKey}`, basic('ops', t.platformKey), basic('', t.platformKey)]) {
        const res = await get('/admin/queues', authorization);
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toContain('text/html');
      }
      const api = await get('/admin/queues/api/queues', `Bearer ${t.platformKey}`);
      expect(api.statusCode).toBe(200);
      const names = api.json().queues.map((q: { name: string }) => q.name);
      expect(names).toEqual(expect.arrayContaining(['maintenance', 'domain-events']));
    });

    it('refuses the actions that would forge or drop events, even to the platform', async () => {
      const add = await t.app.inject({
        method: 'POST',
        url: '/admin/queues/api/queues/domain-events/add',
        headers: { authorization: `Bearer ${t.platformKey}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ name: 'placement.confirmed', data: {} }),
      });
      expect(add.statusCode).toBe(403);
      const empty = await t.app.inject({ method: 'PUT', url: '/admin/queues/api/queues/domain-events/empty', headers: { authorization: `Bearer ${t.platformKey}` } });
      expect(empty.statusCode).toBe(403);
    });
  });

  describe('/v1/admin/failed-jobs', () => {
    let ids: string[];

    beforeAll(async () => {
      ids = await appendEvents(t.dataSource, t.app.get(Outbox), testEvents(3, 'test.always_fails'));
      await waitFor(
        'three dead letters',
        async () => (await t.request('GET', '/v1/admin/failed-jobs?queue=domain-events')).body.items?.length === 3,
        15_000,
        100,
      );
    });

    it('lists jobs that failed every try, newest first, keyset-paginated', async () => {
      const all = await t.request('GET', '/v1/admin/failed-jobs');
      expect(all.status).toBe(200);
      expect(all.body.nextCursor).toBeNull();
      expect(new Set(all.body.items.map((j: { id: string }) => j.id))).toEqual(new Set(ids));
      const job = all.body.items.find((j: { id: string }) => j.id === ids[0]);
      expect(job).toMatchObject({
        id: ids[0],
        queue: 'domain-events',
        name: 'test.always_fails',
        state: 'failed',
        failedReason: `handler broken for ${ids[0]}`,
        attemptsMade: 2,
        attempts: 2,
        data: { id: ids[0], type: 'test.always_fails', data: { n: 0 } },
      });
      expect(job.timestamp).toMatch(/Z$/);
      expect(job.finishedAt).toMatch(/Z$/);
      expect(job).not.toHaveProperty('stacktrace');
      const finished = all.body.items.map((j: { finishedAt: string }) => j.finishedAt);
      expect([...finished].sort().reverse()).toEqual(finished);

      const first = await t.request('GET', '/v1/admin/failed-jobs?limit=2');
      expect(first.body.items).toHaveLength(2);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await t.request('GET', `/v1/admin/failed-jobs?limit=2&cursor=${first.body.nextCursor}`);
      expect(second.body.items).toHaveLength(1);
      expect(second.body.nextCursor).toBeNull();
      expect([...first.body.items, ...second.body.items].map((j: { id: string }) => j.id)).toEqual(all.body.items.map((j: { id: string }) => j.id));

      const other = await t.request('GET', '/v1/admin/failed-jobs?queue=maintenance');
      expect(other.status).toBe(200);
      expect(other.body.items).toEqual([]);
    });

    it('refuses bad queries, other kinds and missing keys', async () => {
      for (const query of ['queue=nope', 'limit=0', 'limit=501', 'cursor=garbage', 'extra=1']) {
        const res = await t.request('GET', `/v1/admin/failed-jobs?${query}`);
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
      }
      expect((await t.request('GET', '/v1/admin/failed-jobs', { key: hr.key })).body.code).toBe('FORBIDDEN');
      expect((await t.request('GET', '/v1/admin/failed-jobs', { key: null })).status).toBe(401);
      expect((await t.request('POST', `/v1/admin/failed-jobs/domain-events/${ids[0]}/retry`, { key: hr.key })).status).toBe(403);
    });

    it('retries a dead letter: 200 with the job, then it runs to completion; audited', async () => {
      healed = true;
      const res = await t.request('POST', `/v1/admin/failed-jobs/domain-events/${ids[0]}/retry`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: ids[0], queue: 'domain-events', name: 'test.always_fails', attempts: 2 });
      // Tries reset: by the time it is read back the worker may already have run it once (and succeeded).
      expect(['waiting', 'active', 'completed']).toContain(res.body.state);
      expect(res.body.attemptsMade).toBeLessThanOrEqual(1);
      await waitFor('the retried job to run', () => handled.includes(ids[0]));

      const list = await t.request('GET', '/v1/admin/failed-jobs');
      expect(list.body.items.map((j: { id: string }) => j.id)).not.toContain(ids[0]);

      // Only a failed job can be retried.
      await waitFor('the job to complete', async () => (await t.request('POST', `/v1/admin/failed-jobs/domain-events/${ids[0]}/retry`)).status === 409);
      const again = await t.request('POST', `/v1/admin/failed-jobs/domain-events/${ids[0]}/retry`);
      expect(again.body.code).toBe('INVALID_TRANSITION');

      const [audit] = await t.dataSource.query(`SELECT action, object_type, object_id FROM audit_log WHERE action = 'retry_job'`);
      expect(audit).toEqual({ action: 'retry_job', object_type: 'queue_job', object_id: `domain-events/${ids[0]}` });
    });

    it('404 for an unknown queue or job', async () => {
      for (const url of [
        `/v1/admin/failed-jobs/nope/${ids[1]}/retry`,
        `/v1/admin/failed-jobs/domain-events/00000000-0000-4000-8000-000000000000/retry`,
        `/v1/admin/failed-jobs/domain-events/${encodeURIComponent('bad id!')}/retry`,
      ]) {
        const res = await t.request('POST', url);
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('NOT_FOUND');
      }
    });

    it('are documented, with the dashboard and its Basic auth', async () => {
      const doc = (await t.request('GET', '/docs-json', { key: null })).body;
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/admin/failed-jobs', '/v1/admin/failed-jobs/{queue}/{jobId}/retry']));
      expect(doc.info.description).toContain('/admin/queues');
      expect(doc.info.description).toContain('HTTP Basic');
    });

    it('exports queue depths per state in /metrics', async () => {
      const res = await t.metrics();
      expect(res.text).toMatch(/^queue_jobs\{queue="domain-events",state="failed"\} 2$/m);
      expect(res.text).toMatch(/^queue_jobs\{queue="maintenance",state="(waiting|active|delayed)"\} \d+$/m);
      expect(res.text).toMatch(/^outbox_backlog_events 0$/m);
    });
  });
});
