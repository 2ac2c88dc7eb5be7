import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { expectProblem } from '../support/expect';
import { spawnSync } from 'node:child_process';
import { ensurePromtool } from '../support/debian-packages';
import { createOrganization } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { OrganizationsController } from '../../src/organizations/organizations.controller';

/** Every route the organizations controller declares, as OpenAPI path and lower-case method. */
function organizationRoutes(): Array<{ path: string; method: string }> {
  const prefix = String(Reflect.getMetadata(PATH_METADATA, OrganizationsController)).replace(/^\/|\/$/g, '');
  const proto = OrganizationsController.prototype as unknown as Record<string, unknown>;
  const routes: Array<{ path: string; method: string }> = [];
  for (const name of Object.getOwnPropertyNames(proto)) {
    const handler = proto[name];
    if (name === 'constructor' || typeof handler !== 'function') continue;
    const path = Reflect.getMetadata(PATH_METADATA, handler);
    const method = Reflect.getMetadata(METHOD_METADATA, handler);
    if (path === undefined || method === undefined) continue;
    const full = `/${prefix}/${String(path).replace(/^\//, '')}`.replace(/:(\w+)/g, '{$1}');
    routes.push({ path: full, method: RequestMethod[method as RequestMethod].toLowerCase() });
  }
  return routes;
}

