import { PiiCipher } from '../../src/common/crypto/pii-cipher';
import { nationalIdCheckCharacter } from '../../src/common/identifiers/national-id';
import { PII_CIPHER } from '../../src/common/crypto/pii.provider';
import { createBrand, createCertifiedBrand, SEED_BRANDS } from '../support/brands';
import { expectProblem, ISO_INSTANT, UUID } from '../support/expect';
import { createOrganization, OrgWithKey } from '../support/factories';
import { Response, startTestApp, TestApp } from '../support/test-app';
import { registerTrainee, uniqueNationalId } from '../support/trainees';
import { TraineesRepository } from '../../src/trainees/trainees.repository';

const today = (): string => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
const withCheck = (first17: string): string => first17 + nationalIdCheckCharacter(first17);
/** A valid number ending in X (so the lower-case variant can be tried), unique for this run. */
function nationalIdEndingInX(): string {
  for (;;) {
    const id = uniqueNationalId();
    if (id.endsWith('X')) return id;
  }
}

describe('trainees', () => {
  let t: TestApp;
  let firm: OrgWithKey; // operator of every brand below unless said otherwise
  let otherFirm: OrgWithKey;
  let bureau: OrgWithKey; // Shanghai city: covers Xuhui 310104
  let farBureau: OrgWithKey; // Shenyang
  let employer: OrgWithKey;
  let otherEmployer: OrgWithKey;
  let certified: any; // firm's certified Xuhui brand
  let secondBrand: any; // firm's second (draft) brand
  let otherFirmDraft: any;
  let otherFirmCertified: any;

  beforeAll(async () => {
    t = await startTestApp();
    [firm, otherFirm, bureau, farBureau, employer, otherEmployer] = await Promise.all([
      createOrganization(t, 'hr_firm', '310104'),
      createOrganization(t, 'hr_firm', '310110'),
      createOrganization(t, 'bureau', '310100'),
      createOrganization(t, 'bureau', '210100'),
      createOrganization(t, 'employer', '310104'),
      createOrganization(t, 'employer', '310115'),
    ]);
    certified = await createCertifiedBrand(t, firm.key, bureau.key, SEED_BRANDS.xuhuiAiTrainer);
    secondBrand = await createBrand(t, firm.key, { ...SEED_BRANDS.xuhuiAiTrainer, name: '徐汇AI训练师二期' });
    otherFirmDraft = await createBrand(t, otherFirm.key, SEED_BRANDS.yangpuCncOperator);
    otherFirmCertified = await createCertifiedBrand(t, otherFirm.key, bureau.key, { ...SEED_BRANDS.yangpuCncOperator, name: '杨浦数控认证品牌' });
  });
  afterAll(async () => t?.close());

  const register = (key: string, brandId: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
    t.request('POST', `/v1/brands/${brandId}/trainees`, { key, body, headers });
  const body = (overrides: Record<string, unknown> = {}) => ({
    fullName: '张伟',
    nationalId: uniqueNationalId(),
    phone: '13812345678',
    targetGroups: ['graduate', 'veteran'],
    cohort: '2026春季班',
    expectedMonthlySalaryFen: 1_200_000,
    ...overrides,
  });
  const count = async (sql: string, params: unknown[] = []): Promise<number> => (await t.dataSource.query(`SELECT count(*)::int AS n FROM ${sql}`, params))[0].n;

  describe('register', () => {
    it('201 with Location, ETag and the whole trainee; the number masked, birth date and gender derived', async () => {
      const nationalId = withCheck('31010419980315001'); // 1998-03-15, sequence ends in 1: male
      const res = await register(firm.key, certified.id, body({ nationalId, fullName: '欧阳娜娜' }));
      expect(res.status).toBe(201);
      expect(res.headers.location).toBe(`/v1/trainees/${res.body.id}`);
      expect(res.headers.etag).toBe('"1"');
      expect(res.body).toEqual({
        id: expect.stringMatching(UUID),
        brandId: certified.id,
        fullName: '欧阳娜娜',
        nationalIdMasked: `310104********${nationalId.slice(14)}`,
        birthDate: '1998-03-15',
        gender: 'male',
        phone: '13812345678',
        phoneMasked: '138****5678',
        targetGroups: ['graduate', 'veteran'],
        cohort: '2026春季班',
        expectedMonthlySalaryFen: 1_200_000,
        status: 'registered',
        registeredAt: expect.stringMatching(ISO_INSTANT),
        erased: false,
        version: 1,
      });
      expect(res.body.nationalIdMasked).toMatch(/^\d{6}\*{8}[\dX]{4}$/);
      expect(res.text).not.toContain(nationalId);
      // The Location answers.
      const read = await t.request('GET', res.headers.location as string, { key: firm.key });
      expect(read.status).toBe(200);
      expect(read.body).toEqual(res.body);

      const female = await register(firm.key, certified.id, { fullName: '李娜', nationalId: withCheck('31010420000229002') });
      expect(female.status).toBe(201);
      expect(female.body).toMatchObject({ birthDate: '2000-02-29', gender: 'female', phone: null, phoneMasked: null, targetGroups: [], cohort: null, expectedMonthlySalaryFen: null });
    });

    it('writes the event and the audit entry, both without personal data', async () => {
      const nationalId = uniqueNationalId();
      const { body: trainee } = await register(firm.key, certified.id, body({ nationalId, phone: '13912340001' }));
      const events = await t.dataSource.query(`SELECT type, data FROM outbox_events WHERE aggregate_id = $1`, [trainee.id]);
      expect(events).toEqual([{ type: 'trainee.registered', data: { traineeId: trainee.id, brandId: certified.id, status: 'registered' } }]);
      const audit = await t.dataSource.query(`SELECT action, actor_organization_id, details FROM audit_log WHERE object_id = $1`, [trainee.id]);
      expect(audit).toEqual([{ action: 'trainee.register', actor_organization_id: firm.id, details: {} }]);
    });

    it('one trainee per person per brand: 409 DUPLICATE_TRAINEE, also with a lower-case final x; another brand of the same firm is fine', async () => {
      const nationalId = nationalIdEndingInX();
      expect((await register(firm.key, certified.id, body({ nationalId }))).status).toBe(201);
      const before = await count('trainees');

      const again = await register(firm.key, certified.id, body({ nationalId, fullName: '王芳' }));
      expectProblem(again, 409, 'DUPLICATE_TRAINEE');
      expect(again.text).not.toContain(nationalId);

      const lower = await register(firm.key, certified.id, body({ nationalId: `${nationalId.slice(0, 17)}x` }));
      expectProblem(lower, 409, 'DUPLICATE_TRAINEE');
      expect(await count('trainees')).toBe(before);

      const elsewhere = await register(firm.key, secondBrand.id, body({ nationalId: `${nationalId.slice(0, 17)}x` }));
      expect(elsewhere.status).toBe(201);
      // Stored in its one spelling: the mask ends in an upper-case X.
      expect(elsewhere.body.nationalIdMasked.endsWith('X')).toBe(true);
    });

    it('the same person registered five times at once: one 201, four 409 DUPLICATE_TRAINEE', async () => {
      const nationalId = uniqueNationalId();
      const results = await Promise.all(Array.from({ length: 5 }, () => register(firm.key, certified.id, body({ nationalId }))));
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
      for (const r of results.filter((x) => x.status === 409)) expectProblem(r, 409, 'DUPLICATE_TRAINEE');
    });

    it.each([
      ['a bad checksum', () => { const id = uniqueNationalId(); return id.slice(0, 17) + (id[17] === '0' ? '1' : '0'); }, /check character/],
      ['a date that does not exist (19990230)', () => withCheck('31010419990230001'), /birth date it holds is not a real date/],
      ['17 characters', () => uniqueNationalId().slice(0, 17), /18 characters/],
      ['letters', () => `31010419980315ab1X`, /must be a digit/],
      ['a birth date in the future', () => withCheck(`310104${new Date().getUTCFullYear() + 1}0101001`), /future/],
    ])('%s → 400 INVALID_NATIONAL_ID naming the problem, nothing written', async (_what, make, message) => {
      const nationalId = make();
      const before = await count('trainees');
      const res = await register(firm.key, certified.id, body({ nationalId }));
      const problem = expectProblem(res, 400, 'INVALID_NATIONAL_ID');
      expect(problem.errors[0]).toEqual({ field: 'nationalId', code: 'INVALID_NATIONAL_ID', message: expect.stringMatching(message) });
      expect(res.text).not.toContain(nationalId);
      // Not even its birth date: a problem document may be logged or shown on a shared screen.
      expect(res.text).not.toContain(nationalId.slice(6, 14));
      expect(await count('trainees')).toBe(before);
    });

    it('a number that is not a string is 400 too', async () => {
      const res = await register(firm.key, certified.id, body({ nationalId: 3101041998 }));
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe('nationalId');
    });

    it.each([
      ['phone starting 12', { phone: '12345678901' }, 'phone'],
      ['phone of 10 digits', { phone: '1381234567' }, 'phone'],
      ['phone with +86', { phone: '+8613812345678' }, 'phone'],
      ['an unknown target group', { targetGroups: ['astronaut'] }, 'targetGroups'],
      ['a target group twice', { targetGroups: ['graduate', 'graduate'] }, 'targetGroups'],
      ['target groups as a string', { targetGroups: 'graduate;veteran' }, 'targetGroups'],
      ['a negative salary', { expectedMonthlySalaryFen: -1 }, 'expectedMonthlySalaryFen'],
      ['a fractional salary', { expectedMonthlySalaryFen: 1.5 }, 'expectedMonthlySalaryFen'],
      ['no name', { fullName: '' }, 'fullName'],
      ['a name of 101 characters', { fullName: '张'.repeat(101) }, 'fullName'],
      ['the server-owned status', { status: 'training' }, 'status'],
      ['the server-owned id', { id: '00000000-0000-4000-8000-000000000000' }, 'id'],
      ['the derived birthDate', { birthDate: '1998-03-15' }, 'birthDate'],
      ['the derived gender', { gender: 'male' }, 'gender'],
      ['nationalIdMasked', { nationalIdMasked: '310104********0011' }, 'nationalIdMasked'],
    ])('%s → 400 VALIDATION_FAILED naming the field, nothing written', async (_what, overrides, field) => {
      const before = await count('trainees');
      const res = await register(firm.key, certified.id, body(overrides));
      const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(problem.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await count('trainees')).toBe(before);
    });

    it('a missing nationalId is VALIDATION_FAILED', async () => {
      const { nationalId: _omitted, ...rest } = body();
      const res = await register(firm.key, certified.id, rest);
      expect(expectProblem(res, 400, 'VALIDATION_FAILED').errors.map((e: { field: string }) => e.field)).toContain('nationalId');
    });

    it('a NUL character in the name is refused', async () => {
      const res = await register(firm.key, certified.id, body({ fullName: '张\u0000伟' }));
      expect(expectProblem(res, 400, 'VALIDATION_FAILED').errors[0].field).toBe('fullName');
    });

    it("not the operator: a certified brand answers 403 FORBIDDEN, another firm's draft 404", async () => {
      const before = await count('trainees');
      for (const key of [otherFirm.key, bureau.key, farBureau.key, employer.key, t.platformKey]) {
        expectProblem(await register(key, certified.id, body()), 403, 'FORBIDDEN');
      }
      expectProblem(await register(firm.key, otherFirmDraft.id, body()), 404, 'NOT_FOUND');
      expectProblem(await register(employer.key, otherFirmDraft.id, body()), 404, 'NOT_FOUND');
      expectProblem(await register(farBureau.key, otherFirmDraft.id, body()), 404, 'NOT_FOUND');
      expectProblem(await register(firm.key, '00000000-0000-4000-8000-000000000000', body()), 404, 'NOT_FOUND');
      expectProblem(await register(firm.key, 'not-a-uuid', body()), 400, 'VALIDATION_FAILED');
      expect(await count('trainees')).toBe(before);
    });

    it('a revoked brand takes no new trainees: 409 INVALID_TRANSITION', async () => {
      const brand = await createCertifiedBrand(t, firm.key, bureau.key, { ...SEED_BRANDS.xuhuiAiTrainer, name: '将被撤销的品牌' });
      expect((await register(firm.key, brand.id, body())).status).toBe(201);
      const revoked = await t.request('POST', `/v1/brands/${brand.id}/revoke`, { key: bureau.key, body: { reason: '违规' } });
      expect(revoked.status).toBe(200);
      expect(revoked.body.status).toBe('revoked');
      const before = await count('trainees WHERE brand_id = $1', [brand.id]);
      expectProblem(await register(firm.key, brand.id, body()), 409, 'INVALID_TRANSITION');
      expect(await count('trainees WHERE brand_id = $1', [brand.id])).toBe(before);
    });

    it('an Idempotency-Key replay returns the same trainee and registers once', async () => {
      const b = body();
      const first = await register(firm.key, certified.id, b, { 'idempotency-key': 'register-once-1' });
      const second = await register(firm.key, certified.id, b, { 'idempotency-key': 'register-once-1' });
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.body).toEqual(first.body);
      expect(second.headers.location).toBe(first.headers.location);
      expect(await count('trainees WHERE id = $1', [first.body.id])).toBe(1);
    });
  });

  describe('register in one statement (the fast path) and its fall-backs', () => {
    // Observed, never replaced: the spies call through, so the routes behave as they do without them.
    let oneStatement: jest.SpyInstance;
    let transactionInsert: jest.SpyInstance;
    beforeEach(() => {
      const repository = t.app.get(TraineesRepository);
      oneStatement = jest.spyOn(repository, 'registerInOneStatement');
      transactionInsert = jest.spyOn(repository, 'insert');
    });
    afterEach(() => jest.restoreAllMocks());

    /** What a registration wrote besides the trainee: its events and audit entries, with the transaction they are in. */
    const writtenFor = async (traineeId: string): Promise<{ trainee: any; events: any[]; audit: any[] }> => {
      const [trainee] = await t.dataSource.query(`SELECT xmin::text AS tx, * FROM trainees WHERE id = $1`, [traineeId]);
      const events = await t.dataSource.query(
        `SELECT xmin::text AS tx, xid::text, brand_id, aggregate_type, aggregate_id, type, data, actor_organization_id, delivered_at FROM outbox_events WHERE aggregate_id = $1`,
        [traineeId],
      );
      const audit = await t.dataSource.query(
        `SELECT xmin::text AS tx, actor_organization_id, actor_api_key_id, action, object_type, object_id, brand_id, details FROM audit_log WHERE object_id = $1`,
        [traineeId],
      );
      return { trainee, events, audit };
    };
    /** Everything a failed registration might have written. */
    const footprint = async (): Promise<unknown> =>
      (await t.dataSource.query(`SELECT (SELECT count(*)::int FROM trainees) AS trainees, (SELECT count(*)::int FROM outbox_events) AS events, (SELECT count(*)::int FROM audit_log WHERE action <> 'read') AS audit`))[0];
    const withoutInstance = ({ instance: _instance, ...rest }: Record<string, unknown>): Record<string, unknown> => rest;

    it('one statement writes the trainee, its event and its audit entry in one transaction, exactly as the transaction does', async () => {
      const fast = await register(firm.key, certified.id, body({ nationalId: withCheck('31010419980315101'), fullName: '欧阳娜娜' }));
      expect(fast.status).toBe(201);
      expect(oneStatement).toHaveBeenCalledTimes(1);
      await expect(oneStatement.mock.results[0].value).resolves.toMatchObject({ id: fast.body.id });
      expect(transactionInsert).not.toHaveBeenCalled();
      expect(fast.headers.location).toBe(`/v1/trainees/${fast.body.id}`);
      expect(fast.headers.etag).toBe('"1"');
      expect((await t.request('GET', `/v1/trainees/${fast.body.id}`, { key: firm.key })).body).toEqual(fast.body);

      // The transaction's witness: a brand id in upper case is left to the general path (its answer repeats the
      // path's spelling of the brand id, see TraineesService.registerInOneStatement).
      const general = await register(firm.key, certified.id.toUpperCase(), body({ nationalId: withCheck('31010419980315111'), fullName: '欧阳娜娜' }));
      expect(general.status).toBe(201);
      expect(transactionInsert).toHaveBeenCalledTimes(1);
      expect(oneStatement).toHaveBeenCalledTimes(1);

      const same = (r: Response): unknown => ({ ...r.body, id: 'the trainee', brandId: r.body.brandId.toLowerCase(), nationalIdMasked: r.body.nationalIdMasked.slice(0, 14), registeredAt: 'then' });
      expect(same(fast)).toEqual(same(general));

      const a = await writtenFor(fast.body.id);
      const b = await writtenFor(general.body.id);
      // One transaction each: the trainee, the event (its xid too) and the audit entry.
      for (const w of [a, b]) {
        expect(w.events.map((e) => [e.tx, e.xid])).toEqual([[w.trainee.tx, w.trainee.tx]]);
        expect(w.audit.map((e) => e.tx)).toEqual([w.trainee.tx]);
      }
      const rowsOf = (w: { trainee: any; events: any[]; audit: any[] }, id: string): unknown => {
        const text = JSON.stringify({ events: w.events.map(({ tx: _t, xid: _x, ...e }) => e), audit: w.audit.map(({ tx: _t, ...e }) => e) });
        return JSON.parse(text.split(id).join('the trainee').split(certified.id.toUpperCase()).join(certified.id));
      };
      expect(rowsOf(a, fast.body.id)).toEqual(rowsOf(b, general.body.id));
      expect(a.events).toEqual([
        expect.objectContaining({ brand_id: certified.id, aggregate_type: 'trainee', aggregate_id: fast.body.id, type: 'trainee.registered', data: { traineeId: fast.body.id, brandId: certified.id, status: 'registered' }, actor_organization_id: firm.id }),
      ]);
      expect(a.audit).toEqual([
        expect.objectContaining({ actor_organization_id: firm.id, actor_api_key_id: firm.apiKeyId, action: 'trainee.register', object_type: 'trainee', object_id: fast.body.id, brand_id: certified.id, details: {} }),
      ]);
      // The stored rows agree column for column, but for the person and the moment.
      const stored = ({ tx: _t, id: _i, national_id_cipher: _c, national_id_hash: _h, national_id_masked: _m, phone_cipher: _p, registered_at: _r, updated_at: _u, ...rest }: any): unknown => rest;
      expect(stored(a.trainee)).toEqual(stored(b.trainee));
    });

    it('a suspended brand and a draft take trainees through the one statement too', async () => {
      const suspended = await createCertifiedBrand(t, firm.key, bureau.key, { ...SEED_BRANDS.xuhuiAiTrainer, name: '暂停中的品牌' });
      expect((await t.request('POST', `/v1/brands/${suspended.id}/suspend`, { key: bureau.key, body: { reason: '整改' } })).status).toBe(200);
      for (const brand of [suspended, secondBrand]) {
        const res = await register(firm.key, brand.id, body());
        expect(res.status).toBe(201);
        expect(res.body.brandId).toBe(brand.id);
      }
      expect(transactionInsert).not.toHaveBeenCalled();
      expect(oneStatement).toHaveBeenCalledTimes(2);
    });

    it('when the statement writes nothing, the transaction answers exactly as before (404, 403, 409) and nothing is written', async () => {
      const revoked = await createCertifiedBrand(t, firm.key, bureau.key, { ...SEED_BRANDS.xuhuiAiTrainer, name: '已撤销的品牌' });
      expect((await t.request('POST', `/v1/brands/${revoked.id}/revoke`, { key: bureau.key, body: { reason: '违规' } })).status).toBe(200);
      // Past its validity but not yet recorded by the expiry job: expired as readers see it (effectiveBrandStatus).
      const lapsed = await createCertifiedBrand(t, firm.key, bureau.key, { ...SEED_BRANDS.xuhuiAiTrainer, name: '过期未记录的品牌' });
      await t.dataSource.query(`UPDATE brands SET valid_until = $2::date - 1 WHERE id = $1`, [lapsed.id, today()]);
      // Valid through today (inclusive): still open.
      const lastDay = await createCertifiedBrand(t, firm.key, bureau.key, { ...SEED_BRANDS.xuhuiAiTrainer, name: '今日到期的品牌' });
      await t.dataSource.query(`UPDATE brands SET valid_until = $2::date WHERE id = $1`, [lastDay.id, today()]);
      const recorded = await createCertifiedBrand(t, firm.key, bureau.key, { ...SEED_BRANDS.xuhuiAiTrainer, name: '已记录过期的品牌' });
      await t.dataSource.query(`UPDATE brands SET status = 'expired', valid_until = $2::date - 1 WHERE id = $1`, [recorded.id, today()]);
      const cases: Array<[string, string, string, () => Record<string, unknown>, number, string, RegExp?]> = [
        ['an unknown brand', firm.key, '00000000-0000-4000-8000-000000000000', () => body(), 404, 'NOT_FOUND'],
        ["another firm's draft", firm.key, otherFirmDraft.id, () => body(), 404, 'NOT_FOUND'],
        ["another firm's certified brand", firm.key, otherFirmCertified.id, () => body(), 403, 'FORBIDDEN'],
        ['a bureau with jurisdiction', bureau.key, certified.id, () => body(), 403, 'FORBIDDEN'],
        ['the platform', t.platformKey, certified.id, () => body(), 403, 'FORBIDDEN'],
        ['a revoked brand', firm.key, revoked.id, () => body(), 409, 'INVALID_TRANSITION', /revoked/],
        ['a brand past its validity', firm.key, lapsed.id, () => body(), 409, 'INVALID_TRANSITION', /expired/],
        ['an expired brand', firm.key, recorded.id, () => body(), 409, 'INVALID_TRANSITION', /expired/],
      ];
      for (const [what, key, brandId, make, status, code, detail] of cases) {
        const before = await footprint();
        const calls = oneStatement.mock.calls.length;
        const fast = await register(key, brandId, make());
        expect({ what, status: fast.status }).toEqual({ what, status });
        expectProblem(fast, status, code);
        if (detail) expect(fast.body.detail).toMatch(detail);
        // The statement was tried, wrote nothing, and the transaction found out why.
        expect({ what, tried: oneStatement.mock.calls.length - calls }).toEqual({ what, tried: 1 });
        await expect(oneStatement.mock.results[calls].value).resolves.toBeNull();
        const general = await register(key, brandId.toUpperCase(), make());
        expect({ what, fast: withoutInstance(fast.body) }).toEqual({ what, fast: withoutInstance(general.body) });
        expect({ what, written: await footprint() }).toEqual({ what, written: before });
      }

      // The same person again: the statement meets the unique key and writes nothing; the answer is the transaction's.
      const nationalId = nationalIdEndingInX();
      expect((await register(firm.key, lastDay.id, body({ nationalId }))).status).toBe(201);
      const before = await footprint();
      const calls = oneStatement.mock.calls.length;
      const again = await register(firm.key, lastDay.id, body({ nationalId: `${nationalId.slice(0, 17)}x`, fullName: '王芳' }));
      expectProblem(again, 409, 'DUPLICATE_TRAINEE');
      expect(again.text).not.toContain(nationalId.slice(0, 17));
      expect(oneStatement.mock.calls.length - calls).toBe(1);
      const general = await register(firm.key, lastDay.id.toUpperCase(), body({ nationalId }));
      expect(withoutInstance(again.body)).toEqual(withoutInstance(general.body));
      expect(await footprint()).toEqual(before);
      expect(transactionInsert).toHaveBeenCalled();
    });

    it('an Idempotency-Key replay of a one-statement registration answers the stored response and writes nothing more', async () => {
      const b = body();
      const first = await register(firm.key, certified.id, b, { 'idempotency-key': 'one-statement-once' });
      expect(first.status).toBe(201);
      expect(oneStatement).toHaveBeenCalledTimes(1);
      const before = await footprint();
      const replay = await register(firm.key, certified.id, b, { 'idempotency-key': 'one-statement-once' });
      expect(replay.status).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body).toEqual(first.body);
      expect(replay.headers.location).toBe(first.headers.location);
      expect(oneStatement).toHaveBeenCalledTimes(1);
      expect(await footprint()).toEqual(before);
    });
  });

  describe('visibility', () => {
    let trainee: any;
    let draftTrainee: any;

    beforeAll(async () => {
      trainee = await registerTrainee(t, firm.key, certified.id, { phone: '13812345678', fullName: '陈静' });
      draftTrainee = await registerTrainee(t, firm.key, secondBrand.id, { phone: '13712345678' });
    });

    const get = (key: string, id = trainee.id) => t.request('GET', `/v1/trainees/${id}`, { key });
    const list = (key: string, brandId = certified.id) => t.request('GET', `/v1/brands/${brandId}/trainees`, { key });

    it('the operator: 200 with the phone in full, on one and in the list', async () => {
      const one = await get(firm.key);
      expect(one.status).toBe(200);
      expect(one.headers.etag).toBe(`"${trainee.version}"`);
      expect(one.body).toEqual(trainee);
      expect(one.body.phone).toBe('13812345678');
      const all = await list(firm.key);
      expect(all.status).toBe(200);
      expect(all.body.items.find((i: any) => i.id === trainee.id)).toEqual(trainee);
      expect(all.body).toHaveProperty('nextCursor');
    });

    it('a bureau with jurisdiction: 200 without the phone (masked only), draft brands included', async () => {
      const one = await get(bureau.key);
      expect(one.status).toBe(200);
      expect(one.body).toEqual({ ...trainee, phone: null, phoneMasked: '138****5678' });
      const all = await list(bureau.key);
      expect(all.status).toBe(200);
      expect(all.body.items.find((i: any) => i.id === trainee.id)).toEqual({ ...trainee, phone: null });
      for (const item of all.body.items) expect(item.phone).toBeNull();
      expect((await get(bureau.key, draftTrainee.id)).body.phone).toBeNull();
      expect((await list(bureau.key, secondBrand.id)).status).toBe(200);
    });

    it('a bureau elsewhere: 404 for the trainee; the list under a certified brand 403, under a draft 404', async () => {
      expectProblem(await get(farBureau.key), 404, 'NOT_FOUND');
      expectProblem(await get(farBureau.key, draftTrainee.id), 404, 'NOT_FOUND');
      expectProblem(await list(farBureau.key), 403, 'FORBIDDEN');
      expectProblem(await list(farBureau.key, secondBrand.id), 404, 'NOT_FOUND');
    });

    it('another HR firm: 404 for the trainee, 403 for the certified brand’s list, 404 for a draft’s', async () => {
      const res = await get(otherFirm.key);
      expectProblem(res, 404, 'NOT_FOUND');
      expect(res.text).not.toContain('陈静');
      expectProblem(await list(otherFirm.key), 403, 'FORBIDDEN');
      expectProblem(await list(otherFirm.key, secondBrand.id), 404, 'NOT_FOUND');
    });

    it('an employer: 404 without a placement, 200 (no phone) once a placement names it; never the list', async () => {
      const mine = await registerTrainee(t, firm.key, certified.id, { phone: '13612345678' });
      expectProblem(await get(employer.key, mine.id), 404, 'NOT_FOUND');
      expectProblem(await list(employer.key), 403, 'FORBIDDEN');

      const proposed = await t.request('POST', '/v1/placements', {
        key: firm.key,
        body: { traineeId: mine.id, employerId: employer.id, jobTitle: 'AI训练师', workRegionCode: '310104', salaryFen: 1_500_000, salaryPeriod: 'monthly', startDate: today() },
      });
      expect(proposed.status).toBe(201);
      const seen = await get(employer.key, mine.id);
      expect(seen.status).toBe(200);
      expect(seen.body).toEqual({ ...mine, phone: null, phoneMasked: '136****5678' });
      // Only the trainee of its placement; another employer still sees nothing.
      expectProblem(await get(employer.key, trainee.id), 404, 'NOT_FOUND');
      expectProblem(await get(otherEmployer.key, mine.id), 404, 'NOT_FOUND');
      expectProblem(await list(employer.key), 403, 'FORBIDDEN');
    });

    it('the platform: 200 for one and the list, without the phone', async () => {
      const one = await get(t.platformKey);
      expect(one.status).toBe(200);
      expect(one.body).toEqual({ ...trainee, phone: null });
      const all = await list(t.platformKey);
      expect(all.status).toBe(200);
      expect(all.body.items.length).toBeGreaterThan(0);
      expect((await get(t.platformKey, draftTrainee.id)).status).toBe(200);
    });

    it('an unknown or malformed id', async () => {
      expectProblem(await get(firm.key, '00000000-0000-4000-8000-000000000000'), 404, 'NOT_FOUND');
      expectProblem(await get(firm.key, 'nope'), 400, 'VALIDATION_FAILED');
      expectProblem(await t.request('GET', `/v1/trainees/${trainee.id}`, { key: null }), 401, 'UNAUTHENTICATED');
    });

    it('lists newest first with keyset pagination and filters', async () => {
      const brand = await createBrand(t, firm.key, { ...SEED_BRANDS.xuhuiAiTrainer, name: '分页品牌' });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await registerTrainee(t, firm.key, brand.id, { cohort: i % 2 ? '单' : '双' })).id);
      const page1 = await t.request('GET', `/v1/brands/${brand.id}/trainees?limit=2`, { key: firm.key });
      expect(page1.status).toBe(200);
      expect(page1.body.items.map((i: any) => i.id)).toEqual([ids[4], ids[3]]);
      expect(typeof page1.body.nextCursor).toBe('string');
      // A trainee registered meanwhile neither shifts nor repeats the next page.
      await registerTrainee(t, firm.key, brand.id);
      const page2 = await t.request('GET', `/v1/brands/${brand.id}/trainees?limit=2&cursor=${encodeURIComponent(page1.body.nextCursor)}`, { key: firm.key });
      expect(page2.body.items.map((i: any) => i.id)).toEqual([ids[2], ids[1]]);
      const page3 = await t.request('GET', `/v1/brands/${brand.id}/trainees?limit=2&cursor=${encodeURIComponent(page2.body.nextCursor)}`, { key: firm.key });
      expect(page3.body.items.map((i: any) => i.id)).toEqual([ids[0]]);
      expect(page3.body.nextCursor).toBeNull();
      const odd = await t.request('GET', `/v1/brands/${brand.id}/trainees?cohort=${encodeURIComponent('单')}`, { key: firm.key });
      expect(odd.body.items.map((i: any) => i.id)).toEqual([ids[3], ids[1]]);
      const training = await t.request('GET', `/v1/brands/${brand.id}/trainees?status=training`, { key: firm.key });
      expect(training.body.items).toEqual([]);
      for (const q of ['limit=0', 'limit=501', 'status=flying', 'cursor=garbage']) {
        expectProblem(await t.request('GET', `/v1/brands/${brand.id}/trainees?${q}`, { key: firm.key }), 400, 'VALIDATION_FAILED');
      }
    });
  });

  describe('PATCH', () => {
    const patch = (key: string, id: string, b: Record<string, unknown>, ifMatch?: string) =>
      t.request('PATCH', `/v1/trainees/${id}`, { key, body: b, headers: ifMatch === undefined ? undefined : { 'if-match': ifMatch } });

    it('registered → training → completed: 200, version increments, ETag follows; events and audit record it', async () => {
      const trainee = await registerTrainee(t, firm.key, certified.id);
      const training = await patch(firm.key, trainee.id, { status: 'training' }, '"1"');
      expect(training.status).toBe(200);
      expect(training.body).toEqual({ ...trainee, status: 'training', version: 2 });
      expect(training.headers.etag).toBe('"2"');
      const completed = await patch(firm.key, trainee.id, { status: 'completed' }, 'W/"2"');
      expect(completed.status).toBe(200);
      expect(completed.body).toMatchObject({ status: 'completed', version: 3 });
      expect(completed.headers.etag).toBe('"3"');
      expect((await t.request('GET', `/v1/trainees/${trainee.id}`, { key: firm.key })).headers.etag).toBe('"3"');

      const events = await t.dataSource.query(`SELECT type, data FROM outbox_events WHERE aggregate_id = $1 ORDER BY seq`, [trainee.id]);
      expect(events.map((e: any) => e.type)).toEqual(['trainee.registered', 'trainee.status_changed', 'trainee.status_changed']);
      expect(events[2].data).toMatchObject({ fromStatus: 'training', toStatus: 'completed', version: 3 });
      expect(await count(`audit_log WHERE object_id = $1 AND action = 'trainee.update'`, [trainee.id])).toBe(2);
    });

    it('illegal moves are 409 INVALID_TRANSITION and change nothing', async () => {
      const trainee = await registerTrainee(t, firm.key, certified.id);
      expectProblem(await patch(firm.key, trainee.id, { status: 'completed' }), 409, 'INVALID_TRANSITION'); // skips training
      await patch(firm.key, trainee.id, { status: 'training' });
      await patch(firm.key, trainee.id, { status: 'completed' });
      expectProblem(await patch(firm.key, trainee.id, { status: 'training' }), 409, 'INVALID_TRANSITION');
      expectProblem(await patch(firm.key, trainee.id, { status: 'registered' }), 409, 'INVALID_TRANSITION');
      const placed = expectProblem(await patch(firm.key, trainee.id, { status: 'placed' }), 409, 'INVALID_TRANSITION');
      expect(placed.detail).toMatch(/system/);
      const now = await t.request('GET', `/v1/trainees/${trainee.id}`, { key: firm.key });
      expect(now.body).toMatchObject({ status: 'completed', version: 3 });
      // Not a status at all: a validation failure.
      expectProblem(await patch(firm.key, trainee.id, { status: 'graduated' }), 400, 'VALIDATION_FAILED');
    });

    it('withdrawn from registered, training and completed; never from placed; withdrawn is final', async () => {
      for (const path of [[], ['training'], ['training', 'completed']]) {
        const trainee = await registerTrainee(t, firm.key, certified.id);
        for (const status of path) expect((await patch(firm.key, trainee.id, { status })).status).toBe(200);
        const withdrawn = await patch(firm.key, trainee.id, { status: 'withdrawn' });
        expect(withdrawn.status).toBe(200);
        expect(withdrawn.body.status).toBe('withdrawn');
        expectProblem(await patch(firm.key, trainee.id, { status: 'training' }), 409, 'INVALID_TRANSITION');
      }

      const placedTrainee = await registerTrainee(t, firm.key, certified.id);
      const proposed = await t.request('POST', '/v1/placements', {
        key: firm.key,
        body: { traineeId: placedTrainee.id, employerId: employer.id, jobTitle: 'AI训练师', workRegionCode: '310104', salaryFen: 1_500_000, salaryPeriod: 'monthly', startDate: today() },
      });
      expect(proposed.status).toBe(201);
      const confirmed = await t.request('POST', `/v1/placements/${proposed.body.id}/confirm`, { key: employer.key, body: {} });
      expect(confirmed.status).toBe(200);
      const placed = await t.request('GET', `/v1/trainees/${placedTrainee.id}`, { key: firm.key });
      expect(placed.body.status).toBe('placed');
      for (const status of ['withdrawn', 'completed', 'training']) {
        expectProblem(await patch(firm.key, placedTrainee.id, { status }), 409, 'INVALID_TRANSITION');
      }
      expect((await t.request('GET', `/v1/trainees/${placedTrainee.id}`, { key: firm.key })).body).toMatchObject({ status: 'placed', version: placed.body.version });
    });

    it('a stale If-Match is 409 VERSION_CONFLICT; a malformed one 400', async () => {
      const trainee = await registerTrainee(t, firm.key, certified.id);
      expect((await patch(firm.key, trainee.id, { cohort: '秋季班' }, '"1"')).status).toBe(200);
      expectProblem(await patch(firm.key, trainee.id, { cohort: '冬季班' }, '"1"'), 409, 'VERSION_CONFLICT');
      expectProblem(await patch(firm.key, trainee.id, { cohort: '冬季班' }, 'yesterday'), 400, 'VALIDATION_FAILED');
      const now = await t.request('GET', `/v1/trainees/${trainee.id}`, { key: firm.key });
      expect(now.body).toMatchObject({ cohort: '秋季班', version: 2 });
      expect((await patch(firm.key, trainee.id, { cohort: '冬季班' }, '*')).body).toMatchObject({ cohort: '冬季班', version: 3 });
    });

    it('edits fields; the identity number and server-owned fields cannot be sent (400); phone null removes it', async () => {
      const trainee = await registerTrainee(t, firm.key, certified.id, { phone: '13812345678' });
      const edited = await patch(firm.key, trainee.id, { fullName: '张伟伟', phone: '13987654321', targetGroups: ['unemployed'], expectedMonthlySalaryFen: 900_000 });
      expect(edited.status).toBe(200);
      expect(edited.body).toMatchObject({ fullName: '张伟伟', phone: '13987654321', phoneMasked: '139****4321', targetGroups: ['unemployed'], expectedMonthlySalaryFen: 900_000, version: 2 });

      for (const field of [{ nationalId: uniqueNationalId() }, { birthDate: '2000-01-01' }, { gender: 'male' }, { version: 7 }, { id: trainee.id }, { erased: true }, { phoneMasked: '1' }]) {
        const res = await patch(firm.key, trainee.id, field);
        expect(expectProblem(res, 400, 'VALIDATION_FAILED').errors.map((e: { field: string }) => e.field)).toContain(Object.keys(field)[0]);
      }
      expectProblem(await patch(firm.key, trainee.id, { phone: '123' }), 400, 'VALIDATION_FAILED');
      expectProblem(await patch(firm.key, trainee.id, {}), 400, 'VALIDATION_FAILED');

      const removed = await patch(firm.key, trainee.id, { phone: null });
      expect(removed.status).toBe(200);
      expect(removed.body).toMatchObject({ phone: null, phoneMasked: null, version: 3 });
      const [row] = await t.dataSource.query(`SELECT phone_cipher, phone_masked FROM trainees WHERE id = $1`, [trainee.id]);
      expect(row).toEqual({ phone_cipher: null, phone_masked: null });
      expect((await t.request('GET', `/v1/trainees/${trainee.id}`, { key: firm.key })).body).toMatchObject({ phone: null, phoneMasked: null, fullName: '张伟伟' });
    });

    it('only the operator: a bureau with jurisdiction and the platform 403; others 404', async () => {
      const trainee = await registerTrainee(t, firm.key, certified.id);
      expectProblem(await patch(bureau.key, trainee.id, { status: 'training' }), 403, 'FORBIDDEN');
      expectProblem(await patch(t.platformKey, trainee.id, { status: 'training' }), 403, 'FORBIDDEN');
      for (const key of [otherFirm.key, farBureau.key, employer.key]) expectProblem(await patch(key, trainee.id, { status: 'training' }), 404, 'NOT_FOUND');
      expect((await t.request('GET', `/v1/trainees/${trainee.id}`, { key: firm.key })).body).toMatchObject({ status: 'registered', version: 1 });
    });
  });

  describe('lookup', () => {
    const lookup = (key: string, nationalId: unknown) => t.request('POST', '/v1/trainees/lookup', { key, body: { nationalId } });

    it("returns the caller's own trainees with the number, across its brands, never another firm's", async () => {
      const nationalId = nationalIdEndingInX();
      const a = await registerTrainee(t, firm.key, certified.id, { nationalId });
      const b = await registerTrainee(t, firm.key, secondBrand.id, { nationalId });
      const theirs = await registerTrainee(t, otherFirm.key, otherFirmCertified.id, { nationalId });
      await registerTrainee(t, firm.key, certified.id); // someone else

      const mine = await lookup(firm.key, nationalId);
      expect(mine.status).toBe(200);
      expect(mine.body.items.map((i: any) => i.id).sort()).toEqual([a.id, b.id].sort());
      expect(mine.body.items.find((i: any) => i.id === a.id)).toEqual(a);
      expect(mine.text).not.toContain(nationalId);

      const lower = await lookup(firm.key, `${nationalId.slice(0, 17)}x`);
      expect(lower.body.items.map((i: any) => i.id).sort()).toEqual([a.id, b.id].sort());

      const other = await lookup(otherFirm.key, nationalId);
      expect(other.body.items.map((i: any) => i.id)).toEqual([theirs.id]);

      expect((await lookup(firm.key, uniqueNationalId())).body).toEqual({ items: [] });
      expect(await count(`audit_log WHERE action = 'trainee.lookup' AND actor_organization_id = $1`, [firm.id])).toBeGreaterThanOrEqual(3);
    });

    it('employers, bureaus and the platform may not: 403 FORBIDDEN', async () => {
      for (const key of [employer.key, bureau.key, t.platformKey]) expectProblem(await lookup(key, uniqueNationalId()), 403, 'FORBIDDEN');
    });

    it('an invalid number is 400 INVALID_NATIONAL_ID; other inputs 400', async () => {
      const id = uniqueNationalId();
      const bad = id.slice(0, 17) + (id[17] === '0' ? '1' : '0');
      const res = await lookup(firm.key, bad);
      expect(expectProblem(res, 400, 'INVALID_NATIONAL_ID').errors[0].field).toBe('nationalId');
      expect(res.text).not.toContain(bad);
      expectProblem(await lookup(firm.key, 42), 400, 'VALIDATION_FAILED');
      expectProblem(await t.request('POST', '/v1/trainees/lookup', { key: firm.key, body: { nationalId: id, brandId: certified.id } }), 400, 'VALIDATION_FAILED');
    });
  });

  describe('erase', () => {
    const erase = (key: string, id: string) => t.request('POST', `/v1/trainees/${id}/erase`, { key });

    it.each(['operator', 'platform'])('by the %s: 200, personal data gone for good, anonymous facts kept, audited', async (who) => {
      const key = who === 'operator' ? firm.key : t.platformKey;
      const nationalId = uniqueNationalId();
      const trainee = await registerTrainee(t, firm.key, certified.id, { nationalId, phone: '13512345678', targetGroups: ['veteran', 'disabled'], expectedMonthlySalaryFen: 777_700 });
      await t.request('PATCH', `/v1/trainees/${trainee.id}`, { key: firm.key, body: { status: 'training' } });

      const res = await erase(key, trainee.id);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: trainee.id,
        brandId: certified.id,
        fullName: null,
        nationalIdMasked: null,
        phone: null,
        phoneMasked: null,
        erased: true,
        status: 'training',
        targetGroups: ['veteran', 'disabled'],
        expectedMonthlySalaryFen: 777_700,
        version: 3,
      });

      const [row] = await t.dataSource.query(
        `SELECT full_name, national_id_cipher, national_id_hash, national_id_masked, phone_cipher, phone_masked, pii_key_id,
                erased, erased_at, status, target_groups, birth_date::text AS birth_date, expected_monthly_salary_fen::int AS salary
           FROM trainees WHERE id = $1`,
        [trainee.id],
      );
      expect(row).toEqual({
        full_name: null,
        national_id_cipher: null,
        national_id_hash: null,
        national_id_masked: null,
        phone_cipher: null,
        phone_masked: null,
        pii_key_id: null,
        erased: true,
        erased_at: expect.any(Date),
        status: 'training',
        target_groups: ['veteran', 'disabled'],
        birth_date: trainee.birthDate,
        salary: 777_700,
      });
      const audit = await t.dataSource.query(`SELECT actor_organization_id FROM audit_log WHERE action = 'trainee.erase' AND object_id = $1`, [trainee.id]);
      expect(audit).toEqual([{ actor_organization_id: who === 'operator' ? firm.id : expect.any(String) }]);
      const events = await t.dataSource.query(`SELECT data FROM outbox_events WHERE type = 'trainee.erased' AND aggregate_id = $1`, [trainee.id]);
      expect(events).toEqual([{ data: { traineeId: trainee.id, brandId: certified.id } }]);

      // Reads show the anonymous record.
      const read = await t.request('GET', `/v1/trainees/${trainee.id}`, { key: firm.key });
      expect(read.body).toMatchObject({ erased: true, fullName: null, nationalIdMasked: null, phone: null, phoneMasked: null });

      // Erasing twice is harmless and changes nothing.
      const again = await erase(key, trainee.id);
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({ erased: true, version: 3 });

      // The blind index is gone: lookup finds nothing, the same person can register again.
      expect((await t.request('POST', '/v1/trainees/lookup', { key: firm.key, body: { nationalId } })).body).toEqual({ items: [] });
      const back = await register(firm.key, certified.id, body({ nationalId }));
      expect(back.status).toBe(201);
      expect(back.body.id).not.toBe(trainee.id);
      // An erased trainee can no longer be edited.
      expectProblem(await t.request('PATCH', `/v1/trainees/${trainee.id}`, { key: firm.key, body: { fullName: '回来了' } }), 409, 'INVALID_TRANSITION');
    });

    it('a bureau may not (403); those who cannot see it 404; a body is refused', async () => {
      const trainee = await registerTrainee(t, firm.key, certified.id);
      expectProblem(await erase(bureau.key, trainee.id), 403, 'FORBIDDEN');
      for (const key of [otherFirm.key, farBureau.key, employer.key]) expectProblem(await erase(key, trainee.id), 404, 'NOT_FOUND');
      expectProblem(await t.request('POST', `/v1/trainees/${trainee.id}/erase`, { key: firm.key, body: { reason: 'asked' } }), 400, 'VALIDATION_FAILED');
      const [row] = await t.dataSource.query(`SELECT erased, full_name FROM trainees WHERE id = $1`, [trainee.id]);
      expect(row).toEqual({ erased: false, full_name: '张伟' });
    });
  });
});

