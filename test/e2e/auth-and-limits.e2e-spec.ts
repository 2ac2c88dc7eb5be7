import { randomBytes } from 'node:crypto';
import { expectProblem, sleep } from '../support/expect';
import { createOrganization, OrgWithKey } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

describe('authentication', () => {
  let t: TestApp;
  let org: OrgWithKey;
  beforeAll(async () => {
    t = await startTestApp();
    org = await createOrganization(t, 'hr_firm', '310104');
  });
  afterAll(async () => t?.close());

  it('answers 401 UNAUTHENTICATED with WWW-Authenticate: Bearer to a request without Authorization', async () => {
    const res = await t.request('GET', '/v1/me', { key: null });
    const problem = expectProblem(res, 401, 'UNAUTHENTICATED');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer\b/);
    expect(problem.instance).toBe('/v1/me');
  });

  it.each([
    ['an unknown key', () => `Bearer lbk_${randomBytes(32).toString('base64url')}`],
    ['garbage', () => 'Bearer !!!garbage!!!'],
    ['an empty bearer', () => 'Bearer '],
    ['the bare scheme', () => 'Bearer'],
    ['the key without a scheme', () => `${org.key}`],
    ['Basic credentials', () => `Basic ${Buffer.from(`user:${org.key}`).toString('base64')}`],
    ['two tokens', () => `Bearer ${org.key} ${org.key}`],
    ['a very long token', () => `Bearer ${'a'.repeat(10_000)}`],
    ['a truncated key', () => `Bearer ${org.key.slice(0, -1)}`],
    ['the key with a changed character', () => `Bearer ${org.key.slice(0, -1)}${org.key.endsWith('A') ? 'B' : 'A'}`],
  ])('answers 401 to %s', async (_label, header) => {
    const res = await t.request('GET', '/v1/me', { key: null, headers: { authorization: header() } });
    expectProblem(res, 401, 'UNAUTHENTICATED');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer\b/);
    expect(res.text).not.toContain(org.key);
  });

  it('accepts the scheme in any case', async () => {
    const res = await t.request('GET', '/v1/me', { key: null, headers: { authorization: `bearer ${org.key}` } });
    expect(res.status).toBe(200);
    expect(res.body.organization.id).toBe(org.id);
  });

  it('answers 401 to a revoked key on every route', async () => {
    const victim = await createOrganization(t, 'employer', '310104');
    expect((await t.request('DELETE', `/v1/organizations/${victim.id}/api-keys/${victim.apiKeyId}`)).status).toBe(204);
    for (const [method, url] of [
      ['GET', '/v1/me'],
      ['GET', '/v1/organizations'],
      ['GET', `/v1/organizations/${victim.id}/api-keys`],
      ['POST', `/v1/organizations/${victim.id}/api-keys`],
    ]) {
      const res = await t.request(method, url, { key: victim.key });
      expectProblem(res, 401, 'UNAUTHENTICATED');
      expect(res.headers['www-authenticate']).toMatch(/invalid_token/);
    }
    const [keys] = await t.dataSource.query(`SELECT count(*)::int AS n FROM api_keys WHERE organization_id = $1`, [victim.id]);
    expect(keys.n).toBe(1);
  });

  it('sends RateLimit headers on authenticated responses', async () => {
    const a = await t.request('GET', '/v1/me', { key: org.key });
    expect(a.headers['ratelimit-limit']).toBe(String(t.config.rateLimitMax));
    const b = await t.request('GET', '/v1/me', { key: org.key });
    expect(Number(b.headers['ratelimit-remaining'])).toBeLessThan(Number(a.headers['ratelimit-remaining']));
    expect(Number(b.headers['ratelimit-reset'])).toBeGreaterThanOrEqual(1);
  });
});

