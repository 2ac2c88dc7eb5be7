import * as iconv from 'iconv-lite';
import { Readable } from 'node:stream';
import { nationalIdCheckCharacter } from '../../src/common/identifiers/national-id';
import { createBrand, createCertifiedBrand, SEED_BRANDS } from '../support/brands';
import { expectProblem } from '../support/expect';
import { createOrganization, OrgWithKey } from '../support/factories';
import { Response, startTestApp, TestApp } from '../support/test-app';
import { uniqueNationalId } from '../support/trainees';

const HEADER = 'fullName,nationalId,phone,targetGroups,cohort,expectedMonthlySalaryFen';
const withCheck = (first17: string): string => first17 + nationalIdCheckCharacter(first17);
const badChecksum = (): string => {
  const id = uniqueNationalId();
  return id.slice(0, 17) + (id[17] === '0' ? '1' : '0');
};
function nationalIdEndingInX(): string {
  for (;;) {
    const id = uniqueNationalId();
    if (id.endsWith('X')) return id;
  }
}
/** `count` valid CSV rows (no header) of unique people. */
const validRows = (count: number): string[] => Array.from({ length: count }, (_, i) => `学员${i},${uniqueNationalId(i % 2 ? 'male' : 'female')},138${String(i % 1e8).padStart(8, '0')},graduate,2026春季班,${500_000 + i}`);

