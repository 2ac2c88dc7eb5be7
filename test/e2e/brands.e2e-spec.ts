import { BrandsService } from '../../src/brands/brands.service';
import { createBrand, createCertifiedBrand, futureDate, SEED_BRANDS } from '../support/brands';
import { createOrganization, OrgWithKey } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

describe('brands', () => {
  let t: TestApp;
  let xuhuiFirm: OrgWithKey; // HR firm in Xuhui, operator of the Xuhui brand
  let otherFirm: OrgWithKey;
  let xuhuiBureau: OrgWithKey; // district bureau 310104
  let shanghaiCityBureau: OrgWithKey; // 310100 covers 3101**
  let shanghaiProvince: OrgWithKey; // 310000 covers 31****
  let yangpuBureau: OrgWithKey; // district 310110: not Xuhui
  let shenyangBureau: OrgWithKey; // 210100
  let employer: OrgWithKey;

  beforeAll(async () => {
    t = await startTestApp();
    [xuhuiFirm, otherFirm, xuhuiBureau, shanghaiCityBureau, shanghaiProvince, yangpuBureau, shenyangBureau, employer] = await Promise.all([
      createOrganization(t, 'hr_firm', '310104'),
      createOrganization(t, 'hr_firm', '310110'),
      createOrganization(t, 'bureau', '310104'),
      createOrganization(t, 'bureau', '310100'),
      createOrganization(t, 'bureau', '310000'),
      createOrganization(t, 'bureau', '310110'),
      createOrganization(t, 'bureau', '210100'),
      createOrganization(t, 'employer', '310104'),
    ]);
  });
  afterAll(async () => t?.close());

  describe('create', () => {
    it('an HR firm creates a draft and becomes its operator', async () => {
      const res = await t.request('POST', '/v1/brands', { key: xuhuiFirm.key, body: SEED_BRANDS.xuhuiAiTrainer });
      expect(res.status).toBe(201);
      expect(res.headers.location).toBe(`/v1/brands/${res.body.id}`);
      expect(res.headers.etag).toBe('"1"');
      expect(res.body).toMatchObject({
        ...SEED_BRANDS.xuhuiAiTrainer,
        operatorId: xuhuiFirm.id,
        status: 'draft',
        level: null,
        certifiedById: null,
        certifiedAt: null,
        validUntil: null,
        version: 1,
      });
      expect(res.body.createdAt).toMatch(/Z$/);
    });

    it.each(['bureau', 'employer', 'platform'])('a %s may not create brands (403 FORBIDDEN)', async (kind) => {
      const key = kind === 'bureau' ? xuhuiBureau.key : kind === 'employer' ? employer.key : t.platformKey;
      const res = await t.request('POST', '/v1/brands', { key, body: SEED_BRANDS.xuhuiAiTrainer });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('FORBIDDEN');
    });

    it('refuses bad input with field errors and writes nothing', async () => {
      const before = await t.dataSource.query('SELECT count(*)::int AS n FROM brands');
      const cases: Array<[Record<string, unknown>, string, string]> = [
        [{ ...SEED_BRANDS.xuhuiAiTrainer, occupationCode: '40405' }, 'VALIDATION_FAILED', 'occupationCode'],
        [{ ...SEED_BRANDS.xuhuiAiTrainer, regionCode: '990000' }, 'INVALID_REGION_CODE', 'regionCode'],
        [{ ...SEED_BRANDS.xuhuiAiTrainer, status: 'certified' }, 'VALIDATION_FAILED', 'status'],
        [{ ...SEED_BRANDS.xuhuiAiTrainer, operatorId: otherFirm.id }, 'VALIDATION_FAILED', 'operatorId'],
        [{ ...SEED_BRANDS.xuhuiAiTrainer, name: '' }, 'VALIDATION_FAILED', 'name'],
        [{ ...SEED_BRANDS.xuhuiAiTrainer, name: 42 }, 'VALIDATION_FAILED', 'name'],
      ];
      for (const [body, code, field] of cases) {
        const res = await t.request('POST', '/v1/brands', { key: xuhuiFirm.key, body });
        expect(res.status).toBe(400);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.body.code).toBe(code);
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
      const after = await t.dataSource.query('SELECT count(*)::int AS n FROM brands');
      expect(after[0].n).toBe(before[0].n);
    });

    it('writes the create decision, its event and an audit entry', async () => {
      const brand = await createBrand(t, xuhuiFirm.key);
      const history = await t.request('GET', `/v1/brands/${brand.id}/history`, { key: xuhuiFirm.key });
      expect(history.body.items).toEqual([
        expect.objectContaining({ action: 'create', fromStatus: null, toStatus: 'draft', actorOrganizationId: xuhuiFirm.id, actorApiKeyId: xuhuiFirm.apiKeyId, reason: null }),
      ]);
      const events = await t.dataSource.query(`SELECT type, brand_id FROM outbox_events WHERE aggregate_id = $1`, [brand.id]);
      expect(events).toEqual([{ type: 'brand.created', brand_id: brand.id }]);
      const audit = await t.dataSource.query(`SELECT action FROM audit_log WHERE object_id = $1`, [brand.id]);
      expect(audit.map((a: { action: string }) => a.action)).toContain('brand.create');
    });
  });

  describe('visibility', () => {
    it('a draft is seen by its operator, covering bureaus and the platform only', async () => {
      const brand = await createBrand(t, xuhuiFirm.key);
      for (const key of [xuhuiFirm.key, xuhuiBureau.key, shanghaiCityBureau.key, shanghaiProvince.key, t.platformKey]) {
        expect((await t.request('GET', `/v1/brands/${brand.id}`, { key })).status).toBe(200);
      }
      for (const key of [otherFirm.key, yangpuBureau.key, shenyangBureau.key, employer.key]) {
        const res = await t.request('GET', `/v1/brands/${brand.id}`, { key });
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('NOT_FOUND');
        expect((await t.request('GET', `/v1/brands/${brand.id}/history`, { key })).status).toBe(404);
        const list = await t.request('GET', `/v1/brands?operatorId=${xuhuiFirm.id}&limit=500`, { key });
        expect(list.body.items.map((b: { id: string }) => b.id)).not.toContain(brand.id);
      }
    });

    it('a certified brand is public', async () => {
      const brand = await createCertifiedBrand(t, xuhuiFirm.key, xuhuiBureau.key);
      for (const key of [otherFirm.key, yangpuBureau.key, shenyangBureau.key, employer.key]) {
        expect((await t.request('GET', `/v1/brands/${brand.id}`, { key })).status).toBe(200);
      }
    });

    it('an unknown id is 404, a malformed one 400', async () => {
      expect((await t.request('GET', '/v1/brands/8f14e45f-ceea-4e7a-9b0e-6d1e3c3b0a11', { key: xuhuiFirm.key })).status).toBe(404);
      const bad = await t.request('GET', '/v1/brands/not-a-uuid', { key: xuhuiFirm.key });
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('certification workflow', () => {
    it('draft → submitted → rejected → resubmitted → certified → suspended → reinstated → revoked, with history', async () => {
      const brand = await createBrand(t, xuhuiFirm.key);
      const id = brand.id;
      const step = async (path: string, key: string, body?: unknown) => t.request('POST', `/v1/brands/${id}/${path}`, { key, body });

      expect((await step('submit', xuhuiFirm.key)).body.status).toBe('submitted');
      const rejected = await step('reject', shanghaiCityBureau.key, { reason: '材料不全' });
      expect(rejected.status).toBe(200);
      expect(rejected.body).toMatchObject({ status: 'draft', statusReason: '材料不全' });
      expect((await step('submit', xuhuiFirm.key)).body).toMatchObject({ status: 'submitted', statusReason: null });
      const validUntil = futureDate(730);
      const certified = await step('certify', xuhuiBureau.key, { level: 'district', validUntil });
      expect(certified.status).toBe(200);
      expect(certified.body).toMatchObject({ status: 'certified', level: 'district', validUntil, certifiedById: xuhuiBureau.id });
      expect(certified.body.certifiedAt).toMatch(/Z$/);
      expect((await step('suspend', shanghaiProvince.key, { reason: 'audit' })).body.status).toBe('suspended');
      expect((await step('reinstate', xuhuiBureau.key, { reason: 'audit passed' })).body.status).toBe('certified');
      const revoked = await step('revoke', xuhuiBureau.key, { reason: 'fraud' });
      expect(revoked.body).toMatchObject({ status: 'revoked', version: 8 });

      const history = await t.request('GET', `/v1/brands/${id}/history`, { key: employer.key });
      expect(history.status).toBe(200);
      expect(history.body.items.map((h: { action: string; fromStatus: string; toStatus: string }) => [h.action, h.fromStatus, h.toStatus])).toEqual([
        ['create', null, 'draft'],
        ['submit', 'draft', 'submitted'],
        ['reject', 'submitted', 'draft'],
        ['submit', 'draft', 'submitted'],
        ['certify', 'submitted', 'certified'],
        ['suspend', 'certified', 'suspended'],
        ['reinstate', 'suspended', 'certified'],
        ['revoke', 'certified', 'revoked'],
      ]);
      expect(history.body.items[2]).toMatchObject({ reason: '材料不全', actorOrganizationId: shanghaiCityBureau.id, actorApiKeyId: shanghaiCityBureau.apiKeyId });
      const events = await t.dataSource.query(`SELECT type FROM outbox_events WHERE aggregate_id = $1 ORDER BY seq`, [id]);
      expect(events.map((e: { type: string }) => e.type)).toEqual([
        'brand.created', 'brand.submitted', 'brand.rejected', 'brand.submitted', 'brand.certified', 'brand.suspended', 'brand.reinstated', 'brand.revoked',
      ]);
      // Revoked is final.
      for (const [path, body] of [['reinstate', { reason: 'x' }], ['suspend', { reason: 'x' }], ['revoke', { reason: 'x' }]] as const) {
        const res = await step(path, xuhuiBureau.key, body);
        expect(res.status).toBe(409);
        expect(res.body.code).toBe('INVALID_TRANSITION');
      }
    });

    it('illegal transitions answer 409 INVALID_TRANSITION and change nothing', async () => {
      const brand = await createBrand(t, xuhuiFirm.key);
      const certifyDraft = await t.request('POST', `/v1/brands/${brand.id}/certify`, { key: xuhuiBureau.key, body: { level: 'district', validUntil: futureDate() } });
      expect(certifyDraft.status).toBe(409);
      expect(certifyDraft.body.code).toBe('INVALID_TRANSITION');
      const revokeDraft = await t.request('POST', `/v1/brands/${brand.id}/revoke`, { key: xuhuiBureau.key, body: { reason: 'x' } });
      expect(revokeDraft.body.code).toBe('INVALID_TRANSITION');
      const certified = await createCertifiedBrand(t, xuhuiFirm.key, xuhuiBureau.key);
      expect((await t.request('POST', `/v1/brands/${certified.id}/submit`, { key: xuhuiFirm.key })).body.code).toBe('INVALID_TRANSITION');
      expect((await t.request('POST', `/v1/brands/${certified.id}/reinstate`, { key: xuhuiBureau.key, body: { reason: 'x' } })).body.code).toBe('INVALID_TRANSITION');
      const after = await t.request('GET', `/v1/brands/${certified.id}`, { key: xuhuiFirm.key });
      expect(after.body).toMatchObject({ status: 'certified', version: 3 });
    });

    it('roles and jurisdiction: 403 FORBIDDEN, 403 OUT_OF_JURISDICTION, 404 for what cannot be seen', async () => {
      const brand = await createBrand(t, xuhuiFirm.key);
      // A covering bureau sees the draft but may not submit it.
      const bureauSubmit = await t.request('POST', `/v1/brands/${brand.id}/submit`, { key: xuhuiBureau.key });
      expect(bureauSubmit.status).toBe(403);
      expect(bureauSubmit.body.code).toBe('FORBIDDEN');
      // Another HR firm cannot see the draft at all.
      expect((await t.request('POST', `/v1/brands/${brand.id}/submit`, { key: otherFirm.key })).status).toBe(404);
      await t.request('POST', `/v1/brands/${brand.id}/submit`, { key: xuhuiFirm.key });
      // The operator may not certify its own brand.
      const selfCertify = await t.request('POST', `/v1/brands/${brand.id}/certify`, { key: xuhuiFirm.key, body: { level: 'district', validUntil: futureDate() } });
      expect(selfCertify.status).toBe(403);
      expect(selfCertify.body.code).toBe('FORBIDDEN');
      // The platform sees it but is not a bureau.
      const platformCertify = await t.request('POST', `/v1/brands/${brand.id}/certify`, { body: { level: 'district', validUntil: futureDate() } });
      expect(platformCertify.status).toBe(403);
      // A submitted brand is invisible to a bureau without jurisdiction.
      const yangpu = await t.request('POST', `/v1/brands/${brand.id}/certify`, { key: yangpuBureau.key, body: { level: 'district', validUntil: futureDate() } });
      expect(yangpu.status).toBe(404);
      await t.request('POST', `/v1/brands/${brand.id}/certify`, { key: xuhuiBureau.key, body: { level: 'district', validUntil: futureDate() } });
      // Once certified it is public: a bureau elsewhere sees it but is out of its jurisdiction.
      for (const bureau of [yangpuBureau, shenyangBureau]) {
        const res = await t.request('POST', `/v1/brands/${brand.id}/suspend`, { key: bureau.key, body: { reason: 'x' } });
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('OUT_OF_JURISDICTION');
      }
      const employerSuspend = await t.request('POST', `/v1/brands/${brand.id}/suspend`, { key: employer.key, body: { reason: 'x' } });
      expect(employerSuspend.status).toBe(403);
      expect(employerSuspend.body.code).toBe('FORBIDDEN');
    });

    it('validates decision inputs', async () => {
      const brand = await createBrand(t, xuhuiFirm.key);
      await t.request('POST', `/v1/brands/${brand.id}/submit`, { key: xuhuiFirm.key });
      const cases: unknown[] = [
        { level: 'galactic', validUntil: futureDate() },
        { level: 'district', validUntil: '2020-01-01' },
        { level: 'district', validUntil: '2030-02-30' },
        { level: 'district' },
        { level: 'district', validUntil: futureDate(), reason: 'extra' },
      ];
      for (const body of cases) {
        const res = await t.request('POST', `/v1/brands/${brand.id}/certify`, { key: xuhuiBureau.key, body });
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
      }
      expect((await t.request('POST', `/v1/brands/${brand.id}/reject`, { key: xuhuiBureau.key, body: {} })).status).toBe(400);
      expect((await t.request('POST', `/v1/brands/${brand.id}/reject`, { key: xuhuiBureau.key, body: { reason: '' } })).status).toBe(400);
      const submitWithBody = await t.request('POST', `/v1/brands/${brand.id}/submit`, { key: xuhuiFirm.key, body: { status: 'certified' } });
      expect(submitWithBody.status).toBe(400);
      expect(submitWithBody.body.errors[0]).toMatchObject({ field: 'status', code: 'UNKNOWN_FIELD' });
      expect((await t.request('GET', `/v1/brands/${brand.id}`, { key: xuhuiFirm.key })).body.status).toBe('submitted');
    });

    it('concurrent decisions on one brand: exactly one wins', async () => {
      const brand = await createBrand(t, xuhuiFirm.key);
      await t.request('POST', `/v1/brands/${brand.id}/submit`, { key: xuhuiFirm.key });
      const attempts = Array.from({ length: 24 }, (_, i) =>
        i % 2 === 0
          ? t.request('POST', `/v1/brands/${brand.id}/certify`, { key: i % 4 === 0 ? xuhuiBureau.key : shanghaiCityBureau.key, body: { level: 'district', validUntil: futureDate() } })
          : t.request('POST', `/v1/brands/${brand.id}/reject`, { key: shanghaiProvince.key, body: { reason: `r${i}` } }),
      );
      const results = await Promise.all(attempts);
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(23);
      const history = await t.request('GET', `/v1/brands/${brand.id}/history`, { key: xuhuiFirm.key });
      expect(history.body.items).toHaveLength(3);
    });
  });

  describe('editing and optimistic concurrency', () => {
    it('the operator edits a draft; If-Match guards against lost updates', async () => {
      const brand = await createBrand(t, xuhuiFirm.key);
      const edited = await t.request('PATCH', `/v1/brands/${brand.id}`, { key: xuhuiFirm.key, body: { description: '  spaces kept  ' }, headers: { 'if-match': '"1"' } });
      expect(edited.status).toBe(200);
      expect(edited.body).toMatchObject({ description: '  spaces kept  ', version: 2, name: brand.name });
      expect(edited.headers.etag).toBe('"2"');
      const stale = await t.request('PATCH', `/v1/brands/${brand.id}`, { key: xuhuiFirm.key, body: { name: 'x' }, headers: { 'if-match': '1' } });
      expect(stale.status).toBe(409);
      expect(stale.body.code).toBe('VERSION_CONFLICT');
      const staleSubmit = await t.request('POST', `/v1/brands/${brand.id}/submit`, { key: xuhuiFirm.key, headers: { 'if-match': '1' } });
      expect(staleSubmit.body.code).toBe('VERSION_CONFLICT');
      expect((await t.request('PATCH', `/v1/brands/${brand.id}`, { key: xuhuiFirm.key, body: { name: 'x' }, headers: { 'if-match': 'abc' } })).status).toBe(400);
      expect((await t.request('PATCH', `/v1/brands/${brand.id}`, { key: xuhuiFirm.key, body: {} })).status).toBe(400);
      expect((await t.request('PATCH', `/v1/brands/${brand.id}`, { key: xuhuiFirm.key, body: { version: 9 } })).status).toBe(400);
      expect((await t.request('PATCH', `/v1/brands/${brand.id}`, { key: xuhuiBureau.key, body: { name: 'x' } })).body.code).toBe('FORBIDDEN');
      expect((await t.request('PATCH', `/v1/brands/${brand.id}`, { key: otherFirm.key, body: { name: 'x' } })).status).toBe(404);

      await t.request('POST', `/v1/brands/${brand.id}/submit`, { key: xuhuiFirm.key });
      const afterSubmit = await t.request('PATCH', `/v1/brands/${brand.id}`, { key: xuhuiFirm.key, body: { name: 'x' } });
      expect(afterSubmit.status).toBe(409);
      expect(afterSubmit.body.code).toBe('INVALID_TRANSITION');
    });
  });

  describe('expiry', () => {
    it('reads as expired past validUntil, behaves as final, and the scheduled job records it', async () => {
      const brand = await createCertifiedBrand(t, xuhuiFirm.key, xuhuiBureau.key);
      await t.dataSource.query(`UPDATE brands SET valid_until = current_date - 2 WHERE id = $1`, [brand.id]);
      const read = await t.request('GET', `/v1/brands/${brand.id}`, { key: employer.key });
      expect(read.body.status).toBe('expired');
      const suspend = await t.request('POST', `/v1/brands/${brand.id}/suspend`, { key: xuhuiBureau.key, body: { reason: 'x' } });
      expect(suspend.body.code).toBe('INVALID_TRANSITION');
      const listed = await t.request('GET', `/v1/brands?status=expired&limit=500`, { key: employer.key });
      expect(listed.body.items.map((b: { id: string }) => b.id)).toContain(brand.id);
      const certifiedList = await t.request('GET', `/v1/brands?status=certified&limit=500`, { key: employer.key });
      expect(certifiedList.body.items.map((b: { id: string }) => b.id)).not.toContain(brand.id);

      const expired = await t.app.get(BrandsService).expireDue();
      expect(expired).toBeGreaterThanOrEqual(1);
      expect(await t.app.get(BrandsService).expireDue()).toBe(0);
      const [row] = await t.dataSource.query(`SELECT status, version FROM brands WHERE id = $1`, [brand.id]);
      expect(row).toEqual({ status: 'expired', version: 4 });
      const history = await t.request('GET', `/v1/brands/${brand.id}/history`, { key: employer.key });
      expect(history.body.items.at(-1)).toMatchObject({ action: 'expire', fromStatus: 'certified', toStatus: 'expired', actorOrganizationId: null });
      const events = await t.dataSource.query(`SELECT type FROM outbox_events WHERE aggregate_id = $1 ORDER BY seq DESC LIMIT 1`, [brand.id]);
      expect(events[0].type).toBe('brand.expired');
    });
  });

  describe('listing', () => {
    let listT: TestApp;
    let firm: OrgWithKey;
    let bureau: OrgWithKey;
    beforeAll(async () => {
      listT = await startTestApp();
      firm = await createOrganization(listT, 'hr_firm', '310104');
      bureau = await createOrganization(listT, 'bureau', '310000');
      const shenyangFirm = await createOrganization(listT, 'hr_firm', '210100');
      const shenyangBureau2 = await createOrganization(listT, 'bureau', '210000');
      await createCertifiedBrand(listT, firm.key, bureau.key, SEED_BRANDS.xuhuiAiTrainer);
      await createCertifiedBrand(listT, firm.key, bureau.key, SEED_BRANDS.yangpuCncOperator);
      await createCertifiedBrand(listT, shenyangFirm.key, shenyangBureau2.key, SEED_BRANDS.shenyangAnimationArtist);
      await createBrand(listT, firm.key, { name: '徐汇养老护理员' });
    });
    afterAll(async () => listT?.close());

    const names = (res: { body: { items: Array<{ name: string }> } }): string[] => res.body.items.map((b) => b.name);

    it('filters by status, region prefix, occupation, operator and words of the name', async () => {
      const employerKey = (await createOrganization(listT, 'employer', '310104')).key;
      expect(names(await listT.request('GET', '/v1/brands', { key: employerKey }))).toEqual(['沈阳动漫设计师', '杨浦低空飞行数控操作员', '徐汇AI训练师']);
      expect(names(await listT.request('GET', '/v1/brands', { key: firm.key }))).toEqual(['徐汇养老护理员', '沈阳动漫设计师', '杨浦低空飞行数控操作员', '徐汇AI训练师']);
      expect(names(await listT.request('GET', '/v1/brands?status=draft', { key: firm.key }))).toEqual(['徐汇养老护理员']);
      expect(names(await listT.request('GET', '/v1/brands?status=draft', { key: employerKey }))).toEqual([]);
      expect(names(await listT.request('GET', '/v1/brands?regionCode=31', { key: employerKey }))).toEqual(['杨浦低空飞行数控操作员', '徐汇AI训练师']);
      expect(names(await listT.request('GET', '/v1/brands?regionCode=310110', { key: employerKey }))).toEqual(['杨浦低空飞行数控操作员']);
      expect(names(await listT.request('GET', '/v1/brands?regionCode=2101', { key: employerKey }))).toEqual(['沈阳动漫设计师']);
      expect(names(await listT.request('GET', '/v1/brands?occupationCode=4-04-05-05', { key: employerKey }))).toEqual(['徐汇AI训练师']);
      expect(names(await listT.request('GET', `/v1/brands?operatorId=${firm.id}`, { key: firm.key }))).toHaveLength(3);
      expect(names(await listT.request('GET', `/v1/brands?q=${encodeURIComponent('训练')}`, { key: employerKey }))).toEqual(['徐汇AI训练师']);
      expect(names(await listT.request('GET', `/v1/brands?q=${encodeURIComponent('徐汇 ai')}`, { key: firm.key }))).toEqual(['徐汇AI训练师']);
      expect(names(await listT.request('GET', `/v1/brands?q=${encodeURIComponent('徐汇')}`, { key: firm.key }))).toEqual(['徐汇养老护理员', '徐汇AI训练师']);
      expect(names(await listT.request('GET', `/v1/brands?q=${encodeURIComponent('%')}`, { key: firm.key }))).toEqual([]);
      for (const bad of ['status=nope', 'regionCode=3', 'regionCode=abc', 'occupationCode=4', 'operatorId=x', 'limit=0', 'limit=501', 'cursor=zzz']) {
        const res = await listT.request('GET', `/v1/brands?${bad}`, { key: firm.key });
        expect(res.status).toBe(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
      }
    });

    it('keyset pagination neither skips nor repeats while brands are inserted', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let page = 0;
      const before = (await listT.request('GET', '/v1/brands?limit=500', { key: firm.key })).body.items.map((b: { id: string }) => b.id);
      do {
        const res: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await listT.request('GET', `/v1/brands?limit=1${cursor ? `&cursor=${cursor}` : ''}`, { key: firm.key });
        seen.push(...res.body.items.map((b) => b.id));
        cursor = res.body.nextCursor;
        if (page++ < 3) await createBrand(listT, firm.key, { name: `新品牌 ${page}` });
      } while (cursor);
      expect(seen).toEqual(before);
    });
  });
});
