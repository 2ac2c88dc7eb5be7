/**
 * What attacking the service found, each now a 4xx problem document or a closed connection, never a 500 and never
 * a connection held: the HTTP server's own errors, slow clients, and inputs that used to reach Postgres as errors.
 * Over a real socket, as the tools that found them spoke to it.
 */
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { encodeCursor } from '../../src/common/pagination/pagination';
import { createBrand, createCertifiedBrand } from '../support/brands';
import { expectProblem } from '../support/expect';
import { createOrganization, OrgWithKey } from '../support/factories';
import { rawRequest, RawResponse } from '../support/raw-http';
import { startTestApp, TestApp } from '../support/test-app';

/** The timeouts of this file's server, short so that the tests run in seconds (30 s each by default). */
const TIMEOUT_MS = 1000;

function expectRawProblem(res: RawResponse, status: number, code: string): Record<string, unknown> {
  expect({ status: res.status, contentType: res.headers['content-type'] }).toEqual({ status, contentType: 'application/problem+json; charset=utf-8' });
  const body = JSON.parse(res.body);
  expect(body).toMatchObject({ status, code, type: expect.stringMatching(/^https:/), title: expect.any(String), detail: expect.any(String) });
  return body;
}

describe('HTTP hardening', () => {
  let t: TestApp;
  let port: number;
  let firm: OrgWithKey;

  beforeAll(async () => {
    t = await startTestApp({ HTTP_HEADERS_TIMEOUT_MS: String(TIMEOUT_MS), HTTP_BODY_TIMEOUT_MS: String(TIMEOUT_MS), HTTP_IDLE_TIMEOUT_MS: String(TIMEOUT_MS) });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    firm = await createOrganization(t, 'hr_firm', '310104');
  });
  afterAll(async () => t?.close());

  const get = (path: string, headers = ''): string => `GET ${path} HTTP/1.1\r\nHost: test\r\n${headers}\r\n`;

  describe("the HTTP server's own errors are problem documents", () => {
    it('a percent-escape that does not decode', async () => {
      expectRawProblem(await rawRequest(port, [get('/v1/brands/%zz')]), 400, 'MALFORMED_REQUEST');
    });

    it('an over-long path parameter', async () => {
      expectRawProblem(await rawRequest(port, [get(`/v1/brands/${'a'.repeat(500)}`)]), 414, 'URI_TOO_LONG');
    });

    it('headers over the limit (431), and the connection is closed', async () => {
      const res = await rawRequest(port, [get('/health/live', `X-Filler: ${'a'.repeat(20_000)}\r\n`)]);
      expectRawProblem(res, 431, 'HEADERS_TOO_LARGE');
      expect(res.closedAfterMs).not.toBeNull();
    });

    it.each([
      ['Content-Length with chunked encoding', 'GET /health/live HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n'],
      ['a request line that is not HTTP', 'HELLO THERE\r\n\r\n'],
      ['a header without a colon', 'GET /health/live HTTP/1.1\r\nHost: x\r\nbroken header\r\n\r\n'],
    ])('broken framing: %s', async (_what, request) => {
      expectRawProblem(await rawRequest(port, [request]), 400, 'MALFORMED_REQUEST');
    });

    it('an HTTP/1.1 request without Host', async () => {
      expectRawProblem(await rawRequest(port, ['GET /health/live HTTP/1.1\r\n\r\n']), 400, 'MALFORMED_REQUEST');
      // HTTP/1.0 has no Host requirement.
      expect((await rawRequest(port, ['GET /health/live HTTP/1.0\r\n\r\n'])).status).toBe(200);
    });

    it('a known path with another method is 405 with Allow; an unknown path stays 404', async () => {
      const res = await t.request('PUT', '/v1/brands', { key: firm.key, body: {} });
      const problem = expectProblem(res, 405, 'METHOD_NOT_ALLOWED');
      expect(res.headers.allow).toBe('GET, HEAD, POST');
      expect(problem.detail).toContain('/v1/brands');
      const withId = await t.request('DELETE', `/v1/brands/${randomUUID()}`, { key: firm.key });
      expectProblem(withId, 405, 'METHOD_NOT_ALLOWED');
      expect(withId.headers.allow).toBe('GET, HEAD, PATCH');
      expectProblem(await t.request('GET', '/v1/nothing-here', { key: firm.key }), 404, 'NOT_FOUND');
    });
  });

  describe('slow clients are cut off', () => {
    it('headers dribbled slower than the headers timeout', async () => {
      const parts: Array<string | number> = ['GET /health/live HTTP/1.1\r\nHost: x\r\n'];
      for (let i = 0; i < 10; i++) parts.push(400, `X-Slow-${i}: ${i}\r\n`);
      const res = await rawRequest(port, parts, 8000);
      expect(res.closedAfterMs).not.toBeNull();
      expect(res.closedAfterMs!).toBeLessThan(TIMEOUT_MS + 2500);
      expectRawProblem(res, 408, 'REQUEST_TIMEOUT');
    });

    it('a body that stops arriving', async () => {
      const head = `POST /v1/brands HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${firm.key}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"na`;
      const res = await rawRequest(port, [head, 10_000, 'me"'], 8000);
      expect(res.closedAfterMs).not.toBeNull();
      expect(res.closedAfterMs!).toBeLessThan(TIMEOUT_MS + 2500);
    });

    it('an idle keep-alive connection', async () => {
      const res = await rawRequest(port, [get('/health/live')], 8000);
      expect(res.status).toBe(200);
      expect(res.closedAfterMs).not.toBeNull();
      expect(res.closedAfterMs!).toBeLessThan(TIMEOUT_MS + 2500);
    });
  });

  describe('inputs that used to reach the database as errors are 4xx', () => {
    it('a NUL in a query parameter', async () => {
      expectProblem(await t.request('GET', '/v1/brands?q=%00', { key: firm.key }), 400, 'VALIDATION_FAILED');
      expectProblem(await t.request('GET', '/v1/organizations?regionCode=31%0001', { key: firm.key }), 400, 'VALIDATION_FAILED');
    });

    it('a JSON body in another charset is 415; bytes that are not UTF-8 are MALFORMED_JSON', async () => {
      const body = JSON.stringify({ name: '品牌', occupationCode: '4-04-05-05', occupationName: 'x', sector: 'x', regionCode: '310104' });
      expectProblem(await t.request('POST', '/v1/brands', { key: firm.key, raw: Buffer.from(body, 'utf16le'), contentType: 'application/json; charset=utf-16' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      const broken = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xe5, 0x93]), Buffer.from('","occupationCode":"4-04-05-05","occupationName":"x","sector":"x","regionCode":"310104"}')]);
      expectProblem(await t.request('POST', '/v1/brands', { key: firm.key, raw: broken, contentType: 'application/json' }), 400, 'MALFORMED_JSON');
      // UTF-8 said out loud is fine.
      expect((await t.request('POST', '/v1/brands', { key: firm.key, raw: body, contentType: 'application/json; charset=UTF-8' })).status).toBe(201);
    });

    it('a lone surrogate is refused, not stored altered', async () => {
      const raw = '{"name":"品牌\\ud800","occupationCode":"4-04-05-05","occupationName":"x","sector":"x","regionCode":"310104"}';
      const problem = expectProblem(await t.request('POST', '/v1/brands', { key: firm.key, raw, contentType: 'application/json' }), 400, 'VALIDATION_FAILED');
      expect(problem.errors).toEqual([{ field: 'name', code: 'LONE_SURROGATE', message: expect.any(String) }]);
    });

    it('null for a field that cannot be empty (PATCH) is 400; null clears one that can', async () => {
      const brand = await createBrand(t, firm.key);
      for (const field of ['name', 'sector', 'regionCode', 'occupationCode', 'occupationName']) {
        const res = await t.request('PATCH', `/v1/brands/${brand.id}`, { key: firm.key, body: { [field]: null } });
        expect({ field, problem: expectProblem(res, 400, field === 'regionCode' ? res.body.code : 'VALIDATION_FAILED').errors[0].field }).toEqual({ field, problem: field });
      }
      const cleared = await t.request('PATCH', `/v1/brands/${brand.id}`, { key: firm.key, body: { description: null } });
      expect(cleared.status).toBe(200);
      expect(cleared.body.description).toBeNull();
    });

    it('edited cursors with numbers out of range are 400 INVALID_CURSOR on every list that pages by number', async () => {
      const bureau = await createOrganization(t, 'bureau', '310104');
      const brand = await createCertifiedBrand(t, firm.key, bureau.key);
      const cursors: Array<[string, Array<string | number | null>]> = [
        ['/v1/statistics/brands?sort=traineeCount', [2 ** 40, randomUUID()]],
        ['/v1/statistics/brands?sort=traineeCount', ['1.5', randomUUID()]],
        ['/v1/statistics/brands?sort=medianAnnualFen', ['99999999999999999999', randomUUID()]],
        ['/v1/statistics/brands?sort=placementRate', ['abc', randomUUID()]],
        [`/v1/brands/${brand.id}/history`, ['9999999999999999999']],
      ];
      for (const [path, key] of cursors) {
        const res = await t.request('GET', `${path}${path.includes('?') ? '&' : '?'}cursor=${encodeCursor(key)}`, { key: firm.key });
        expect({ path, key, status: res.status, code: res.body?.errors?.[0]?.code }).toEqual({ path, key, status: 400, code: 'INVALID_CURSOR' });
      }
    });
  });
});