describe('rate limit (5 per 60 s per key)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_MS: '60000' });
  });
  afterAll(async () => t?.close());

  it('answers the 6th request of a key with 429 RATE_LIMITED and Retry-After; other keys are unaffected', async () => {
    // The limit is a fixed window: do not straddle its end.
    const intoWindow = Date.now() % 60_000;
    if (intoWindow > 57_000) await sleep(60_000 - intoWindow + 50);

    const org = await createOrganization(t, 'hr_firm', '310104'); // the platform key's 1st request
    const second = await t.request('POST', `/v1/organizations/${org.id}/api-keys`); // its 2nd
    expect(second.status).toBe(201);

    for (let i = 1; i <= 5; i++) {
      const res = await t.request('GET', '/v1/me', { key: org.key });
      expect(res.status).toBe(200);
      expect(res.headers['ratelimit-limit']).toBe('5');
      expect(res.headers['ratelimit-remaining']).toBe(String(5 - i));
      const reset = Number(res.headers['ratelimit-reset']);
      expect(Number.isInteger(reset) && reset >= 1 && reset <= 60).toBe(true);
    }

    const [keysBefore] = await t.dataSource.query(`SELECT count(*)::int AS n FROM api_keys`);
    const limited = await t.request('POST', `/v1/organizations/${org.id}/api-keys`, { key: org.key });
    const problem = expectProblem(limited, 429, 'RATE_LIMITED');
    expect(problem.instance).toBe(`/v1/organizations/${org.id}/api-keys`);
    const retryAfter = String(limited.headers['retry-after']);
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
    expect(limited.headers['ratelimit-limit']).toBe('5');
    expect(limited.headers['ratelimit-remaining']).toBe('0');
    // A refused request does no work.
    const [keysAfter] = await t.dataSource.query(`SELECT count(*)::int AS n FROM api_keys`);
    expect(keysAfter.n).toBe(keysBefore.n);

    // Still refused on any route.
    expectProblem(await t.request('GET', '/v1/organizations', { key: org.key }), 429, 'RATE_LIMITED');

    // Another key, of the same organization or the platform, has its own budget.
    const sibling = await t.request('GET', '/v1/me', { key: second.body.secret });
    expect(sibling.status).toBe(200);
    expect(sibling.headers['ratelimit-remaining']).toBe('4');
    const platform = await t.request('GET', '/v1/me');
    expect(platform.status).toBe(200);
    expect(platform.headers['ratelimit-remaining']).toBe('2');

    // Public routes are not limited.
    expect((await t.request('GET', '/health/live', { key: null })).status).toBe(200);
  });
});

describe('failed key checks per client address (AUTH_FAILURE_RATE_LIMIT_MAX = 5 a minute)', () => {
  let t: TestApp;
  let org: OrgWithKey;
  beforeAll(async () => {
    t = await startTestApp({ AUTH_FAILURE_RATE_LIMIT_MAX: '5' });
    org = await createOrganization(t, 'hr_firm', '310104');
  });
  afterAll(async () => t?.close());

  it('answers 429 with Retry-After after 5 failures from one address, still serves a valid key, and counts per address', async () => {
    const guess = (): string => `lbk_${randomBytes(32).toString('base64url')}`;
    const fromA = { 'x-forwarded-for': '203.0.113.7' };
    for (let i = 0; i < 5; i++) expectProblem(await t.request('GET', '/v1/me', { key: guess() }), 401, 'UNAUTHENTICATED');
    const limited = await t.request('GET', '/v1/me', { key: guess() });
    expectProblem(limited, 429, 'RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Malformed or missing keys count too.
    expectProblem(await t.request('GET', '/v1/me', { key: null }), 429, 'RATE_LIMITED');
    // A valid key from the same address is served.
    expect((await t.request('GET', '/v1/me', { key: org.key })).status).toBe(200);
    // X-Forwarded-For is not trusted without TRUST_PROXY_HOPS: it cannot buy a fresh allowance.
    expectProblem(await t.request('GET', '/v1/me', { key: guess(), headers: fromA }), 429, 'RATE_LIMITED');
  });
});

describe('failed key checks behind a proxy (TRUST_PROXY_HOPS = 1)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ AUTH_FAILURE_RATE_LIMIT_MAX: '2', TRUST_PROXY_HOPS: '1' });
  });
  afterAll(async () => t?.close());

  it('counts the address the proxy names', async () => {
    const guess = (): string => `lbk_${randomBytes(32).toString('base64url')}`;
    const as = (ip: string) => ({ 'x-forwarded-for': ip });
    for (let i = 0; i < 2; i++) expectProblem(await t.request('GET', '/v1/me', { key: guess(), headers: as('198.51.100.1') }), 401, 'UNAUTHENTICATED');
    expectProblem(await t.request('GET', '/v1/me', { key: guess(), headers: as('198.51.100.1') }), 429, 'RATE_LIMITED');
    expectProblem(await t.request('GET', '/v1/me', { key: guess(), headers: as('198.51.100.2') }), 401, 'UNAUTHENTICATED');
  });
});
