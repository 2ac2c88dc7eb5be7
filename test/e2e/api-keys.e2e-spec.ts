import { eventually, expectFieldError, expectProblem, ISO_INSTANT, sleep, UUID } from '../support/expect';
import type { Response } from '../support/test-app';
import { createOrganization, OrgWithKey } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

const UNKNOWN_ID = '6b1f1f7e-6a55-4b7e-9a40-9a1a3f0f2c11';

describe('API keys', () => {
  let t: TestApp;
  let hr: OrgWithKey;
  let other: OrgWithKey;

  beforeAll(async () => {
    t = await startTestApp();
    hr = await createOrganization(t, 'hr_firm', '310104');
    other = await createOrganization(t, 'employer', '310110');
  });
  afterAll(async () => t?.close());

  const keysOf = (orgId: string): string => `/v1/organizations/${orgId}/api-keys`;

  /**
   * Polls `app` with a revoked key until it answers 401 (at most 1.5 s): no request that starts more than 1 s
   * after the revocation returned may still be accepted.
   */
  async function expectRefusedWithinOneSecond(app: TestApp, secret: string, revokedAt: number): Promise<Response> {
    for (;;) {
      const started = Date.now();
      const res = await app.request('GET', '/v1/me', { key: secret });
      if (res.status === 401) return res;
      expect(res.status).toBe(200);
      if (started - revokedAt > 1000) throw new Error(`revoked key still accepted ${started - revokedAt} ms after the revocation`);
      if (Date.now() - revokedAt > 1500) throw new Error('revoked key not refused within 1.5 s');
      await sleep(20);
    }
  }

  describe('POST /v1/organizations/:id/api-keys', () => {
    it('lets the platform create a key for an organization; the secret works at once', async () => {
      const res = await t.request('POST', keysOf(hr.id));
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ id: expect.stringMatching(UUID), secret: expect.any(String), createdAt: expect.stringMatching(ISO_INSTANT) });
      expect(res.body.secret).not.toBe(hr.key);
      expect(res.headers.location).toBe(`${keysOf(hr.id)}/${res.body.id}`);
      const me = await t.request('GET', '/v1/me', { key: res.body.secret });
      expect(me.status).toBe(200);
      expect(me.body.organization.id).toBe(hr.id);
      expect(me.body.apiKeyId).toBe(res.body.id);
      // Stored hashed only.
      const [hits] = await t.dataSource.query(`SELECT count(*)::int AS n FROM api_keys k WHERE position($1 in row_to_json(k)::text) > 0`, [res.body.secret]);
      expect(hits.n).toBe(0);
    });

    it('lets an organization create a key for itself', async () => {
      const res = await t.request('POST', keysOf(hr.id), { key: hr.key });
      expect(res.status).toBe(201);
      const me = await t.request('GET', '/v1/me', { key: res.body.secret });
      expect(me.body).toEqual({ organization: expect.objectContaining({ id: hr.id }), apiKeyId: res.body.id });
      // Both keys work side by side.
      expect((await t.request('GET', '/v1/me', { key: hr.key })).status).toBe(200);
    });

    it('answers 403 FORBIDDEN to another organization, creating nothing', async () => {
      const [before] = await t.dataSource.query(`SELECT count(*)::int AS n FROM api_keys`);
      const res = await t.request('POST', keysOf(hr.id), { key: other.key });
      expectProblem(res, 403, 'FORBIDDEN');
      const [after] = await t.dataSource.query(`SELECT count(*)::int AS n FROM api_keys`);
      expect(after.n).toBe(before.n);
    });

    it('answers 404 for an unknown organization, to the platform and to others alike', async () => {
      expectProblem(await t.request('POST', keysOf(UNKNOWN_ID)), 404, 'NOT_FOUND');
      expectProblem(await t.request('POST', keysOf(UNKNOWN_ID), { key: hr.key }), 404, 'NOT_FOUND');
    });

    it('answers 400 for a malformed organization id and 401 without a key', async () => {
      expectFieldError(await t.request('POST', keysOf('not-a-uuid')), 'VALIDATION_FAILED', 'id');
      expectProblem(await t.request('POST', keysOf(hr.id), { key: null }), 401, 'UNAUTHENTICATED');
    });

    it('takes no input: a body field is refused with 400, an empty object is fine', async () => {
      const [before] = await t.dataSource.query(`SELECT count(*)::int AS n FROM api_keys`);
      expectFieldError(await t.request('POST', keysOf(hr.id), { body: { organizationId: other.id } }), 'VALIDATION_FAILED', 'organizationId', 'UNKNOWN_FIELD');
      expectFieldError(await t.request('POST', keysOf(hr.id), { body: { secret: 'lbk_chosen_by_me_000000000000000000' } }), 'VALIDATION_FAILED', 'secret', 'UNKNOWN_FIELD');
      const [after] = await t.dataSource.query(`SELECT count(*)::int AS n FROM api_keys`);
      expect(after.n).toBe(before.n);
      expect((await t.request('POST', keysOf(hr.id), { body: {} })).status).toBe(201);
    });
  });

  describe('GET /v1/organizations/:id/api-keys', () => {
    it('lists the keys newest first, never a secret or a hash', async () => {
      const org = await createOrganization(t, 'bureau', '310000');
      const second = await t.request('POST', keysOf(org.id));
      const third = await t.request('POST', keysOf(org.id), { key: org.key });
      const secrets = [org.key, second.body.secret, third.body.secret];
      for (const caller of [t.platformKey, org.key]) {
        const res = await t.request('GET', keysOf(org.id), { key: caller });
        expect(res.status).toBe(200);
        expect(Object.keys(res.body).sort()).toEqual(['items', 'nextCursor']);
        expect(res.body.nextCursor).toBeNull();
        expect(res.body.items.map((k: { id: string }) => k.id)).toEqual([third.body.id, second.body.id, org.apiKeyId]);
        for (const k of res.body.items) {
          expect(Object.keys(k).sort()).toEqual(['createdAt', 'id', 'lastUsedAt', 'revokedAt']);
          expect(k.createdAt).toMatch(ISO_INSTANT);
          expect(k.revokedAt).toBeNull();
          expect(k.lastUsedAt === null || ISO_INSTANT.test(k.lastUsedAt)).toBe(true);
        }
        for (const secret of secrets) {
          expect(res.text).not.toContain(secret);
          expect(res.text).not.toContain(secret.slice(4));
        }
        expect(res.text).not.toMatch(/secret|hash/i);
      }
    });

    it('records when a key was last used', async () => {
      const org = await createOrganization(t, 'employer', '440305');
      const before = (await t.request('GET', keysOf(org.id))).body.items[0];
      expect(before.id).toBe(org.apiKeyId);
      expect(before.lastUsedAt).toBeNull();
      expect(await t.request('GET', '/v1/me', { key: org.key })).toMatchObject({ status: 200 });
      const { value } = await eventually(2000, async () => {
        const k = (await t.request('GET', keysOf(org.id))).body.items[0];
        return k.lastUsedAt ? k : undefined;
      }, 'lastUsedAt set');
      expect(value.lastUsedAt).toMatch(ISO_INSTANT);
      expect(Math.abs(Date.parse(value.lastUsedAt) - Date.now())).toBeLessThan(10_000);
    });

    it('pages with limit and cursor', async () => {
      const org = await createOrganization(t, 'hr_firm', '210102');
      for (let i = 0; i < 4; i++) expect((await t.request('POST', keysOf(org.id))).status).toBe(201);
      const all = (await t.request('GET', keysOf(org.id))).body.items.map((k: { id: string }) => k.id);
      expect(all).toHaveLength(5);
      const first = await t.request('GET', `${keysOf(org.id)}?limit=2`);
      expect(first.body.items.map((k: { id: string }) => k.id)).toEqual(all.slice(0, 2));
      const second = await t.request('GET', `${keysOf(org.id)}?limit=2&cursor=${first.body.nextCursor}`);
      const third = await t.request('GET', `${keysOf(org.id)}?limit=2&cursor=${second.body.nextCursor}`);
      expect([...first.body.items, ...second.body.items, ...third.body.items].map((k: { id: string }) => k.id)).toEqual(all);
      expect(third.body.nextCursor).toBeNull();
      expectFieldError(await t.request('GET', `${keysOf(org.id)}?limit=0`), 'VALIDATION_FAILED', 'limit');
      expectFieldError(await t.request('GET', `${keysOf(org.id)}?cursor=bogus`), 'VALIDATION_FAILED', 'cursor');
    });

    it('answers 403 to another organization, 404 for an unknown one, 400 for a malformed id', async () => {
      expectProblem(await t.request('GET', keysOf(hr.id), { key: other.key }), 403, 'FORBIDDEN');
      expectProblem(await t.request('GET', keysOf(UNKNOWN_ID)), 404, 'NOT_FOUND');
      expectProblem(await t.request('GET', keysOf(UNKNOWN_ID), { key: other.key }), 404, 'NOT_FOUND');
      expectFieldError(await t.request('GET', keysOf('nope')), 'VALIDATION_FAILED', 'id');
    });

    it('answers one key by id, and 404 for a key of another organization', async () => {
      const one = await t.request('GET', `${keysOf(hr.id)}/${hr.apiKeyId}`, { key: hr.key });
      expect(one.status).toBe(200);
      expect(one.body).toEqual({ id: hr.apiKeyId, createdAt: expect.stringMatching(ISO_INSTANT), lastUsedAt: expect.anything(), revokedAt: null });
      expectProblem(await t.request('GET', `${keysOf(hr.id)}/${other.apiKeyId}`, { key: hr.key }), 404, 'NOT_FOUND');
      expectProblem(await t.request('GET', `${keysOf(hr.id)}/${hr.apiKeyId}`, { key: other.key }), 403, 'FORBIDDEN');
      expectFieldError(await t.request('GET', `${keysOf(hr.id)}/not-a-uuid`), 'VALIDATION_FAILED', 'keyId');
    });
  });

  describe('DELETE /v1/organizations/:id/api-keys/:keyId', () => {
    it('revokes: 204, then the key answers 401 within 1 s', async () => {
      const org = await createOrganization(t, 'hr_firm', '310104');
      const spare = await t.request('POST', keysOf(org.id));
      expect((await t.request('GET', '/v1/me', { key: spare.body.secret })).status).toBe(200); // cached as valid
      const res = await t.request('DELETE', `${keysOf(org.id)}/${spare.body.id}`, { key: org.key });
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      await expectRefusedWithinOneSecond(t, spare.body.secret, Date.now());
      const refused = await t.request('GET', '/v1/me', { key: spare.body.secret });
      expectProblem(refused, 401, 'UNAUTHENTICATED');
      expect(refused.headers['www-authenticate']).toMatch(/^Bearer/);
      // The organization's other key is untouched; the list shows the revocation.
      expect((await t.request('GET', '/v1/me', { key: org.key })).status).toBe(200);
      const listed = (await t.request('GET', keysOf(org.id))).body.items.find((k: { id: string }) => k.id === spare.body.id);
      expect(listed.revokedAt).toMatch(ISO_INSTANT);
    });

    it('lets the platform revoke any organization key', async () => {
      const org = await createOrganization(t, 'employer', '310104');
      expect((await t.request('DELETE', `${keysOf(org.id)}/${org.apiKeyId}`)).status).toBe(204);
      expectProblem(await t.request('GET', '/v1/me', { key: org.key }), 401, 'UNAUTHENTICATED');
    });

    it('lets a key revoke itself', async () => {
      const org = await createOrganization(t, 'employer', '310104');
      expect((await t.request('DELETE', `${keysOf(org.id)}/${org.apiKeyId}`, { key: org.key })).status).toBe(204);
      expectProblem(await t.request('GET', '/v1/me', { key: org.key }), 401, 'UNAUTHENTICATED');
    });

    it('revoking twice is 204 both times and keeps the first revocation time', async () => {
      const org = await createOrganization(t, 'bureau', '440000');
      const spare = await t.request('POST', keysOf(org.id));
      expect((await t.request('DELETE', `${keysOf(org.id)}/${spare.body.id}`)).status).toBe(204);
      const first = (await t.request('GET', `${keysOf(org.id)}/${spare.body.id}`)).body.revokedAt;
      expect(first).toMatch(ISO_INSTANT);
      const again = await t.request('DELETE', `${keysOf(org.id)}/${spare.body.id}`, { key: org.key });
      expect(again.status).toBe(204);
      expect((await t.request('GET', `${keysOf(org.id)}/${spare.body.id}`)).body.revokedAt).toBe(first);
      const audits = await t.dataSource.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'api_key.revoke' AND object_id = $1`, [spare.body.id]);
      expect(audits[0].n).toBe(1);
    });

    it("answers 404 to a key of another organization under one's own path, revoking nothing", async () => {
      const res = await t.request('DELETE', `${keysOf(hr.id)}/${other.apiKeyId}`, { key: hr.key });
      expectProblem(res, 404, 'NOT_FOUND');
      // Not even the platform can revoke it through the wrong organization.
      expectProblem(await t.request('DELETE', `${keysOf(hr.id)}/${other.apiKeyId}`), 404, 'NOT_FOUND');
      expect((await t.request('GET', '/v1/me', { key: other.key })).status).toBe(200);
      const [row] = await t.dataSource.query(`SELECT revoked_at FROM api_keys WHERE id = $1`, [other.apiKeyId]);
      expect(row.revoked_at).toBeNull();
    });

    it("answers 403 to another organization's path", async () => {
      expectProblem(await t.request('DELETE', `${keysOf(other.id)}/${other.apiKeyId}`, { key: hr.key }), 403, 'FORBIDDEN');
      expect((await t.request('GET', '/v1/me', { key: other.key })).status).toBe(200);
    });

    it('answers 404 for an unknown key or organization, 400 for malformed ids', async () => {
      expectProblem(await t.request('DELETE', `${keysOf(hr.id)}/${UNKNOWN_ID}`, { key: hr.key }), 404, 'NOT_FOUND');
      expectProblem(await t.request('DELETE', `${keysOf(UNKNOWN_ID)}/${hr.apiKeyId}`), 404, 'NOT_FOUND');
      expectFieldError(await t.request('DELETE', `${keysOf(hr.id)}/xyz`), 'VALIDATION_FAILED', 'keyId');
      expectFieldError(await t.request('DELETE', `${keysOf('xyz')}/${hr.apiKeyId}`), 'VALIDATION_FAILED', 'id');
    });

    it('fails within 1 s on another instance that had the key cached', async () => {
      const second = await startTestApp({ BOOTSTRAP_ADMIN_KEY: t.platformKey }, { databaseUrl: t.databaseUrl });
      try {
        const org = await createOrganization(t, 'hr_firm', '310104');
        const spare = await t.request('POST', keysOf(org.id));
        // The second instance has just looked the key up and trusts that answer for a while.
        expect((await second.request('GET', '/v1/me', { key: spare.body.secret })).status).toBe(200);
        expect((await t.request('DELETE', `${keysOf(org.id)}/${spare.body.id}`)).status).toBe(204);
        const refused = await expectRefusedWithinOneSecond(second, spare.body.secret, Date.now());
        expectProblem(refused, 401, 'UNAUTHENTICATED');
        expect((await second.request('GET', '/v1/me', { key: org.key })).status).toBe(200);
      } finally {
        await second.close();
      }
    });
  });
});