/**
 * Identity numbers and phone numbers are encrypted at rest and never logged. This suite looks for them in clear
 * everywhere: every text, bytea, jsonb and array column of every table, the app's log output at debug level and
 * every error response.
 */
describe('personal data never in clear', () => {
  let t: TestApp;
  let firm: OrgWithKey;
  let brand: any;
  let captured = '';
  const errorBodies: Response[] = [];
  // Distinctive values, so a hit is certainly ours.
  const people = [
    { fullName: '司马相如', nationalId: withCheck('31010419870612777'), phone: '13701234567' },
    { fullName: '诸葛孔明', nationalId: withCheck('31010419910909888'), phone: '15809876543' },
    { fullName: '上官婉儿', nationalId: withCheck('31010420011111666'), phone: '18611112222' },
  ];
  const badChecksum = (() => {
    const id = withCheck('31010419850505555');
    return id.slice(0, 17) + (id[17] === '0' ? '1' : '0');
  })();

  beforeAll(async () => {
    const realWrite = process.stdout.write.bind(process.stdout);
    const collect = (chunk: unknown): void => {
      captured += typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
    };
    // pino sees that process.stdout was replaced and then writes through process.stdout.write instead of straight
    // to file descriptor 1, so this catches the app's whole log output, start-up included.
    process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
      collect(chunk);
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof process.stdout.write;
    try {
      t = await startTestApp({ LOG_LEVEL: 'debug' });
      firm = await createOrganization(t, 'hr_firm', '310104');
      const bureau = await createOrganization(t, 'bureau', '310104');
      brand = await createCertifiedBrand(t, firm.key, bureau.key, SEED_BRANDS.xuhuiAiTrainer);
      const keep = (res: Response): Response => {
        if (res.status >= 400) errorBodies.push(res);
        return res;
      };
      for (const p of people) expect(keep(await t.request('POST', `/v1/brands/${brand.id}/trainees`, { key: firm.key, body: p })).status).toBe(201);
      // Failing requests carrying the numbers: a duplicate, an invalid number, a bad phone, someone else's brand.
      expect(keep(await t.request('POST', `/v1/brands/${brand.id}/trainees`, { key: firm.key, body: people[0] })).status).toBe(409);
      expect(keep(await t.request('POST', `/v1/brands/${brand.id}/trainees`, { key: firm.key, body: { ...people[1], nationalId: badChecksum } })).status).toBe(400);
      expect(keep(await t.request('POST', `/v1/brands/${brand.id}/trainees`, { key: firm.key, body: { ...people[2], phone: `${people[2].phone}9` } })).status).toBe(400);
      expect(keep(await t.request('POST', `/v1/brands/${brand.id}/trainees`, { key: bureau.key, body: people[2] })).status).toBe(403);
      expect(keep(await t.request('POST', '/v1/trainees/lookup', { key: firm.key, body: { nationalId: badChecksum } })).status).toBe(400);
      expect(keep(await t.request('POST', '/v1/trainees/lookup', { key: bureau.key, body: { nationalId: people[0].nationalId } })).status).toBe(403);
      // Successful reads and writes that handle them.
      expect((await t.request('POST', '/v1/trainees/lookup', { key: firm.key, body: { nationalId: people[1].nationalId } })).body.items).toHaveLength(1);
      const listed = await t.request('GET', `/v1/brands/${brand.id}/trainees`, { key: firm.key });
      expect(listed.body.items).toHaveLength(3);
      const id = listed.body.items[0].id;
      expect((await t.request('PATCH', `/v1/trainees/${id}`, { key: firm.key, body: { phone: people[0].phone } })).status).toBe(200);
      // An import with a bad row and a duplicate: rows are reported, never echoed.
      const csv = ['fullName,nationalId,phone', ...people.map((p) => `${p.fullName},${p.nationalId},${p.phone}`), `坏行,${badChecksum},13700000000`, `${people[0].phone},${people[0].nationalId}`].join('\n');
      const imported = keep(await t.request('POST', `/v1/brands/${brand.id}/trainees/import`, { key: firm.key, raw: csv, contentType: 'text/csv' }));
      expect(imported.body).toMatchObject({ received: 5, created: 0, duplicates: 3, rejected: 2 });
      // A file without its header row: the first person becomes the "header".
      const headless = keep(await t.request('POST', `/v1/brands/${brand.id}/trainees/import`, { key: firm.key, raw: `${people[0].fullName},${people[0].nationalId},${people[0].phone}\n`, contentType: 'text/csv' }));
      expect(headless.status).toBe(400);
      expect(keep(await t.request('POST', `/v1/brands/${brand.id}/trainees/import`, { key: firm.key, raw: `${JSON.stringify({ ...people[1], nationalId: badChecksum })}\n`, contentType: 'application/x-ndjson' })).status).toBe(200);
    } finally {
      process.stdout.write = realWrite;
      // The rest of this suite needs no logs (and must not spill them into the test output).
      if (t) t.app.getHttpAdapter().getInstance().log.level = 'silent';
    }
  });
  afterAll(async () => t?.close());

  const needles = (): string[] => [...people.flatMap((p) => [p.nationalId, p.phone]), badChecksum];

  /** Every text, bytea, jsonb and array column of every table: which columns hold any of `values`, and how many values were looked at. */
  async function scanDatabase(values: string[]): Promise<{ hits: string[]; tables: Set<string>; scannedValues: number }> {
    const columns: Array<{ table_name: string; column_name: string; data_type: string }> = await t.dataSource.query(
      `SELECT c.table_name, c.column_name, c.data_type
         FROM information_schema.columns c
         JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name AND tb.table_type = 'BASE TABLE'
        WHERE c.table_schema = 'public' AND c.data_type IN ('text', 'character varying', 'character', 'bytea', 'jsonb', 'json', 'ARRAY')`,
    );
    const hits: string[] = [];
    let scannedValues = 0;
    for (const { table_name, column_name, data_type } of columns) {
      const value = data_type === 'bytea' ? `encode("${column_name}", 'escape')` : `"${column_name}"::text`;
      const [res] = await t.dataSource.query(
        `SELECT count(*) FILTER (WHERE "${column_name}" IS NOT NULL)::int AS n,
                array_agg(DISTINCT needle) FILTER (WHERE needle IS NOT NULL) AS found
           FROM "${table_name}" LEFT JOIN LATERAL (SELECT n AS needle FROM unnest($1::text[]) n WHERE strpos(${value}, n) > 0) m ON true`,
        [values],
      );
      scannedValues += res.n;
      if (res.found?.length) hits.push(`${table_name}.${column_name}: ${res.found.join(', ')}`);
    }
    return { hits, tables: new Set(columns.map((c) => c.table_name)), scannedValues };
  }

  it('no table holds an identity number or a phone number in clear', async () => {
    const { hits, tables, scannedValues } = await scanDatabase(needles());
    // The scan must reach the tables that matter, or it proves nothing.
    for (const name of ['trainees', 'audit_log', 'outbox_events', 'idempotency_keys', 'brands']) expect(tables.has(name)).toBe(true);
    expect(scannedValues).toBeGreaterThan(20);
    expect(hits).toEqual([]);

    // Sanity: the same scan finds values that are there (a mask, a name), so an empty result means something.
    const control = await scanDatabase(['137****4567', people[1].fullName]);
    expect(control.hits).toEqual(expect.arrayContaining([expect.stringMatching(/^trainees\.phone_masked/), expect.stringMatching(/^trainees\.full_name/)]));
  });

  it('nor do the responses stored for Idempotency-Key replays (register, lookup)', async () => {
    const person = { fullName: '欧阳修', nationalId: withCheck('31010419770707333'), phone: '13344445555' };
    const first = await t.request('POST', `/v1/brands/${brand.id}/trainees`, { key: firm.key, body: person, headers: { 'idempotency-key': 'pii-register-1' } });
    expect(first.status).toBe(201);
    const found = await t.request('POST', '/v1/trainees/lookup', { key: firm.key, body: { nationalId: person.nationalId }, headers: { 'idempotency-key': 'pii-lookup-1' } });
    expect(found.body.items).toHaveLength(1);
    const replay = await t.request('POST', `/v1/brands/${brand.id}/trainees`, { key: firm.key, body: person, headers: { 'idempotency-key': 'pii-register-1' } });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect((await scanDatabase([person.nationalId, person.phone])).hits).toEqual([]);
  });

  it('the ciphertexts decrypt to the numbers, and the blind index is a 32-byte keyed hash', async () => {
    const cipher = t.app.get<PiiCipher>(PII_CIPHER);
    const rows = await t.dataSource.query(`SELECT national_id_cipher, national_id_hash, phone_cipher, pii_key_id FROM trainees WHERE brand_id = $1 ORDER BY registered_at LIMIT 3`, [brand.id]);
    expect(rows).toHaveLength(3);
    const numbers = rows.map((row: any) => cipher.decrypt(row.national_id_cipher, 'national_id'));
    expect(numbers).toEqual(people.map((p) => p.nationalId));
    for (const row of rows) {
      expect(row.national_id_hash).toHaveLength(32);
      expect(row.pii_key_id).toBe(cipher.currentKeyId);
      expect(Buffer.from(row.national_id_cipher).toString('latin1')).not.toMatch(/\d{6}/);
      // Bound to its column: a phone ciphertext does not decrypt as an identity number.
      expect(() => cipher.decrypt(row.phone_cipher, 'national_id')).toThrow();
    }
  });

  it('the log output at debug level names no number, phone or name', () => {
    // The capture must have seen the requests, or its silence proves nothing.
    expect(captured).toMatch(/"statusCode":409/);
    expect(captured).toMatch(/"statusCode":400/);
    expect(captured).toContain('/trainees/lookup');
    const found = [...needles(), ...people.map((p) => p.fullName), '坏行'].filter((n) => captured.includes(n));
    expect(found).toEqual([]);
  });

  it('no error response echoes the number, the phone or the name', () => {
    expect(errorBodies.length).toBeGreaterThanOrEqual(7);
    for (const res of errorBodies) {
      for (const n of [...needles(), ...people.map((p) => p.fullName)]) expect(res.text).not.toContain(n);
    }
  });
});
