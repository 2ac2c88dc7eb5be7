import { creditCodeCheckCharacter } from '../../src/common/identifiers/credit-code';
import { BOOTSTRAP_PLATFORM_CREDIT_CODE } from '../../src/organizations/bootstrap';
import { expectFieldError, expectProblem, ISO_INSTANT, UUID } from '../support/expect';
import { createOrganization, creditCode, OrgWithKey } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

const CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

/** A credit code whose check character is wrong (every other character valid). */
function withWrongCheckCharacter(code: string): string {
  const right = creditCodeCheckCharacter(code.slice(0, 17));
  const wrong = CHARSET[(CHARSET.indexOf(right) + 1) % CHARSET.length];
  return code.slice(0, 17) + wrong;
}

function orgBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { kind: 'hr_firm', name: '上海徐汇人力资源有限公司', creditCode: creditCode('310104'), regionCode: '310104', ...overrides };
}

describe('organizations', () => {
  let t: TestApp;
  let platformOrgId: string;

  beforeAll(async () => {
    t = await startTestApp();
    platformOrgId = (await t.request('GET', '/v1/me')).body.organization.id;
  });
  afterAll(async () => t?.close());

  async function counts(): Promise<Record<string, number>> {
    const [row] = await t.dataSource.query(
      `SELECT (SELECT count(*)::int FROM organizations) AS organizations, (SELECT count(*)::int FROM api_keys) AS api_keys,
              (SELECT count(*)::int FROM audit_log WHERE action <> 'read') AS audit, (SELECT count(*)::int FROM outbox_events) AS outbox`,
    );
    return row;
  }

  describe('POST /v1/organizations', () => {
    it.each(['platform', 'bureau', 'hr_firm', 'employer'])('creates a %s with its first API key', async (kind) => {
      const body = orgBody({ kind, regionCode: kind === 'bureau' ? '310000' : '310104' });
      const res = await t.request('POST', '/v1/organizations', { body });
      expect(res.status).toBe(201);
      expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
      expect(Object.keys(res.body).sort()).toEqual(['apiKey', 'organization']);
      const { organization, apiKey } = res.body;
      expect(organization).toEqual({
        id: expect.stringMatching(UUID),
        kind,
        name: body.name,
        creditCode: body.creditCode,
        regionCode: body.regionCode,
        createdAt: expect.stringMatching(ISO_INSTANT),
      });
      expect(Math.abs(Date.parse(organization.createdAt) - Date.now())).toBeLessThan(60_000);
      expect(apiKey).toEqual({ id: expect.stringMatching(UUID), secret: expect.any(String) });
      expect(apiKey.secret.length).toBeGreaterThanOrEqual(40);
      expect(res.headers.location).toBe(`/v1/organizations/${organization.id}`);

      // The Location answers with the same object, and the secret works at once.
      const got = await t.request('GET', res.headers.location as string);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(organization);
      const me = await t.request('GET', '/v1/me', { key: apiKey.secret });
      expect(me.status).toBe(200);
      expect(me.body).toEqual({ organization, apiKeyId: apiKey.id });
    });

    it('stores only a hash of the secret', async () => {
      const res = await t.request('POST', '/v1/organizations', { body: orgBody() });
      expect(res.status).toBe(201);
      const { secret, id } = res.body.apiKey;
      const rows = await t.dataSource.query(`SELECT * FROM api_keys WHERE id = $1`, [id]);
      expect(rows).toHaveLength(1);
      expect(rows[0].organization_id).toBe(res.body.organization.id);
      for (const [column, value] of Object.entries(rows[0])) {
        const renderings = Buffer.isBuffer(value) ? [value.toString('utf8'), value.toString('hex'), value.toString('base64'), value.toString('base64url')] : [String(value)];
        for (const r of renderings) expect({ column, contains: r.includes(secret) || r.includes(secret.slice(4)) }).toEqual({ column, contains: false });
      }
      // Nowhere in the table, in any column, as text or as bytes.
      const [hits] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM api_keys k WHERE position($1 in row_to_json(k)::text) > 0 OR position(convert_to($1, 'UTF8') in k.secret_hash) > 0`,
        [secret],
      );
      expect(hits.n).toBe(0);
      expect(rows[0].secret_hash).toBeInstanceOf(Buffer);
      expect(rows[0].secret_hash.length).toBe(32);
    });

    it('refuses a taken credit code with 409 DUPLICATE_CREDIT_CODE and writes nothing', async () => {
      const first = orgBody();
      expect((await t.request('POST', '/v1/organizations', { body: first })).status).toBe(201);
      const before = await counts();
      const res = await t.request('POST', '/v1/organizations', { body: orgBody({ creditCode: first.creditCode, kind: 'employer', name: 'Another' }) });
      const problem = expectProblem(res, 409, 'DUPLICATE_CREDIT_CODE');
      expect(problem.instance).toBe('/v1/organizations');
      expect(await counts()).toEqual(before);
      // The bootstrap platform's fixed code is taken too.
      expectProblem(await t.request('POST', '/v1/organizations', { body: orgBody({ creditCode: BOOTSTRAP_PLATFORM_CREDIT_CODE }) }), 409, 'DUPLICATE_CREDIT_CODE');
      expect(await counts()).toEqual(before);
    });

    it('refuses a wrong check character with 400 INVALID_CREDIT_CODE naming creditCode', async () => {
      const before = await counts();
      const res = await t.request('POST', '/v1/organizations', { body: orgBody({ creditCode: withWrongCheckCharacter(creditCode()) }) });
      const problem = expectProblem(res, 400, 'INVALID_CREDIT_CODE');
      expect(problem.errors[0].field).toBe('creditCode');
      expect(problem.errors[0].code).toBe('INVALID_CREDIT_CODE');
      expect(problem.errors).toHaveLength(1);
      expect(await counts()).toEqual(before);
    });

    it.each([
      ['lower case', () => creditCode().toLowerCase()],
      ['17 characters', () => creditCode().slice(0, 17)],
      ['19 characters', () => `${creditCode()}0`],
      ['a letter not in the charset', () => `91310104${'O'.repeat(9)}0`],
      ['an SQL string', () => "'; DROP TABLE x;--"],
    ])('refuses a credit code with %s', async (_label, make) => {
      const res = await t.request('POST', '/v1/organizations', { body: orgBody({ creditCode: make() }) });
      expectFieldError(res, 'INVALID_CREDIT_CODE', 'creditCode');
    });

    it.each(['990000', '31010', '3101040', 'abcdef', '310004', ''])('refuses region code %p with 400 INVALID_REGION_CODE', async (regionCode) => {
      const res = await t.request('POST', '/v1/organizations', { body: orgBody({ regionCode }) });
      const problem = expectFieldError(res, 'INVALID_REGION_CODE', 'regionCode', 'INVALID_REGION_CODE');
      expect(problem.errors).toHaveLength(1);
    });

    it.each([
      ['id', '6b1f1f7e-6a55-4b7e-9a40-9a1a3f0f2c11'],
      ['status', 'active'],
      ['createdAt', '2024-01-01T00:00:00.000Z'],
      ['foo', 1],
    ])('refuses the unknown or server-owned field %s with 400 VALIDATION_FAILED', async (field, value) => {
      const before = await counts();
      const res = await t.request('POST', '/v1/organizations', { body: orgBody({ [field]: value }) });
      const problem = expectFieldError(res, 'VALIDATION_FAILED', field, 'UNKNOWN_FIELD');
      expect(problem.errors).toHaveLength(1);
      expect(await counts()).toEqual(before);
    });

    it.each([
      ['name', 123],
      ['name', null],
      ['name', ['a']],
      ['name', { zh: 'a' }],
      ['name', ''],
      ['name', 'x'.repeat(201)],
      ['kind', 'university'],
      ['kind', 1],
      ['kind', null],
    ])('refuses %s = %p with 400 VALIDATION_FAILED naming the field', async (field, value) => {
      const res = await t.request('POST', '/v1/organizations', { body: orgBody({ [field]: value }) });
      const problem = expectFieldError(res, 'VALIDATION_FAILED', field);
      expect(problem.errors.every((e: { field: string }) => e.field === field)).toBe(true);
    });

    it.each([
      ['creditCode', 918675309],
      ['regionCode', 310104],
      ['creditCode', null],
    ])('refuses %s of the wrong type %p with 400 naming the field', async (field, value) => {
      const res = await t.request('POST', '/v1/organizations', { body: orgBody({ [field]: value }) });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
      expectProblem(res, 400, res.body.code);
      expect(['VALIDATION_FAILED', field === 'creditCode' ? 'INVALID_CREDIT_CODE' : 'INVALID_REGION_CODE']).toContain(res.body.code);
    });

    it('names every missing field', async () => {
      const res = await t.request('POST', '/v1/organizations', { body: {} });
      const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
      const fields = new Set(problem.errors.map((e: { field: string }) => e.field));
      expect([...fields].sort()).toEqual(['creditCode', 'kind', 'name', 'regionCode']);
    });

    it.each([
      ['an array', []],
      ['a string', 'hr_firm'],
      ['a number', 42],
      ['null', null],
    ])('refuses a body that is %s with 400', async (_label, body) => {
      const before = await counts();
      const res = await t.request('POST', '/v1/organizations', { raw: JSON.stringify(body), contentType: 'application/json' });
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(await counts()).toEqual(before);
    });

    it.each([
      ['name', { name: 'Acme\u0000Corp' }],
      ['name', { name: '\u0000' }],
    ])('refuses a NUL character in %s', async (field, overrides) => {
      const before = await counts();
      const res = await t.request('POST', '/v1/organizations', { body: orgBody(overrides) });
      const problem = expectFieldError(res, 'VALIDATION_FAILED', field);
      expect(problem.errors[0].code).toBe('NUL_CHARACTER');
      expect(await counts()).toEqual(before);
    });

    it('refuses a NUL character in a field name', async () => {
      const res = await t.request('POST', '/v1/organizations', { raw: JSON.stringify({ ...orgBody(), 'na\u0000me': 'x' }), contentType: 'application/json' });
      expectProblem(res, 400, 'VALIDATION_FAILED');
    });

    it.each([
      ['surrounding spaces', '  Spaced Name  '],
      ['tabs and new lines', '\tLine one\nLine two\r\n'],
      ['Chinese and emoji', '  沈阳动漫 🎨 人才  '],
      ['an SQL string', "Robert'); DROP TABLE organizations;--"],
      ['markup', '<script>alert(1)</script>'],
      ['a single space', ' '],
    ])('stores a name with %s exactly as sent', async (_label, name) => {
      const res = await t.request('POST', '/v1/organizations', { body: orgBody({ name }) });
      expect(res.status).toBe(201);
      expect(res.body.organization.name).toBe(name);
      const got = await t.request('GET', `/v1/organizations/${res.body.organization.id}`);
      expect(got.body.name).toBe(name);
      const [row] = await t.dataSource.query(`SELECT name FROM organizations WHERE id = $1`, [res.body.organization.id]);
      expect(row.name).toBe(name);
      expect(String(got.headers['content-type'])).toMatch(/^application\/json/);
    });

    it('accepts a name of exactly 200 characters', async () => {
      const name = '名'.repeat(200);
      const res = await t.request('POST', '/v1/organizations', { body: orgBody({ name }) });
      expect(res.status).toBe(201);
      expect(res.body.organization.name).toBe(name);
    });

    it.each(['bureau', 'hr_firm', 'employer'] as const)('answers 403 FORBIDDEN to a %s key, writing nothing', async (kind) => {
      const caller = await createOrganization(t, kind);
      const before = await counts();
      const res = await t.request('POST', '/v1/organizations', { key: caller.key, body: orgBody() });
      expectProblem(res, 403, 'FORBIDDEN');
      expect(await counts()).toEqual(before);
    });

    it('answers 401 UNAUTHENTICATED with WWW-Authenticate without a key', async () => {
      const before = await counts();
      const res = await t.request('POST', '/v1/organizations', { key: null, body: orgBody() });
      expectProblem(res, 401, 'UNAUTHENTICATED');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer\b/);
      expect(await counts()).toEqual(before);
    });

    it('checks the key before the body: no key and a broken body is still 401', async () => {
      const res = await t.request('POST', '/v1/organizations', { key: null, body: { foo: 1 } });
      expectProblem(res, 401, 'UNAUTHENTICATED');
    });
  });

  describe('GET /v1/organizations', () => {
    const created: OrgWithKey[] = [];
    beforeAll(async () => {
      const plan: Array<[OrgWithKey['kind'], string]> = [
        ['hr_firm', '310104'],
        ['bureau', '310000'],
        ['employer', '440305'],
        ['hr_firm', '210102'],
        ['bureau', '210100'],
        ['employer', '310110'],
        ['hr_firm', '440300'],
      ];
      for (const [kind, region] of plan) created.push(await createOrganization(t, kind, region));
    });

    async function allIdsNewestFirst(where = 'true', params: unknown[] = []): Promise<string[]> {
      const rows: Array<{ id: string }> = await t.dataSource.query(`SELECT id FROM organizations WHERE ${where} ORDER BY created_at DESC, id DESC`, params);
      return rows.map((r) => r.id);
    }

    it('lists newest first, every organization once, with public facts only', async () => {
      const res = await t.request('GET', '/v1/organizations?limit=500');
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['items', 'nextCursor']);
      expect(res.body.nextCursor).toBeNull();
      expect(res.body.items.map((o: { id: string }) => o.id)).toEqual(await allIdsNewestFirst());
      // The last one created (in its own earlier request) comes before the first one created.
      const ids = res.body.items.map((o: { id: string }) => o.id);
      expect(ids.indexOf(created[6].id)).toBeLessThan(ids.indexOf(created[0].id));
      for (const o of res.body.items) expect(Object.keys(o).sort()).toEqual(['createdAt', 'creditCode', 'id', 'kind', 'name', 'regionCode']);
      for (let i = 1; i < res.body.items.length; i++) {
        expect(Date.parse(res.body.items[i - 1].createdAt)).toBeGreaterThanOrEqual(Date.parse(res.body.items[i].createdAt));
      }
      expect(res.body.items.find((o: { id: string }) => o.id === platformOrgId)?.kind).toBe('platform');
    });

    it('defaults to 50 per page', async () => {
      // Enough organizations for more than one default page.
      const total = (await allIdsNewestFirst()).length;
      for (let i = total; i < 52; i++) await createOrganization(t, 'employer', '310104');
      const res = await t.request('GET', '/v1/organizations');
      expect(res.status).toBe(200);
      expect(res.body.items).toHaveLength(50);
      expect(typeof res.body.nextCursor).toBe('string');
    });

    it('pages with a keyset cursor: no row skipped or repeated while rows are inserted', async () => {
      const expected = await allIdsNewestFirst();
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const url: string = `/v1/organizations?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const res = await t.request('GET', url);
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.items.map((o: { id: string }) => o.id));
        cursor = res.body.nextCursor;
        if (cursor !== null) {
          expect(res.body.items).toHaveLength(2);
          expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        }
        // Newcomers between pages are newer than every row already listed: they must not shift the pages.
        await createOrganization(t, 'hr_firm', '310104');
        pages++;
      } while (cursor !== null && pages < 100);
      expect(seen).toEqual(expected);
      expect(new Set(seen).size).toBe(seen.length);
      expect(pages).toBe(Math.ceil(expected.length / 2));
    });

    it('ends with nextCursor null on an exactly full last page', async () => {
      const res = await t.request('GET', '/v1/organizations?kind=bureau&limit=500');
      const n = res.body.items.length;
      expect(n).toBeGreaterThanOrEqual(2);
      const page = await t.request('GET', `/v1/organizations?kind=bureau&limit=${n}`);
      expect(page.body.items).toHaveLength(n);
      expect(page.body.nextCursor).toBeNull();
    });

    it.each(['0', '501', 'abc', '-1', '1.5'])('refuses limit=%p with 400 VALIDATION_FAILED', async (limit) => {
      const res = await t.request('GET', `/v1/organizations?limit=${encodeURIComponent(limit)}`);
      expectFieldError(res, 'VALIDATION_FAILED', 'limit');
    });

    it('accepts limit=1 and limit=500', async () => {
      expect((await t.request('GET', '/v1/organizations?limit=1')).body.items).toHaveLength(1);
      expect((await t.request('GET', '/v1/organizations?limit=500')).status).toBe(200);
    });

    const b64 = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8').toString('base64url');
    it.each([
      ['garbage', 'garbage!!'],
      ['not JSON', b64('not json')],
      ['an object', b64({ at: '2024-01-01T00:00:00.000Z' })],
      ['the wrong arity', b64(['2024-01-01T00:00:00.000Z'])],
      ['a non-uuid id', b64(['2024-01-01T00:00:00.000Z', 'not-a-uuid'])],
      ['a number as time', b64([1, '6b1f1f7e-6a55-4b7e-9a40-9a1a3f0f2c11'])],
      ['a time that is not a time', b64(['yesterday', '6b1f1f7e-6a55-4b7e-9a40-9a1a3f0f2c11'])],
      ['a time JavaScript reads but Postgres does not', b64(['1', '6b1f1f7e-6a55-4b7e-9a40-9a1a3f0f2c11'])],
      ['a loose date', b64(['March 7 2024', '6b1f1f7e-6a55-4b7e-9a40-9a1a3f0f2c11'])],
      ['an out-of-range year', b64(['+275760-09-13T00:00:00.000Z', '6b1f1f7e-6a55-4b7e-9a40-9a1a3f0f2c11'])],
      ['year zero', b64(['0000-01-01T00:00:00.000Z', '6b1f1f7e-6a55-4b7e-9a40-9a1a3f0f2c11'])],
      ['an impossible date', b64(['2024-02-30T00:00:00.000Z', '6b1f1f7e-6a55-4b7e-9a40-9a1a3f0f2c11'])],
      ['too long', 'A'.repeat(600)],
    ])('refuses a cursor that is %s with 400 VALIDATION_FAILED', async (_label, cursor) => {
      const res = await t.request('GET', `/v1/organizations?cursor=${encodeURIComponent(cursor)}`);
      expectFieldError(res, 'VALIDATION_FAILED', 'cursor');
    });

    it('accepts a well-formed cursor of any time, even one no row has', async () => {
      const far = await t.request('GET', `/v1/organizations?cursor=${b64(['9999-12-31T23:59:59.999Z', 'ffffffff-ffff-ffff-ffff-ffffffffffff'])}&limit=500`);
      expect(far.status).toBe(200);
      expect(far.body.items.map((o: { id: string }) => o.id)).toEqual(await allIdsNewestFirst());
      const early = await t.request('GET', `/v1/organizations?cursor=${b64(['0001-01-01T00:00:00.000Z', '00000000-0000-0000-0000-000000000000'])}`);
      expect(early.status).toBe(200);
      expect(early.body).toEqual({ items: [], nextCursor: null });
    });

    it('filters by kind', async () => {
      const res = await t.request('GET', '/v1/organizations?kind=bureau&limit=500');
      expect(res.status).toBe(200);
      expect(res.body.items.map((o: { id: string }) => o.id)).toEqual(await allIdsNewestFirst(`kind = 'bureau'`));
      expect(res.body.items.every((o: { kind: string }) => o.kind === 'bureau')).toBe(true);
      expect(res.body.items.map((o: { id: string }) => o.id)).toEqual(expect.arrayContaining([created[1].id, created[4].id]));
      expectFieldError(await t.request('GET', '/v1/organizations?kind=university'), 'VALIDATION_FAILED', 'kind');
    });

    it('filters by a region code prefix of 2 to 6 digits', async () => {
      const shenyang = await t.request('GET', '/v1/organizations?regionCode=2101&limit=500');
      expect(shenyang.status).toBe(200);
      expect(shenyang.body.items.map((o: { id: string }) => o.id).sort()).toEqual([created[3].id, created[4].id].sort());
      const guangdong = await t.request('GET', '/v1/organizations?regionCode=44&limit=500');
      expect(guangdong.body.items.map((o: { id: string }) => o.id)).toEqual(await allIdsNewestFirst(`region_code LIKE '44%'`));
      expect(guangdong.body.items.map((o: { id: string }) => o.id).sort()).toEqual([created[2].id, created[6].id].sort());
      const exact = await t.request('GET', '/v1/organizations?regionCode=440305');
      expect(exact.body.items.map((o: { id: string }) => o.id)).toEqual([created[2].id]);
      const both = await t.request('GET', '/v1/organizations?regionCode=31&kind=bureau&limit=500');
      expect(both.body.items.map((o: { id: string }) => o.id)).toEqual(await allIdsNewestFirst(`region_code LIKE '31%' AND kind = 'bureau'`));
      expect(both.body.items.map((o: { id: string }) => o.id)).toContain(created[1].id);
      for (const bad of ['3', '3101041', 'ab', '31%', '_1']) {
        expectFieldError(await t.request('GET', `/v1/organizations?regionCode=${encodeURIComponent(bad)}`), 'VALIDATION_FAILED', 'regionCode');
      }
    });

    it('pages within a filter', async () => {
      const expected = await allIdsNewestFirst(`kind = 'hr_firm'`);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: any = await t.request('GET', `/v1/organizations?kind=hr_firm&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status).toBe(200);
        seen.push(...res.body.items.map((o: { id: string }) => o.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual(expected);
    });

    it('refuses an unknown query parameter', async () => {
      expectFieldError(await t.request('GET', '/v1/organizations?foo=1'), 'VALIDATION_FAILED', 'foo');
    });

    it.each(['bureau', 'hr_firm', 'employer'] as const)('is open to a %s key', async (kind) => {
      const caller = created.find((o) => o.kind === kind)!;
      const res = await t.request('GET', '/v1/organizations?limit=1', { key: caller.key });
      expect(res.status).toBe(200);
      expect(res.body.items).toHaveLength(1);
    });

    it('needs a key', async () => {
      const res = await t.request('GET', '/v1/organizations', { key: null });
      expectProblem(res, 401, 'UNAUTHENTICATED');
    });
  });

  describe('GET /v1/organizations/:id and /v1/me', () => {
    it('answers one organization to any key', async () => {
      const org = await createOrganization(t, 'employer', '440305', 'Shenzhen Employer Ltd');
      const viewer = await createOrganization(t, 'hr_firm');
      const res = await t.request('GET', `/v1/organizations/${org.id}`, { key: viewer.key });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        id: org.id,
        kind: 'employer',
        name: 'Shenzhen Employer Ltd',
        creditCode: expect.stringMatching(/^91440305[0-9A-Z]{10}$/),
        regionCode: '440305',
        createdAt: expect.stringMatching(ISO_INSTANT),
      });
    });

    it('answers 404 NOT_FOUND for an unknown id', async () => {
      const res = await t.request('GET', '/v1/organizations/6b1f1f7e-6a55-4b7e-9a40-9a1a3f0f2c11');
      const problem = expectProblem(res, 404, 'NOT_FOUND');
      expect(problem.instance).toBe('/v1/organizations/6b1f1f7e-6a55-4b7e-9a40-9a1a3f0f2c11');
    });

    it.each(['not-a-uuid', '123', '6b1f1f7e-6a55-4b7e-9a40-9a1a3f0f2c1', "1' OR '1'='1"])('answers 400 VALIDATION_FAILED for the id %p', async (id) => {
      const res = await t.request('GET', `/v1/organizations/${encodeURIComponent(id)}`);
      expectFieldError(res, 'VALIDATION_FAILED', 'id');
    });

    it('answers /v1/me with the calling organization and key', async () => {
      const platform = await t.request('GET', '/v1/me');
      expect(platform.status).toBe(200);
      expect(Object.keys(platform.body).sort()).toEqual(['apiKeyId', 'organization']);
      expect(platform.body.organization).toEqual(expect.objectContaining({ id: platformOrgId, kind: 'platform', regionCode: '100000', creditCode: BOOTSTRAP_PLATFORM_CREDIT_CODE }));
      const [key] = await t.dataSource.query(`SELECT id FROM api_keys WHERE organization_id = $1 ORDER BY created_at LIMIT 1`, [platformOrgId]);
      expect(platform.body.apiKeyId).toBe(key.id);

      const bureau = await createOrganization(t, 'bureau', '210000');
      const me = await t.request('GET', '/v1/me', { key: bureau.key });
      expect(me.status).toBe(200);
      expect(me.body).toEqual({
        organization: expect.objectContaining({ id: bureau.id, kind: 'bureau', regionCode: '210000' }),
        apiKeyId: bureau.apiKeyId,
      });
      expectProblem(await t.request('GET', '/v1/me', { key: null }), 401, 'UNAUTHENTICATED');
    });
  });
});