describe('trainee import', () => {
  let t: TestApp;
  let firm: OrgWithKey;
  let otherFirm: OrgWithKey;
  let bureau: OrgWithKey;
  let employer: OrgWithKey;
  let brand: any; // firm's certified brand
  let draft: any; // firm's draft brand
  let otherFirmDraft: any;
  let otherFirmCertified: any;

  beforeAll(async () => {
    t = await startTestApp();
    [firm, otherFirm, bureau, employer] = await Promise.all([
      createOrganization(t, 'hr_firm', '310104'),
      createOrganization(t, 'hr_firm', '310110'),
      createOrganization(t, 'bureau', '310100'),
      createOrganization(t, 'employer', '310104'),
    ]);
    brand = await createCertifiedBrand(t, firm.key, bureau.key, SEED_BRANDS.xuhuiAiTrainer);
    draft = await createBrand(t, firm.key, { ...SEED_BRANDS.xuhuiAiTrainer, name: '徐汇草稿品牌' });
    otherFirmDraft = await createBrand(t, otherFirm.key, SEED_BRANDS.yangpuCncOperator);
    otherFirmCertified = await createCertifiedBrand(t, otherFirm.key, bureau.key, { ...SEED_BRANDS.yangpuCncOperator, name: '杨浦认证品牌' });
  });
  afterAll(async () => t?.close());

  const importFile = (brandId: string, raw: string | Buffer, contentType = 'text/csv', key = firm.key, headers?: Record<string, string>): Promise<Response> =>
    t.request('POST', `/v1/brands/${brandId}/trainees/import`, { key, raw, contentType, headers });
  const traineeCount = async (brandId?: string): Promise<number> =>
    (await t.dataSource.query(`SELECT count(*)::int AS n FROM trainees${brandId ? ' WHERE brand_id = $1' : ''}`, brandId ? [brandId] : []))[0].n;
  const lookup = async (nationalId: string): Promise<any[]> => {
    const res = await t.request('POST', '/v1/trainees/lookup', { key: firm.key, body: { nationalId } });
    expect(res.status).toBe(200);
    return res.body.items;
  };
  /** Raw inject with a streamed body (no Content-Length, chunks as given). */
  const importStream = (app: TestApp, brandId: string, chunks: Buffer[], key: string, contentType = 'text/csv') =>
    app.app.inject({
      method: 'POST',
      url: `/v1/brands/${brandId}/trainees/import`,
      headers: { authorization: `Bearer ${key}`, 'content-type': contentType, 'transfer-encoding': 'chunked' },
      payload: Readable.from(chunks),
    });

  describe('CSV', () => {
    const ids = { zhang: '', ouyang: '', sun: '', wu: '' };
    let file: string;
    let bad3: string;

    beforeAll(() => {
      ids.zhang = withCheck('31010419950101001');
      ids.ouyang = withCheck('31010419960202002');
      ids.sun = withCheck('31010419970303003');
      ids.wu = withCheck('31010419980404004');
      bad3 = badChecksum();
      // A BOM (what spreadsheets write for "CSV UTF-8"), CRLF line ends, a blank line, quoted fields holding commas,
      // a line break and doubled quotes, Chinese names, targetGroups as graduate;veteran.
      file =
        '\uFEFF' +
        [
          HEADER,
          `张伟,${ids.zhang},13812340001,graduate;veteran,"2026春季班, 第一期",1200000`, // 1
          `"欧阳, 娜娜",${ids.ouyang},,,,`, // 2
          `王芳,${bad3},13812340003,,,`, // 3 bad checksum
          `赵敏,${uniqueNationalId()},12345,,,`, // 4 bad phone
          '', // blank: not a row
          `钱多多,${uniqueNationalId()},,astronaut,,`, // 5 unknown group
          `孙悟空,${ids.sun},13812340006,rural_migrant,"夜校\r\n二班",800000`, // 6 a line break inside quotes
          `周星驰,${uniqueNationalId()}`, // 7 too few fields
          `,${uniqueNationalId()},,,,`, // 8 no name
          `"吴""小""宝",${ids.wu},13812340009,unemployed;disabled,,0`, // 9
          `猪八戒,${uniqueNationalId()},,,,-5`, // 10 negative salary
        ].join('\r\n') +
        '\r\n';
    });

    it('registers the valid rows, reports the invalid ones with their data-row numbers', async () => {
      const before = await traineeCount(brand.id);
      const res = await importFile(brand.id, file);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({
        received: 10,
        created: 4,
        duplicates: 0,
        rejected: 6,
        errors: [
          { row: 3, field: 'nationalId', code: 'INVALID_NATIONAL_ID', message: expect.stringMatching(/check character/) },
          { row: 4, field: 'phone', code: 'INVALID_PHONE', message: expect.any(String) },
          { row: 5, field: 'targetGroups', code: 'INVALID_TARGET_GROUP', message: expect.any(String) },
          { row: 7, field: '', code: 'MALFORMED_ROW', message: expect.stringMatching(/2 fields.*6 columns/) },
          { row: 8, field: 'fullName', code: 'REQUIRED', message: expect.any(String) },
          { row: 10, field: 'expectedMonthlySalaryFen', code: 'INVALID_AMOUNT', message: expect.any(String) },
        ],
      });
      expect(res.text).not.toContain(bad3);
      expect(await traineeCount(brand.id)).toBe(before + 4);

      // What was written is what the file said, the same as a registration would have stored.
      const [zhang] = await lookup(ids.zhang);
      expect(zhang).toMatchObject({
        brandId: brand.id,
        fullName: '张伟',
        nationalIdMasked: `310104********${ids.zhang.slice(14)}`,
        birthDate: '1995-01-01',
        gender: 'male',
        phone: '13812340001',
        phoneMasked: '138****0001',
        targetGroups: ['graduate', 'veteran'],
        cohort: '2026春季班, 第一期',
        expectedMonthlySalaryFen: 1_200_000,
        status: 'registered',
        erased: false,
        version: 1,
      });
      expect((await lookup(ids.ouyang))[0]).toMatchObject({ fullName: '欧阳, 娜娜', gender: 'female', phone: null, phoneMasked: null, targetGroups: [], cohort: null, expectedMonthlySalaryFen: null });
      expect((await lookup(ids.sun))[0]).toMatchObject({ fullName: '孙悟空', cohort: '夜校\r\n二班', targetGroups: ['rural_migrant'], expectedMonthlySalaryFen: 800_000 });
      expect((await lookup(ids.wu))[0]).toMatchObject({ fullName: '吴"小"宝', targetGroups: ['unemployed', 'disabled'], expectedMonthlySalaryFen: 0 });

      const [audit] = await t.dataSource.query(`SELECT actor_organization_id, details FROM audit_log WHERE action = 'trainee.import' AND brand_id = $1 ORDER BY id DESC LIMIT 1`, [brand.id]);
      expect(audit).toEqual({ actor_organization_id: firm.id, details: { format: 'csv', received: 10, created: 4, duplicates: 0, rejected: 6 } });
    });

    it('re-importing the same file creates nothing: every valid row is a duplicate', async () => {
      const before = await traineeCount(brand.id);
      const events = (await t.dataSource.query(`SELECT count(*)::int AS n FROM outbox_events WHERE type = 'trainee.imported'`))[0].n;
      const res = await importFile(brand.id, file);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ received: 10, created: 0, duplicates: 4, rejected: 6 });
      expect(res.body.errors.map((e: any) => e.row)).toEqual([3, 4, 5, 7, 8, 10]);
      expect(await traineeCount(brand.id)).toBe(before);
      // Nothing created, nothing announced.
      expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM outbox_events WHERE type = 'trainee.imported'`))[0].n).toBe(events);
    });

    it('a person twice in one file (lower-case x the second time) is created once and counted once as a duplicate', async () => {
      const twice = nationalIdEndingInX();
      const other = uniqueNationalId();
      // Columns in another order, optional ones left out.
      const res = await importFile(brand.id, `nationalId,fullName\n${twice},林黛玉\n${other},贾宝玉\n${twice.slice(0, 17)}x,林妹妹\n`);
      expect(res.body).toEqual({ received: 3, created: 2, duplicates: 1, rejected: 0, errors: [] });
      const found = await lookup(twice);
      expect(found).toHaveLength(1);
      expect(found[0].fullName).toBe('林黛玉');
    });

    it('a person already registered one by one counts as a duplicate; the same file under another brand of the firm creates', async () => {
      const id = uniqueNationalId();
      expect((await t.request('POST', `/v1/brands/${brand.id}/trainees`, { key: firm.key, body: { fullName: '薛宝钗', nationalId: id } })).status).toBe(201);
      const csv = `fullName,nationalId\n薛宝钗,${id}\n`;
      expect((await importFile(brand.id, csv)).body).toMatchObject({ received: 1, created: 0, duplicates: 1, rejected: 0 });
      expect((await importFile(draft.id, csv)).body).toMatchObject({ received: 1, created: 1, duplicates: 0, rejected: 0 });
      expect(await lookup(id)).toHaveLength(2);
    });

    it('a file with a header and no rows, or only blank lines, imports nothing and is fine', async () => {
      expect((await importFile(brand.id, `${HEADER}\n`)).body).toEqual({ received: 0, created: 0, duplicates: 0, rejected: 0, errors: [] });
      expect((await importFile(brand.id, `${HEADER}\n\n,,,,,\n\n`)).body).toEqual({ received: 0, created: 0, duplicates: 0, rejected: 0, errors: [] });
    });

    it('charset=utf-8 and charset=gbk are read as declared; another charset is 415', async () => {
      const id = uniqueNationalId();
      expect((await importFile(brand.id, `fullName,nationalId\n黄蓉,${id}\n`, 'text/csv; charset=utf-8')).body).toMatchObject({ created: 1 });
      const gbkId = uniqueNationalId();
      expect((await importFile(brand.id, iconv.encode(`姓名,身份证号\n郭靖,${gbkId}\n`, 'gbk'), 'text/csv; charset=gbk')).body).toMatchObject({ created: 1 });
      expect((await lookup(gbkId))[0].fullName).toBe('郭靖');
      const before = await traineeCount();
      const latin = await importFile(brand.id, `fullName,nationalId\nx,${uniqueNationalId()}\n`, 'text/csv; charset=iso-8859-1');
      expect(expectProblem(latin, 415, 'UNSUPPORTED_MEDIA_TYPE').detail).toMatch(/GB18030/);
      expect(await traineeCount()).toBe(before);
    });
  });

  describe('NDJSON', () => {
    it('one register body per line; bad lines reported with their numbers', async () => {
      const good1 = uniqueNationalId();
      const good2 = nationalIdEndingInX();
      const bad = badChecksum();
      const lines = [
        JSON.stringify({ fullName: '杨过', nationalId: good1, phone: '13900001111', targetGroups: ['veteran'], cohort: '一期', expectedMonthlySalaryFen: 650_000 }), // 1
        '{"fullName": "broken", ', // 2 not JSON
        JSON.stringify({ fullName: '小龙女', nationalId: uniqueNationalId(), status: 'training' }), // 3 unknown field
        '', // blank: not a row
        '[1, 2]', // 4 not an object
        JSON.stringify({ fullName: '李莫愁', nationalId: bad }), // 5 bad number
        JSON.stringify({ fullName: '郭襄', nationalId: `${good2.slice(0, 17)}x`, targetGroups: 'graduate' }), // 6 lower-case x
        JSON.stringify({ nationalId: uniqueNationalId() }), // 7 no name
        JSON.stringify({ fullName: '杨过', nationalId: good1 }), // 8 the same person again
      ];
      const before = await traineeCount(brand.id);
      const res = await importFile(brand.id, `${lines.join('\n')}\n`, 'application/x-ndjson');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        received: 8,
        created: 2,
        duplicates: 1,
        rejected: 5,
        errors: [
          { row: 2, field: '', code: 'MALFORMED_ROW', message: expect.any(String) },
          { row: 3, field: 'status', code: 'UNKNOWN_FIELD', message: expect.any(String) },
          { row: 4, field: '', code: 'MALFORMED_ROW', message: expect.any(String) },
          { row: 5, field: 'nationalId', code: 'INVALID_NATIONAL_ID', message: expect.any(String) },
          { row: 7, field: 'fullName', code: 'REQUIRED', message: expect.any(String) },
        ],
      });
      expect(res.text).not.toContain(bad);
      expect(await traineeCount(brand.id)).toBe(before + 2);
      expect((await lookup(good1))[0]).toMatchObject({ fullName: '杨过', phone: '13900001111', targetGroups: ['veteran'], cohort: '一期', expectedMonthlySalaryFen: 650_000 });
      expect((await lookup(good2))[0]).toMatchObject({ fullName: '郭襄', targetGroups: ['graduate'] });
    });
  });

  describe('values as written', () => {
    it('a name and cohort with a backslash, tab, newline or carriage return come back as they were (the batch is COPYed)', async () => {
      const id = uniqueNationalId();
      const fullName = '王\\N\t小\\明';
      const cohort = '一期\r\n二班\\';
      const res = await importFile(brand.id, `${JSON.stringify({ fullName, nationalId: id, cohort, targetGroups: ['graduate', 'veteran'] })}\n`, 'application/x-ndjson');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ received: 1, created: 1 });
      expect((await lookup(id))[0]).toMatchObject({ fullName, cohort, phone: null, expectedMonthlySalaryFen: null, targetGroups: ['graduate', 'veteran'] });
    });
  });

  describe('unreadable files: 400 INVALID_IMPORT_FILE, nothing written', () => {
    const cases: Array<[string, () => string | Buffer, string, RegExp]> = [
      ['no header row', () => `张三,${uniqueNationalId()},13800000000\n李四,${uniqueNationalId()},13800000001\n`, 'text/csv', /header/],
      ['an unknown column', () => `fullName,nationalId,hometown\n张三,${uniqueNationalId()},上海\n`, 'text/csv', /unknown column.*hometown/],
      ['a misspelt column', () => `fullName,nationalID\n张三,${uniqueNationalId()}\n`, 'text/csv', /did you mean "nationalId"/],
      ['a missing required column', () => `fullName,phone\n张三,13800000000\n`, 'text/csv', /missing required column nationalId/],
      ['a column twice', () => `fullName,nationalId,fullName\n张三,${uniqueNationalId()},张三\n`, 'text/csv', /more than once/],
      ['UTF-16 bytes (0xff 0xfe)', () => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`fullName,nationalId\n张三,${uniqueNationalId()}\n`, 'utf16le')]), 'text/csv', /UTF-16|UTF-8/],
      ['declared UTF-8 with GBK bytes in a row', () => Buffer.concat([Buffer.from(`fullName,nationalId\n`), Buffer.from([0xd5, 0xc5, 0xc8, 0xfd]), Buffer.from(`,${uniqueNationalId()}\n`)]), 'text/csv; charset=utf-8', /UTF-8/],
      ['an empty body', () => '', 'text/csv', /empty|header/],
      ['NDJSON with bytes 0xff 0xfe', () => Buffer.concat([Buffer.from(`${JSON.stringify({ fullName: '张三', nationalId: uniqueNationalId() })}\n`), Buffer.from([0xff, 0xfe])]), 'application/x-ndjson', /UTF-8/],
      ['an empty NDJSON body', () => '\n\n', 'application/x-ndjson', /empty/],
    ];

    it.each(cases)('%s', async (_what, make, contentType, detail) => {
      const before = await traineeCount();
      const events = (await t.dataSource.query(`SELECT count(*)::int AS n FROM outbox_events`))[0].n;
      const raw = make();
      const res = await importFile(brand.id, raw, contentType);
      const problem = expectProblem(res, 400, 'INVALID_IMPORT_FILE');
      expect(problem.detail).toMatch(detail);
      // The "header" of a headless file is someone's data: it must not be echoed.
      for (const value of String(raw).match(/\d{17}[\dX]|1[3-9]\d{9}|张三|李四/g) ?? []) expect(res.text).not.toContain(value);
      expect(await traineeCount()).toBe(before);
      expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM outbox_events`))[0].n).toBe(events);
    });

    it('invalid UTF-8 after 2,500 good rows (a batch already inserted) rolls everything back', async () => {
      const before = await traineeCount();
      const events = (await t.dataSource.query(`SELECT count(*)::int AS n FROM outbox_events`))[0].n;
      const res = await importStream(t, brand.id, [Buffer.from(`${HEADER}\n${validRows(2500).join('\n')}\n`), Buffer.from([0x41, 0xff, 0xfe, 0x0a])], firm.key);
      expect(res.statusCode).toBe(400);
      expect(JSON.parse(res.body).code).toBe('INVALID_IMPORT_FILE');
      expect(await traineeCount()).toBe(before);
      expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM outbox_events`))[0].n).toBe(events);
    });

    it('a streamed file without Content-Length imports like any other, chunks cut mid-record and mid-character', async () => {
      const body = Buffer.from(`${HEADER}\n${validRows(3).join('\n')}\n`);
      // Cut inside the first row's name (学: three bytes in UTF-8) and inside the second row.
      const cut1 = body.indexOf(Buffer.from('学')) + 1;
      const cut2 = body.indexOf(Buffer.from('\n学员1')) + 10;
      const res = await importStream(t, brand.id, [body.subarray(0, cut1), body.subarray(cut1, cut2), body.subarray(cut2)], firm.key);
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ received: 3, created: 3, duplicates: 0, rejected: 0, errors: [] });
    });
  });

  describe('media types', () => {
    it('a JSON body to the import route is 415; text/plain too', async () => {
      const before = await traineeCount();
      expectProblem(await t.request('POST', `/v1/brands/${brand.id}/trainees/import`, { key: firm.key, body: [{ fullName: '张三', nationalId: uniqueNationalId() }] }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      expectProblem(await importFile(brand.id, `fullName,nationalId\n张三,${uniqueNationalId()}\n`, 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE');
      expectProblem(await importFile(brand.id, `fullName,nationalId\n张三,${uniqueNationalId()}\n`, 'application/vnd.ms-excel'), 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(await traineeCount()).toBe(before);
    });

    it('CSV or NDJSON to a JSON route is 415', async () => {
      expectProblem(await t.request('POST', '/v1/brands', { key: firm.key, raw: 'name,regionCode\nx,310104\n', contentType: 'text/csv' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      expectProblem(await t.request('POST', `/v1/brands/${brand.id}/trainees`, { key: firm.key, raw: `fullName,nationalId\n张三,${uniqueNationalId()}\n`, contentType: 'text/csv' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      expectProblem(await t.request('POST', '/v1/trainees/lookup', { key: firm.key, raw: `{"nationalId":"${uniqueNationalId()}"}\n`, contentType: 'application/x-ndjson' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    });
  });

  describe('who may import', () => {
    it("a certified brand's non-operators 403, another firm's draft 404, a revoked brand 409; nothing written", async () => {
      const csv = `fullName,nationalId\n张三,${uniqueNationalId()}\n`;
      const before = await traineeCount();
      for (const key of [otherFirm.key, bureau.key, employer.key, t.platformKey]) expectProblem(await importFile(brand.id, csv, 'text/csv', key), 403, 'FORBIDDEN');
      expectProblem(await importFile(otherFirmDraft.id, csv, 'text/csv', firm.key), 404, 'NOT_FOUND');
      expectProblem(await importFile(otherFirmCertified.id, csv, 'text/csv', firm.key), 403, 'FORBIDDEN');
      expectProblem(await importFile('00000000-0000-4000-8000-000000000000', csv), 404, 'NOT_FOUND');
      expectProblem(await importFile(brand.id, csv, 'text/csv', null as unknown as string), 401, 'UNAUTHENTICATED');

      const doomed = await createCertifiedBrand(t, firm.key, bureau.key, { ...SEED_BRANDS.xuhuiAiTrainer, name: '将撤销品牌' });
      expect((await t.request('POST', `/v1/brands/${doomed.id}/revoke`, { key: bureau.key, body: { reason: '违规' } })).status).toBe(200);
      expectProblem(await importFile(doomed.id, csv), 409, 'INVALID_TRANSITION');
      expect(await traineeCount()).toBe(before);
    });
  });

  describe('limits', () => {
    it('lists at most 1,000 errors while rejected counts all of them (1,200 bad rows)', async () => {
      const rows = [validRows(1)[0], ...Array.from({ length: 1200 }, (_, i) => `坏${i},${badChecksum()},,,,`)];
      const res = await importFile(brand.id, `${HEADER}\n${rows.join('\n')}\n`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ received: 1201, created: 1, duplicates: 0, rejected: 1200 });
      expect(res.body.errors).toHaveLength(1000);
      expect(res.body.errors[0]).toMatchObject({ row: 2, field: 'nationalId', code: 'INVALID_NATIONAL_ID' });
      expect(res.body.errors[999].row).toBe(1001);
    });

    it('a body over IMPORT_BODY_LIMIT_BYTES is 413 PAYLOAD_TOO_LARGE, declared or streamed; nothing written', async () => {
      const small = await startTestApp({ IMPORT_BODY_LIMIT_BYTES: '2048' });
      try {
        const org = await createOrganization(small, 'hr_firm', '310104');
        const b = await createBrand(small, org.key);
        const count = async () => (await small.dataSource.query(`SELECT count(*)::int AS n FROM trainees`))[0].n;
        const fits = `${HEADER}\n${validRows(20).join('\n')}\n`;
        expect(Buffer.byteLength(fits)).toBeLessThan(2048);
        const ok = await small.request('POST', `/v1/brands/${b.id}/trainees/import`, { key: org.key, raw: fits, contentType: 'text/csv' });
        expect(ok.status).toBe(200);
        expect(ok.body.created).toBe(20);

        const big = `${HEADER}\n${validRows(60).join('\n')}\n`;
        expect(Buffer.byteLength(big)).toBeGreaterThan(2048);
        const declared = await small.request('POST', `/v1/brands/${b.id}/trainees/import`, { key: org.key, raw: big, contentType: 'text/csv' });
        expectProblem(declared, 413, 'PAYLOAD_TOO_LARGE');
        expect(await count()).toBe(20);

        // No Content-Length: the bytes are counted as they stream in; the rows before the limit are rolled back.
        const streamed = await importStream(small, b.id, [Buffer.from(`${HEADER}\n`), ...validRows(60).map((r) => Buffer.from(`${r}\n`))], org.key);
        expect(streamed.statusCode).toBe(413);
        expect(JSON.parse(streamed.body).code).toBe('PAYLOAD_TOO_LARGE');
        expect(await count()).toBe(20);
        // JSON routes keep their own 1 MiB limit, unaffected.
        expect((await small.request('POST', `/v1/brands/${b.id}/trainees`, { key: org.key, body: { fullName: 'x'.repeat(90), nationalId: uniqueNationalId(), cohort: 'c'.repeat(100) } })).status).toBe(201);
      } finally {
        await small.close();
      }
    });
  });

  describe('idempotency', () => {
    it('an Idempotency-Key replay returns the same result without importing again; another file with the key is 422', async () => {
      const csv = `${HEADER}\n${validRows(3).join('\n')}\n坏人,${badChecksum()},,,,\n`;
      const headers = { 'idempotency-key': 'import-once-1' };
      const first = await importFile(brand.id, csv, 'text/csv', firm.key, headers);
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ received: 4, created: 3, duplicates: 0, rejected: 1 });
      const count = await traineeCount(brand.id);
      const events = (await t.dataSource.query(`SELECT count(*)::int AS n FROM outbox_events`))[0].n;

      const replay = await importFile(brand.id, csv, 'text/csv', firm.key, headers);
      expect(replay.status).toBe(200);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      // The first answer (created 3), not a second import's (duplicates 3).
      expect(replay.body).toEqual(first.body);
      expect(await traineeCount(brand.id)).toBe(count);
      expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM outbox_events`))[0].n).toBe(events);

      const other = await importFile(brand.id, `${HEADER}\n${validRows(5).join('\n')}\n`, 'text/csv', firm.key, headers);
      expectProblem(other, 422, 'IDEMPOTENCY_KEY_REUSED');
      // Another file of exactly the same size: the content is what counts, not the length.
      const sameSize = csv.replace(/学员0/, '学员9');
      expect(Buffer.byteLength(sameSize)).toBe(Buffer.byteLength(csv));
      expectProblem(await importFile(brand.id, sameSize, 'text/csv', firm.key, headers), 422, 'IDEMPOTENCY_KEY_REUSED');
      // The same file streamed in chunks without a length is the same request.
      const streamed = await t.app.inject({
        method: 'POST',
        url: `/v1/brands/${brand.id}/trainees/import`,
        headers: { authorization: `Bearer ${firm.key}`, 'content-type': 'text/csv', 'transfer-encoding': 'chunked', ...headers },
        payload: Readable.from(Buffer.from(csv).toString('latin1').match(/[\s\S]{1,7}/g)!.map((p) => Buffer.from(p, 'latin1'))),
      });
      expect([streamed.statusCode, streamed.headers['idempotent-replayed']]).toEqual([200, 'true']);
      expect(await traineeCount(brand.id)).toBe(count);
    });
  });

  describe('volume and events', () => {
    it('imports a 20,000-row CSV in batches; the outbox gets trainee.imported events with ids and counts only', async () => {
      const brandOfTwenty = await createBrand(t, firm.key, { ...SEED_BRANDS.xuhuiAiTrainer, name: '两万人品牌' });
      const rows = validRows(20_000);
      const csv = `${HEADER}\n${rows.join('\n')}\n`;
      const started = process.hrtime.bigint();
      const res = await importFile(brandOfTwenty.id, csv);
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
      console.log(`import of 20,000 CSV rows (${(Buffer.byteLength(csv) / 1024 / 1024).toFixed(2)} MiB): ${elapsedMs.toFixed(0)} ms, ${Math.round(20_000 / (elapsedMs / 1000))} rows/s`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ received: 20_000, created: 20_000, duplicates: 0, rejected: 0, errors: [] });
      expect(await traineeCount(brandOfTwenty.id)).toBe(20_000);
      const [stats] = await t.dataSource.query(
        `SELECT count(DISTINCT national_id_hash)::int AS people, count(*) FILTER (WHERE phone_cipher IS NULL)::int AS no_phone,
                min(expected_monthly_salary_fen)::int AS min_salary, max(expected_monthly_salary_fen)::int AS max_salary
           FROM trainees WHERE brand_id = $1`,
        [brandOfTwenty.id],
      );
      expect(stats).toEqual({ people: 20_000, no_phone: 0, min_salary: 500_000, max_salary: 519_999 });

      const events: Array<{ type: string; aggregate_type: string; aggregate_id: string; brand_id: string; data: any }> = await t.dataSource.query(
        `SELECT type, aggregate_type, aggregate_id, brand_id, data FROM outbox_events WHERE type = 'trainee.imported' AND brand_id = $1 ORDER BY seq`,
        [brandOfTwenty.id],
      );
      expect(events.length).toBeGreaterThanOrEqual(1);
      const ids = new Set<string>();
      for (const e of events) {
        expect(e).toMatchObject({ aggregate_type: 'brand', aggregate_id: brandOfTwenty.id });
        expect(Object.keys(e.data).sort()).toEqual(['brandId', 'count', 'traineeIds']);
        expect(e.data.brandId).toBe(brandOfTwenty.id);
        expect(e.data.traineeIds).toHaveLength(e.data.count);
        for (const id of e.data.traineeIds) ids.add(id);
      }
      expect(ids.size).toBe(20_000);
      const dbIds = await t.dataSource.query(`SELECT id FROM trainees WHERE brand_id = $1`, [brandOfTwenty.id]);
      expect(dbIds.every((r: { id: string }) => ids.has(r.id))).toBe(true);
      // No personal data in the events: no number, phone or name from the file.
      const text = JSON.stringify(events);
      for (const row of [rows[0], rows[9_999], rows[19_999]]) for (const value of row.split(',').slice(0, 3)) expect(text).not.toContain(value);
    }, 180_000);
  });
});
