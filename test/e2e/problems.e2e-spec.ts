import { expectNoLeak, expectProblem, UUID } from '../support/expect';
import { creditCode } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

const MIB = 1024 * 1024;

describe('problems, content types, limits and headers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  const orgBody = (): Record<string, string> => ({ kind: 'employer', name: 'Problem Test Co', creditCode: creditCode('310104'), regionCode: '310104' });

  async function counts(): Promise<Record<string, number>> {
    const [row] = await t.dataSource.query(
      `SELECT (SELECT count(*)::int FROM organizations) AS organizations, (SELECT count(*)::int FROM api_keys) AS api_keys,
              (SELECT count(*)::int FROM audit_log WHERE action <> 'read') AS audit, (SELECT count(*)::int FROM outbox_events) AS outbox,
              (SELECT count(*)::int FROM idempotency_keys) AS idempotency`,
    );
    return row;
  }

  describe('malformed JSON', () => {
    it.each([
      ['a truncated document', '{"kind": "employer", "name":'],
      ['single quotes', "{'kind': 'employer'}"],
      ['a trailing comma', '{"kind": "employer",}'],
      ['two documents', '{} {}'],
      ['bare words', 'kind=employer'],
      ['an unterminated string', '"abc'],
      ['a byte-order mark only', '\ufeff'],
      ['whitespace only', '   '],
      ['an empty body', ''],
    ])('answers 400 MALFORMED_JSON to %s, writing nothing', async (_label, raw) => {
      const before = await counts();
      const res = await t.request('POST', '/v1/organizations', { raw, contentType: 'application/json' });
      const problem = expectProblem(res, 400, 'MALFORMED_JSON');
      expect(problem.instance).toBe('/v1/organizations');
      expect(await counts()).toEqual(before);
    });

    it('refuses prototype-poisoning keys without polluting anything', async () => {
      const raw = `{"kind":"employer","name":"x","creditCode":"${creditCode()}","regionCode":"310104","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}`;
      const res = await t.request('POST', '/v1/organizations', { raw, contentType: 'application/json' });
      expect(res.status).toBe(400);
      expectProblem(res, 400, res.body.code);
      expect(['MALFORMED_JSON', 'VALIDATION_FAILED']).toContain(res.body.code);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });

  describe('content types', () => {
    it.each([
      ['text/plain', () => JSON.stringify(orgBody())],
      ['text/plain; charset=utf-8', () => JSON.stringify(orgBody())],
      ['application/x-www-form-urlencoded', () => 'kind=employer&name=x'],
      ['multipart/form-data; boundary=xyz', () => '--xyz\r\nContent-Disposition: form-data; name="kind"\r\n\r\nemployer\r\n--xyz--\r\n'],
      ['application/xml', () => '<organization/>'],
      ['text/csv', () => 'kind,name\nemployer,x\n'],
      ['application/json-patch+json', () => JSON.stringify(orgBody())],
    ])('answers 415 UNSUPPORTED_MEDIA_TYPE to %s on a JSON route, writing nothing', async (contentType, make) => {
      const before = await counts();
      const res = await t.request('POST', '/v1/organizations', { raw: make(), contentType });
      expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(await counts()).toEqual(before);
    });

    it('answers 415 to a body without a content type', async () => {
      const res = await t.request('POST', '/v1/organizations', { raw: JSON.stringify(orgBody()) });
      expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it.each(['application/json', 'application/json; charset=utf-8', 'application/json;charset=UTF-8', 'Application/JSON'])('accepts %s', async (contentType) => {
      const body = orgBody();
      const res = await t.request('POST', '/v1/organizations', { raw: JSON.stringify(body), contentType });
      expect(res.status).toBe(201);
      expect(res.body.organization.creditCode).toBe(body.creditCode);
    });

    it('reads the body as UTF-8', async () => {
      const body = { ...orgBody(), name: '沈阳动漫人才有限公司' };
      const res = await t.request('POST', '/v1/organizations', { raw: Buffer.from(JSON.stringify(body), 'utf8'), contentType: 'application/json' });
      expect(res.status).toBe(201);
      expect(res.body.organization.name).toBe('沈阳动漫人才有限公司');
    });
  });

  describe('body size', () => {
    /** A JSON body of exactly `bytes` bytes whose name is long enough to be invalid (so nothing is created). */
    function bodyOfSize(bytes: number): string {
      const base = JSON.stringify({ ...orgBody(), name: '' });
      const padded = JSON.stringify({ ...orgBody(), name: 'x'.repeat(bytes - base.length) });
      expect(Buffer.byteLength(padded)).toBe(bytes);
      return padded;
    }

    it('answers 413 PAYLOAD_TOO_LARGE to a JSON body over 1 MiB, writing nothing', async () => {
      const before = await counts();
      const res = await t.request('POST', '/v1/organizations', { raw: bodyOfSize(MIB + 1), contentType: 'application/json' });
      expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
      expect(await counts()).toEqual(before);
    });

    it('answers 413 to a much larger body too', async () => {
      const res = await t.request('POST', '/v1/organizations', { raw: Buffer.alloc(5 * MIB, 0x20), contentType: 'application/json' });
      expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('reads a body of exactly 1 MiB (then refuses the over-long name, not the size)', async () => {
      const res = await t.request('POST', '/v1/organizations', { raw: bodyOfSize(MIB), contentType: 'application/json' });
      const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(problem.errors.map((e: { field: string }) => e.field)).toEqual(['name']);
      // The answer does not echo the megabyte back.
      expect(res.text.length).toBeLessThan(2000);
    });
  });

  describe('unknown routes and methods', () => {
    it.each([
      ['GET', '/v1/nope'],
      ['GET', '/v1/organizations/6b1f1f7e-6a55-4b7e-9a40-9a1a3f0f2c11/nope'],
      ['POST', '/v1/nope'],
      // `/` is the public website now (API.md, Public pages); a path beside it is as unknown as `/` once was.
      ['GET', '/nope'],
      ['GET', '/assets/nope.js'],
      ['GET', '/v2/organizations'],
    ])('%s %s answers a 404 NOT_FOUND problem, with or without a key', async (method, url) => {
      for (const key of [undefined, null]) {
        const res = await t.request(method, url, { key, body: method === 'POST' ? {} : undefined });
        const problem = expectProblem(res, 404, 'NOT_FOUND');
        expect(problem.instance).toBe(url);
      }
    });

    it('a method the route does not have answers a 404 or 405 problem', async () => {
      for (const [method, url] of [
        ['DELETE', '/v1/organizations'],
        ['PUT', '/v1/me'],
        ['PATCH', '/v1/organizations'],
      ]) {
        const res = await t.request(method, url, { body: method === 'DELETE' ? undefined : {} });
        expect([404, 405]).toContain(res.status);
        expectProblem(res, res.status, res.status === 404 ? 'NOT_FOUND' : 'METHOD_NOT_ALLOWED');
      }
    });

    it('never echoes the query string into the problem', async () => {
      const res = await t.request('GET', '/v1/nope?secret=hunter2&nationalId=110101199003074514');
      const problem = expectProblem(res, 404, 'NOT_FOUND');
      expect(problem.instance).toBe('/v1/nope');
      expect(res.text).not.toContain('hunter2');
      expect(res.text).not.toContain('110101199003074514');
    });
  });

  describe('headers', () => {
    const check = (res: { headers: Record<string, unknown> }): void => {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      const frameOptions = String(res.headers['x-frame-options'] ?? '');
      const csp = String(res.headers['content-security-policy'] ?? '');
      expect(/^(DENY|SAMEORIGIN)$/i.test(frameOptions) || /frame-ancestors/.test(csp)).toBe(true);
      expect(csp).toMatch(/default-src/);
      expect(res.headers['x-powered-by']).toBeUndefined();
    };

    it('sends security headers on success, problem, public and unknown-route responses', async () => {
      check(await t.request('GET', '/v1/me'));
      check(await t.request('POST', '/v1/organizations', { body: orgBody() }));
      check(await t.request('GET', '/v1/me', { key: null }));
      check(await t.request('POST', '/v1/organizations', { raw: '{', contentType: 'application/json' }));
      check(await t.request('GET', '/health/live', { key: null }));
      check(await t.request('GET', '/v1/nope'));
    });

    it('echoes a well-formed x-request-id', async () => {
      for (const url of ['/v1/me', '/v1/nope', '/health/live']) {
        const res = await t.request('GET', url, { headers: { 'x-request-id': 'trace-abc.123_XYZ' } });
        expect(res.headers['x-request-id']).toBe('trace-abc.123_XYZ');
      }
      const failing = await t.request('POST', '/v1/organizations', { raw: '{', contentType: 'application/json', headers: { 'x-request-id': 'req-42' } });
      expect(failing.status).toBe(400);
      expect(failing.headers['x-request-id']).toBe('req-42');
    });

    it('generates a fresh x-request-id when none is sent', async () => {
      const a = await t.request('GET', '/v1/me');
      const b = await t.request('GET', '/v1/me', { key: null });
      expect(a.headers['x-request-id']).toMatch(UUID);
      expect(b.headers['x-request-id']).toMatch(UUID);
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    });

    it('replaces an x-request-id that is not safe to log or echo', async () => {
      for (const given of ['has spaces in it', 'x'.repeat(129), '<script>', 'a\tb', '']) {
        const res = await t.request('GET', '/v1/me', { headers: { 'x-request-id': given } });
        expect(res.status).toBe(200);
        expect(res.headers['x-request-id']).toMatch(UUID);
      }
    });
  });

  describe('an unexpected failure', () => {
    it('answers 500 INTERNAL_ERROR without internals, writes nothing half, and is not stored for idempotent replay', async () => {
      const before = await counts();
      const body = orgBody();
      // Break the last write of the creation transaction (the organization and key are inserted before it).
      await t.dataSource.query(`ALTER TABLE outbox_events RENAME TO outbox_events_away`);
      let failed;
      try {
        failed = await t.request('POST', '/v1/organizations', { body, headers: { 'idempotency-key': 'during-outage' } });
      } finally {
        await t.dataSource.query(`ALTER TABLE outbox_events_away RENAME TO outbox_events`);
      }
      const problem = expectProblem(failed, 500, 'INTERNAL_ERROR');
      expect(problem.errors).toBeUndefined();
      expect(failed.text).not.toMatch(/outbox|relation|does not exist|42P01/i);
      expectNoLeak(failed);
      expect(await counts()).toEqual(before);
      const [orgs] = await t.dataSource.query(`SELECT count(*)::int AS n FROM organizations WHERE credit_code = $1`, [body.creditCode]);
      expect(orgs.n).toBe(0);

      // The retry with the same key does the work: a 5xx is not replayed.
      const retry = await t.request('POST', '/v1/organizations', { body, headers: { 'idempotency-key': 'during-outage' } });
      expect(retry.status).toBe(201);
      expect(retry.headers['idempotent-replayed']).toBeUndefined();
      expect(retry.body.organization.creditCode).toBe(body.creditCode);
    });
  });
});