describe('operations', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  it('GET /health/live answers 200 without a key', async () => {
    const res = await t.request('GET', '/health/live', { key: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /health/ready answers 200 with both checks up, without a key', async () => {
    const res = await t.request('GET', '/health/ready', { key: null });
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { status: 'ok', checks: { postgres: 'up', redis: 'up' } } });
    expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  });

  it('health routes ignore a bad key rather than refusing it', async () => {
    expect((await t.request('GET', '/health/live', { key: 'not-a-key' })).status).toBe(200);
    expect((await t.request('GET', '/health/ready', { key: 'not-a-key' })).status).toBe(200);
  });

  describe('GET /metrics', () => {
    it('is Prometheus text without a key, with request counts by route pattern and the outbox backlog', async () => {
      const org = await createOrganization(t, 'employer', '310104'); // writes one outbox event; no worker relays it here
      expect((await t.request('GET', `/v1/organizations/${org.id}`)).status).toBe(200);
      expect((await t.request('GET', '/v1/organizations/9b1f1f7e-6a55-4b7e-9a40-9a1a3f0f2c11')).status).toBe(404);
      expect((await t.request('GET', '/no/such/route/77777')).status).toBe(404);

      const res = await t.metrics();
      expect(res.status).toBe(200);
      expect(String(res.contentType)).toMatch(/^text\/plain/);
      const text = res.text;
      expect(text).toMatch(/^# HELP http_requests_total /m);
      expect(text).toMatch(/^# TYPE http_requests_total counter$/m);
      expect(text).toMatch(/^http_requests_total\{method="POST",route="\/v1\/organizations",status="201"\} [1-9]\d*$/m);
      // By route pattern, never by raw URL (no cardinality explosion, no ids in labels).
      expect(text).toMatch(/^http_requests_total\{method="GET",route="\/v1\/organizations\/:id",status="200"\} [1-9]\d*$/m);
      expect(text).toMatch(/route="\/v1\/organizations\/:id",status="404"/);
      expect(text).not.toContain(org.id);
      expect(text).not.toContain('77777');
      expect(text).toMatch(/^# TYPE http_request_duration_seconds histogram$/m);
      expect(text).toMatch(/^http_request_duration_seconds_bucket\{le="[\d.]+",method="GET",route="\/v1\/organizations\/:id",status="200"\} \d+$/m);

      const [backlog] = await t.dataSource.query(`SELECT count(*)::int AS n FROM outbox_events WHERE delivered_at IS NULL`);
      expect(backlog.n).toBeGreaterThanOrEqual(1);
      expect(text).toMatch(/^# TYPE outbox_backlog_events gauge$/m);
      expect(text).toMatch(new RegExp(`^outbox_backlog_events ${backlog.n}$`, 'm'));
      expect(text).toMatch(/^outbox_oldest_undelivered_age_seconds [\d.e+-]+$/m);
      // Process metrics come along.
      expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    });

    it('passes promtool check metrics: the exposition format and the naming conventions Prometheus checks', async () => {
      await t.request('GET', '/v1/me');
      await t.request('GET', '/v1/organizations/9b1f1f7e-6a55-4b7e-9a40-9a1a3f0f2c11');
      const { text } = await t.metrics();
      const result = spawnSync(ensurePromtool(), ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect({ status: result.status, problems: `${result.stdout}${result.stderr}`.trim() }).toEqual({ status: 0, problems: '' });
    });

    it('is served on its own listener, never on the API port', async () => {
      const onApi = await t.request('GET', '/metrics', { key: null });
      expectProblem(onApi, 404, 'NOT_FOUND');
      expect((await t.metrics()).status).toBe(200);
    });

    it('never shows a key or a request body', async () => {
      const org = await createOrganization(t, 'hr_firm', '310104', 'Metrics Secret Name Co');
      await t.request('GET', '/v1/me', { key: org.key });
      const text = (await t.metrics()).text;
      expect(text).not.toContain(org.key);
      expect(text).not.toContain('Metrics Secret Name Co');
    });
  });

  describe('OpenAPI', () => {
    it('/docs-json is an OpenAPI 3 document with every organizations route, each behind bearer auth', async () => {
      const res = await t.request('GET', '/docs-json', { key: null });
      expect(res.status).toBe(200);
      const doc = res.body;
      expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
      expect(doc.info).toEqual(expect.objectContaining({ title: expect.any(String), version: expect.any(String) }));
      expect(doc.info.description).toContain('application/problem+json');

      const schemes = doc.components?.securitySchemes ?? {};
      const bearerNames = Object.entries(schemes)
        .filter(([, s]) => (s as { type: string; scheme?: string }).type === 'http' && (s as { scheme?: string }).scheme === 'bearer')
        .map(([name]) => name);
      expect(bearerNames.length).toBeGreaterThanOrEqual(1);

      const routes = organizationRoutes();
      expect(routes.length).toBeGreaterThanOrEqual(7);
      for (const { path, method } of routes) {
        const operation = doc.paths?.[path]?.[method];
        expect({ path, method, documented: operation !== undefined }).toEqual({ path, method, documented: true });
        const security: Array<Record<string, unknown>> = operation.security ?? doc.security ?? [];
        expect({ path, method, bearer: security.some((s) => bearerNames.some((n) => n in s)) }).toEqual({ path, method, bearer: true });
        expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401']));
      }
      // The routes the contract names, explicitly.
      for (const [path, method] of [
        ['/v1/organizations', 'post'],
        ['/v1/organizations', 'get'],
        ['/v1/organizations/{id}', 'get'],
        ['/v1/me', 'get'],
        ['/v1/organizations/{id}/api-keys', 'post'],
        ['/v1/organizations/{id}/api-keys', 'get'],
        ['/v1/organizations/{id}/api-keys/{keyId}', 'delete'],
      ]) {
        expect(doc.paths[path]?.[method]).toBeDefined();
      }
      expect(Object.keys(doc.paths['/v1/organizations'].post.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '409']));
      expect(doc.paths['/v1/organizations/{id}/api-keys/{keyId}'].delete.responses['204']).toBeDefined();
      // Public operations routes are documented without security.
      expect(doc.paths['/health/ready']?.get).toBeDefined();
    });

    it('/docs answers the HTML of the documentation without a key', async () => {
      const res = await t.request('GET', '/docs', { key: null });
      expect(res.status).toBe(200);
      expect(String(res.headers['content-type'])).toMatch(/^text\/html/);
      expect(res.text).toMatch(/<html/i);
    });
  });
});

describe('operations with Redis down', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Nothing listens on this port.
    t = await startTestApp({ REDIS_URL: 'redis://127.0.0.1:6390' });
  });
  afterAll(async () => t?.close());

  it('/health/ready answers 503 SERVICE_UNAVAILABLE naming redis', async () => {
    const started = Date.now();
    const res = await t.request('GET', '/health/ready', { key: null });
    expect(Date.now() - started).toBeLessThan(3000);
    const problem = expectProblem(res, 503, 'SERVICE_UNAVAILABLE', { extensions: ['checks'] });
    expect(problem.detail).toMatch(/redis/i);
    expect(problem.detail).not.toMatch(/postgres/i);
    expect(res.body.checks).toEqual({ postgres: 'up', redis: 'down' });
    expect(String(res.headers['retry-after'])).toMatch(/^\d+$/);
  });

  it('/health/live still answers 200', async () => {
    expect((await t.request('GET', '/health/live', { key: null })).status).toBe(200);
  });

  it('the API keeps working: Postgres holds the truth and the rate limit fails open', async () => {
    const me = await t.request('GET', '/v1/me');
    expect(me.status).toBe(200);
    expect(me.headers['ratelimit-limit']).toBeUndefined();
    const org = await createOrganization(t, 'bureau', '310000');
    expect((await t.request('GET', `/v1/organizations/${org.id}`, { key: org.key })).status).toBe(200);
  });
});
