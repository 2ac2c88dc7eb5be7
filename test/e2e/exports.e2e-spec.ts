import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Client } from 'pg';
import { EXPORT_COLUMNS, rosterColumn, rosterHeader } from '../../src/trainees/import/roster-columns';
import { createBrand, createCertifiedBrand, SEED_BRANDS } from '../support/brands';
import { expectProblem } from '../support/expect';
import { createOrganization, OrgWithKey } from '../support/factories';
import { placeNewTrainee } from '../support/placements';
import { ResponseValidator } from '../support/openapi-responses';
import { Response, startTestApp, TestApp } from '../support/test-app';
import { registerTrainee, uniqueNationalId } from '../support/trainees';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting; last value ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A CSV answer as records: the header row first. The bytes must start with the BOM (Excel reads UTF-8 by it). */
function csvRecords(res: Response): string[][] {
  expect(res.raw.subarray(0, 3)).toEqual(BOM);
  return parse(res.raw, { bom: true, relax_column_count: false }) as string[][];
}

/** An .xlsx answer's first worksheet as rows of cell values (numbers stay numbers), the header row first. */
async function xlsxRecords(res: Response): Promise<Array<Array<string | number | null>>> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(res.raw as unknown as ExcelJS.Buffer);
  const sheet = workbook.worksheets[0];
  const rows: Array<Array<string | number | null>> = [];
  sheet.eachRow({ includeEmpty: false }, (row) => {
    const cells: Array<string | number | null> = [];
    for (let c = 1; c <= sheet.columnCount; c++) {
      const v = row.getCell(c).value;
      cells.push(v === null || v === undefined ? null : (v as string | number));
    }
    rows.push(cells);
  });
  return rows;
}

/** Rows as objects keyed by the header row. */
const byHeader = (records: Array<Array<string | number | null>>): Array<Record<string, string | number | null>> =>
  records.slice(1).map((r) => Object.fromEntries(records[0].map((h, i) => [String(h), r[i]])));

describe('exports', () => {
  let t: TestApp;
  let firm: OrgWithKey;
  let otherFirm: OrgWithKey;
  let bureau: OrgWithKey; // Shanghai city: covers Xuhui
  let farBureau: OrgWithKey; // Shenyang
  let employer: OrgWithKey;
  let brand: any; // firm's certified Xuhui brand
  let draft: any; // firm's draft brand
  const ids: string[] = []; // National ids of `brand`'s trainees, in registration order
  const trainees: any[] = []; // as registered, in registration order

  beforeAll(async () => {
    t = await startTestApp({ STATISTICS_DEBOUNCE_MS: '20', OUTBOX_POLL_MS: '50' }, { worker: true });
    [firm, otherFirm, bureau, farBureau, employer] = await Promise.all([
      createOrganization(t, 'hr_firm', '310104'),
      createOrganization(t, 'hr_firm', '440100'),
      createOrganization(t, 'bureau', '310100'),
      createOrganization(t, 'bureau', '210100'),
      createOrganization(t, 'employer', '310104'),
    ]);
    brand = await createCertifiedBrand(t, firm.key, bureau.key, { ...SEED_BRANDS.xuhuiAiTrainer, name: '徐汇AI训练师/导出' });
    draft = await createBrand(t, firm.key, { ...SEED_BRANDS.xuhuiAiTrainer, name: '草稿品牌' });
    const bodies = [
      { fullName: '张伟', phone: '13812345678', targetGroups: ['graduate', 'veteran'], cohort: '2026春季班', expectedMonthlySalaryFen: 1_234_550 },
      { fullName: '李娜, "小李"', phone: null, targetGroups: [], cohort: null, expectedMonthlySalaryFen: null },
      { fullName: '=HYPERLINK("http://x")', phone: '13912345678', targetGroups: ['rural_migrant'], cohort: '2026秋季班', expectedMonthlySalaryFen: 800_000 },
      { fullName: '王芳', phone: '13712345678', targetGroups: ['disabled'], cohort: '2026春季班', expectedMonthlySalaryFen: 950_000 },
    ];
    for (const b of bodies) {
      const nationalId = uniqueNationalId(trainees.length % 2 ? 'male' : 'female');
      ids.push(nationalId);
      trainees.push(await registerTrainee(t, firm.key, brand.id, { ...b, nationalId }));
    }
    const training = await t.request('PATCH', `/v1/trainees/${trainees[3].id}`, { key: firm.key, body: { status: 'training' } });
    expect(training.status).toBe(200);
    trainees[3] = training.body;
  });
  afterAll(async () => t?.close());

  const exportOf = (key: string, brandId: string, query = '', headers: Record<string, string> = {}) =>
    t.request('GET', `/v1/brands/${brandId}/trainees/export${query}`, { key, headers });

  describe('the response check every answer of the suite goes through', () => {
    it('holds file answers to the document: media type, required headers and their form, UTF-8', async () => {
      const validator = new ResponseValidator(JSON.parse((await t.request('GET', '/docs-json', { key: null })).text));
      const url = '/v1/statistics/brands/export';
      const headers = { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="a.csv"', 'content-language': 'en', 'cache-control': 'no-store' };
      const csv = Buffer.from('\uFEFFa,b\r\n', 'utf8');
      expect(validator.check('GET', url, 200, headers, csv.toString(), csv)).toEqual([]);
      expect(validator.check('GET', url, 200, { ...headers, 'content-type': XLSX }, 'PK', Buffer.from('PK'))).toEqual([]);
      expect(validator.check('GET', url, 200, { ...headers, 'content-type': 'application/pdf' }, 'x', Buffer.from('x'))).toEqual([expect.stringContaining('served as application/pdf')]);
      expect(validator.check('GET', url, 200, { ...headers, 'content-disposition': undefined }, csv.toString(), csv)).toEqual([expect.stringContaining('Content-Disposition is declared required but not sent')]);
      expect(validator.check('GET', url, 200, { ...headers, 'content-disposition': 'inline' }, csv.toString(), csv)).toEqual([expect.stringContaining('header Content-Disposition')]);
      expect(validator.check('GET', url, 200, { ...headers, 'content-language': 'fr' }, csv.toString(), csv)).toEqual([expect.stringContaining('header Content-Language')]);
      expect(validator.check('GET', url, 200, headers, 'x', Buffer.from([0xff, 0xfe, 0x41]))).toEqual([expect.stringContaining('not well-formed UTF-8')]);
      expect(validator.check('GET', url, 406, { 'content-type': 'text/csv' }, 'x', Buffer.from('x'))).toEqual([expect.stringContaining('served as text/csv')]);
    });
  });

  describe('a brand’s trainees', () => {
    it('CSV by default: UTF-8 with a BOM, the field names as header, every trainee newest first, masked values only', async () => {
      const res = await exportOf(firm.key, brand.id);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-language']).toBe('en');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['transfer-encoding']).toBe('chunked');
      const records = csvRecords(res);
      expect(records[0]).toEqual([...EXPORT_COLUMNS]);
      const rows = byHeader(records);
      expect(rows.map((r) => r.id)).toEqual(trainees.map((tr) => tr.id).reverse());
      const [wang, hyperlink, li, zhang] = rows;
      expect(zhang).toEqual({
        id: trainees[0].id,
        fullName: '张伟',
        nationalIdMasked: trainees[0].nationalIdMasked,
        gender: trainees[0].gender,
        birthDate: trainees[0].birthDate,
        phoneMasked: '138****5678',
        targetGroups: 'graduate;veteran',
        cohort: '2026春季班',
        expectedMonthlySalaryFen: '1234550',
        status: 'registered',
        registeredAt: trainees[0].registeredAt,
      });
      // Quotes and commas survive; empty values are empty cells.
      expect(li).toMatchObject({ fullName: '李娜, "小李"', phoneMasked: '', targetGroups: '', cohort: '', expectedMonthlySalaryFen: '' });
      // A spreadsheet would run this as a formula: written as text.
      expect(hyperlink.fullName).toBe(`'=HYPERLINK("http://x")`);
      expect(wang.status).toBe('training');
      // The operator sees phones in full in JSON; a file never holds a full identity number or phone.
      const text = res.raw.toString('utf8');
      for (const id of ids) expect(text).not.toContain(id);
      for (const phone of ['13812345678', '13912345678', '13712345678']) expect(text).not.toContain(phone);
    });

    it('names the file: attachment, an ASCII filename and the brand’s name as filename* (RFC 8187)', async () => {
      const res = await exportOf(firm.key, brand.id);
      const disposition = String(res.headers['content-disposition']);
      const date = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
      expect(disposition).toBe(
        `attachment; filename="trainees-${brand.id}-${date}.csv"; filename*=UTF-8''${encodeURIComponent(`徐汇AI训练师_导出 trainees ${date}.csv`).replace(/'/g, '%27')}`,
      );
      const zh = await exportOf(firm.key, brand.id, '', { 'accept-language': 'zh-CN' });
      expect(decodeURIComponent(/filename\*=UTF-8''(.+)$/.exec(String(zh.headers['content-disposition']))![1])).toBe(`徐汇AI训练师_导出 学员名册 ${date}.csv`);
    });

    it('Accept-Language zh-CN: the Chinese headers the importer reads, Chinese words, the salary in yuan; Content-Language zh-CN', async () => {
      const res = await exportOf(firm.key, brand.id, '', { 'accept-language': 'zh-CN,en;q=0.5' });
      expect(res.status).toBe(200);
      expect(res.headers['content-language']).toBe('zh-CN');
      const records = csvRecords(res);
      expect(records[0]).toEqual(EXPORT_COLUMNS.map((c) => (c === 'expectedMonthlySalaryFen' ? rosterColumn('expectedMonthlySalaryYuan').zh : rosterHeader(c, 'zh'))));
      expect(records[0]).toContain('姓名');
      expect(records[0]).toContain('期望月薪（元）');
      const zhang = records[records.length - 1];
      const cell = (c: string): string => zhang[records[0].indexOf(c)];
      expect(cell('姓名')).toBe('张伟');
      expect(cell('期望月薪（元）')).toBe('12345.5');
      expect(cell(rosterHeader('targetGroups', 'zh'))).toBe('高校毕业生、退役军人');
      expect(cell(rosterHeader('status', 'zh'))).toBe('已登记');
      expect(['男', '女']).toContain(cell(rosterHeader('gender', 'zh')));
    });

    it('.xlsx by Accept: the same rows, numbers as numbers, parsed back with exceljs', async () => {
      const csv = byHeader(csvRecords(await exportOf(firm.key, brand.id)));
      const res = await exportOf(firm.key, brand.id, '', { accept: XLSX });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(XLSX);
      expect(String(res.headers['content-disposition'])).toMatch(/^attachment; filename="trainees-[0-9a-f-]+-\d{4}-\d{2}-\d{2}\.xlsx"; filename\*=UTF-8''\S+\.xlsx$/);
      const rows = byHeader(await xlsxRecords(res));
      expect(rows).toHaveLength(csv.length);
      // The same cells as the CSV, but numbers typed and formulas needing no apostrophe (an .xlsx cell is typed).
      expect(rows[3]).toEqual({ ...csv[3], expectedMonthlySalaryFen: 1_234_550 });
      expect(rows[1].fullName).toBe('=HYPERLINK("http://x")');
      expect(rows[2].phoneMasked).toBeNull();
    });

    it('Accept decides: application/* or a higher weight picks .xlsx; */* and ties CSV; neither admitted is 406 NOT_ACCEPTABLE', async () => {
      const typeFor = async (accept: string) => (await exportOf(firm.key, brand.id, '', { accept })).headers['content-type'];
      expect(await typeFor('*/*')).toBe('text/csv; charset=utf-8');
      expect(await typeFor('text/*')).toBe('text/csv; charset=utf-8');
      expect(await typeFor('application/*')).toBe(XLSX);
      expect(await typeFor(`text/csv;q=0.5, ${XLSX}`)).toBe(XLSX);
      expect(await typeFor(`text/csv;q=0, */*`)).toBe(XLSX);
      expect(await typeFor(`${XLSX}, text/csv`)).toBe('text/csv; charset=utf-8');
      const refused = await exportOf(firm.key, brand.id, '', { accept: 'application/json', 'accept-language': 'zh-CN' });
      const problem = expectProblem(refused, 406, 'NOT_ACCEPTABLE');
      expect(problem.detail).toContain('text/csv');
      expect(refused.headers['content-language']).toBe('zh-CN');
      expectProblem(await exportOf(firm.key, brand.id, '', { accept: 'text/csv;q=0' }), 406, 'NOT_ACCEPTABLE');
    });

    it('takes the list’s filters (status, cohort), and nothing else', async () => {
      const rowsFor = async (query: string) => byHeader(csvRecords(await exportOf(firm.key, brand.id, query)));
      expect((await rowsFor('?status=training')).map((r) => r.id)).toEqual([trainees[3].id]);
      expect((await rowsFor(`?cohort=${encodeURIComponent('2026春季班')}`)).map((r) => r.id)).toEqual([trainees[3].id, trainees[0].id]);
      expect(await rowsFor(`?cohort=${encodeURIComponent('2026春季班')}&status=withdrawn`)).toEqual([]);
      // The list's answers for the same filters: the same trainees.
      const list = await t.request('GET', `/v1/brands/${brand.id}/trainees?cohort=${encodeURIComponent('2026春季班')}`, { key: firm.key });
      expect(list.body.items.map((i: any) => i.id)).toEqual([trainees[3].id, trainees[0].id]);
      for (const q of ['?status=flying', '?limit=10', '?cursor=abc', '?nope=1']) expectProblem(await exportOf(firm.key, brand.id, q), 400, 'VALIDATION_FAILED');
      // Without a trainee: the header alone.
      expect(csvRecords(await exportOf(firm.key, draft.id))).toEqual([[...EXPORT_COLUMNS]]);
    });

    it('who may: the list’s rule (operator, bureau with jurisdiction, platform); others 403, or 404 where the brand is hidden', async () => {
      for (const key of [bureau.key, t.platformKey]) {
        const res = await exportOf(key, brand.id);
        expect(res.status).toBe(200);
        expect(byHeader(csvRecords(res))).toHaveLength(trainees.length);
      }
      expect((await exportOf(bureau.key, draft.id)).status).toBe(200);
      for (const key of [farBureau.key, otherFirm.key, employer.key]) {
        expectProblem(await exportOf(key, brand.id), 403, 'FORBIDDEN');
        expectProblem(await exportOf(key, draft.id), 404, 'NOT_FOUND');
        // The same answers as the list's.
        expectProblem(await t.request('GET', `/v1/brands/${brand.id}/trainees`, { key }), 403, 'FORBIDDEN');
      }
      expectProblem(await exportOf(firm.key, '00000000-0000-4000-8000-000000000000'), 404, 'NOT_FOUND');
      expectProblem(await exportOf(firm.key, 'nope'), 400, 'VALIDATION_FAILED');
      expectProblem(await t.request('GET', `/v1/brands/${brand.id}/trainees/export`, { key: null }), 401, 'UNAUTHENTICATED');
    });

    it('is audited, without personal data', async () => {
      await exportOf(bureau.key, brand.id, '?status=training');
      const [entry] = await t.dataSource.query(`SELECT details FROM audit_log WHERE action = 'trainee.export' AND object_id = $1 ORDER BY id DESC LIMIT 1`, [brand.id]);
      expect(entry.details).toEqual({ status: 'training', cohort: null });
    });
  });

  describe('round trip through the importer', () => {
    /** A CSV record as a spreadsheet saves it. */
    const csvLine = (cells: Array<string | null>): string => cells.map((c) => (c === null ? '' : /[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',') + '\r\n';
    const fullIdOf = (traineeId: string): string => ids[trainees.findIndex((tr) => tr.id === traineeId)];

    /** The trainees of a brand as the list shows them, by masked number. */
    async function roster(brandId: string): Promise<Map<string, any>> {
      const res = await t.request('GET', `/v1/brands/${brandId}/trainees?limit=500`, { key: firm.key });
      return new Map(res.body.items.map((i: any) => [i.nationalIdMasked, i]));
    }

    function expectSamePeople(copied: Map<string, any>): void {
      expect(copied.size).toBe(trainees.length);
      for (const original of trainees) {
        const copy = copied.get(original.nationalIdMasked);
        expect(copy).toBeDefined();
        // The person, their groups, cohort and expected salary (yuan in the file, fen again here); a name a
        // spreadsheet would run as a formula comes back with the apostrophe the CSV wrote.
        expect({ ...copy, fullName: copy.fullName.replace(/^'/, '') }).toMatchObject({
          fullName: original.fullName,
          birthDate: original.birthDate,
          gender: original.gender,
          targetGroups: original.targetGroups,
          cohort: original.cohort,
          expectedMonthlySalaryFen: original.expectedMonthlySalaryFen,
          status: 'registered',
        });
      }
    }

    it('CSV with Chinese headers, full numbers typed over the masks: imported into another brand, the same people once', async () => {
      const [header, ...rows] = csvRecords(await exportOf(firm.key, brand.id, '', { 'accept-language': 'zh-CN' }));
      const idAt = header.indexOf(rosterHeader('id', 'zh'));
      const maskedAt = header.indexOf(rosterHeader('nationalIdMasked', 'zh'));
      const filled = '\uFEFF' + csvLine(header) + rows.map((r) => csvLine(r.map((c, i) => (i === maskedAt ? fullIdOf(r[idAt]) : c)))).join('');
      const target = await createBrand(t, firm.key, { ...SEED_BRANDS.xuhuiAiTrainer, name: '导入副本CSV' });
      const imported = await t.request('POST', `/v1/brands/${target.id}/trainees/import`, { key: firm.key, raw: Buffer.from(filled, 'utf8'), contentType: 'text/csv' });
      expect(imported.status).toBe(200);
      expect(imported.body).toMatchObject({ received: trainees.length, created: trainees.length, duplicates: 0, rejected: 0 });
      expectSamePeople(await roster(target.id));
      // Again: nothing new.
      const again = await t.request('POST', `/v1/brands/${target.id}/trainees/import`, { key: firm.key, raw: Buffer.from(filled, 'utf8'), contentType: 'text/csv' });
      expect(again.body).toMatchObject({ created: 0, duplicates: trainees.length, rejected: 0 });
      // Left masked, the numbers are refused row by row: a masked export is not a roster of people.
      const masked = await t.request('POST', `/v1/brands/${target.id}/trainees/import`, { key: firm.key, raw: (await exportOf(firm.key, brand.id, '', { 'accept-language': 'zh-CN' })).raw, contentType: 'text/csv' });
      expect(masked.body).toMatchObject({ created: 0, rejected: trainees.length });
    });

    it('.xlsx alike: exported, numbers filled in with exceljs, imported as .xlsx', async () => {
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load((await exportOf(firm.key, brand.id, '', { accept: XLSX, 'accept-language': 'zh-CN' })).raw as unknown as ExcelJS.Buffer);
      const sheet = workbook.worksheets[0];
      const header = (sheet.getRow(1).values as unknown[]).slice(1).map(String);
      const idColumn = header.indexOf(rosterHeader('id', 'zh')) + 1;
      const maskedColumn = header.indexOf(rosterHeader('nationalIdMasked', 'zh')) + 1;
      sheet.eachRow((row, n) => {
        if (n > 1) row.getCell(maskedColumn).value = fullIdOf(String(row.getCell(idColumn).value));
      });
      const file = Buffer.from(await workbook.xlsx.writeBuffer());
      const target = await createBrand(t, firm.key, { ...SEED_BRANDS.xuhuiAiTrainer, name: '导入副本XLSX' });
      const imported = await t.request('POST', `/v1/brands/${target.id}/trainees/import`, { key: firm.key, raw: file, contentType: XLSX });
      expect(imported.status).toBe(200);
      expect(imported.body).toMatchObject({ created: trainees.length, duplicates: 0, rejected: 0 });
      const copied = await roster(target.id);
      // An .xlsx cell is typed: the name needs no apostrophe, so it comes back exactly.
      expect([...copied.values()].map((c) => c.fullName).sort()).toEqual(trainees.map((tr) => tr.fullName).sort());
      expectSamePeople(copied);
    });
  });

  describe('a failure after the headers are sent', () => {
    const ROWS = 60_000;
    let big: any;

    beforeAll(async () => {
      big = await createBrand(t, firm.key, { ...SEED_BRANDS.xuhuiAiTrainer, name: '大名册' });
      // Generated in SQL: what matters is the number of rows, not how they were registered.
      await t.dataSource.query(
        `INSERT INTO trainees (brand_id, full_name, national_id_hash, national_id_masked, birth_date, gender, status, registered_at)
         SELECT $1, '学员' || i, decode(md5(i::text), 'hex'), '310104********' || lpad((i % 10000)::text, 4, '0'), DATE '1990-01-01', 'female', 'registered',
                now() - i * interval '1 second'
           FROM generate_series(1, ${ROWS}) AS i`,
        [big.id],
      );
    });

    it('cuts the answer off (no final chunk): a client never takes the part for a whole file', async () => {
      await t.app.listen(0, '127.0.0.1');
      const address = t.app.getHttpServer().address() as { port: number };
      const locker = new Client({ connectionString: t.databaseUrl });
      await locker.connect();
      try {
        const response = await new Promise<IncomingMessage>((resolve, reject) => {
          httpRequest({ host: '127.0.0.1', port: address.port, path: `/v1/brands/${big.id}/trainees/export`, headers: { authorization: `Bearer ${firm.key}` } }, resolve)
            .on('error', reject)
            .end();
        });
        expect(response.statusCode).toBe(200);
        // The client reads nothing for a while: back-pressure stops the export part-way through.
        response.pause();
        await new Promise((r) => setTimeout(r, 500));
        // The next batch will wait for this lock, and be cancelled while it waits: the database failing mid-export.
        await locker.query('BEGIN');
        await locker.query('LOCK TABLE trainees IN ACCESS EXCLUSIVE MODE');
        let bytes = 0;
        const outcome = new Promise<string>((resolve) => {
          response.on('data', (chunk: Buffer) => (bytes += chunk.length));
          response.on('end', () => resolve(response.complete ? 'complete' : 'incomplete'));
          response.on('error', () => resolve('error'));
          response.on('aborted', () => resolve('aborted'));
        });
        response.resume();
        const waiting = await waitFor(
          async () => (await locker.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%national_id_masked%'`)).rows,
          (rows) => rows.length > 0,
        );
        await locker.query('SELECT pg_cancel_backend($1)', [waiting[0].pid]);
        await locker.query('ROLLBACK');
        expect(await outcome).not.toBe('complete');
        expect(response.complete).toBe(false);
        // Part of the file had been sent, not all of it.
        expect(bytes).toBeGreaterThan(0);
        expect(bytes).toBeLessThan(ROWS * 60);
      } finally {
        await locker.end();
      }
      // And the service goes on.
      expect((await exportOf(firm.key, brand.id)).status).toBe(200);
    });
  });

  describe('the brand statistics list', () => {
    let shown: string; // 5 salaries: shown to everyone
    let small: string; // 2 salaries: suppressed for readers without privilege
    const region = '310115';

    beforeAll(async () => {
      shown = (await createCertifiedBrand(t, firm.key, bureau.key, { ...SEED_BRANDS.xuhuiAiTrainer, regionCode: region, name: '浦东导出品牌' })).id;
      small = (await createCertifiedBrand(t, firm.key, bureau.key, { ...SEED_BRANDS.xuhuiAiTrainer, regionCode: region, name: '浦东小样本' })).id;
      for (const s of [12_000_000, 13_000_000, 14_000_000, 15_000_000, 16_000_050]) await placeNewTrainee(t, firm, employer, shown, { salaryFen: s });
      for (const s of [9_876_543, 23_456_789]) await placeNewTrainee(t, firm, employer, small, { salaryFen: s });
      await waitFor(
        () => t.request('GET', `/v1/statistics/brands?regionCode=${region}`, { key: firm.key }),
        (r) => r.status === 200 && r.body.items.length === 2 && r.body.items.every((i: any) => i.salary.sampleSize === (i.brandId === shown ? 5 : 2)),
      );
    });

    /** The JSON list's items, every page, flattened to the export's columns (its English headers are the paths). */
    async function listedRows(key: string, query: string, paths: string[]): Promise<string[][]> {
      const rows: string[][] = [];
      let cursor: string | null = null;
      do {
        const res: Response = await t.request('GET', `/v1/statistics/brands?limit=1${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { key });
        expect(res.status).toBe(200);
        for (const item of res.body.items) rows.push(paths.map((p) => p.split('.').reduce((v: any, k) => v?.[k], item)).map((v) => (v === null || v === undefined ? '' : String(v))));
        cursor = res.body.nextCursor;
      } while (cursor);
      return rows;
    }

    it.each([
      ['a reader without privilege', () => otherFirm.key],
      ['the operator (privileged)', () => firm.key],
    ])('CSV: the JSON list’s rows in its order, suppression exactly as in JSON, for %s', async (_who, key) => {
      for (const query of [`&regionCode=${region}`, `&regionCode=${region}&sort=medianAnnualFen&order=asc`, `&sort=placedTraineeCount&order=desc`]) {
        const res = await t.request('GET', `/v1/statistics/brands/export?${query.slice(1)}`, { key: key() });
        expect(res.status).toBe(200);
        expect(res.headers['content-language']).toBe('en');
        const [header, ...rows] = csvRecords(res);
        expect(header).toContain('salary.medianAnnualFen');
        // Every cell the same, but the time of a recomputation, which a worker may run between the two reads.
        const recomputed = header.indexOf('computedAt');
        const withoutRecomputeTime = (r: string[]): string[] => r.filter((_, i) => i !== recomputed);
        expect(rows.map(withoutRecomputeTime)).toEqual((await listedRows(key(), query, header)).map(withoutRecomputeTime));
      }
    });

    it('the small brand’s salary cells are empty for the public and filled for its operator; the mean rounded to CNY 1,000 for the public', async () => {
      const rowOf = async (key: string, brandId: string) => {
        const [header, ...rows] = csvRecords(await t.request('GET', `/v1/statistics/brands/export?regionCode=${region}`, { key }));
        const row = rows.find((r) => r[0] === brandId)!;
        return Object.fromEntries(header.map((h, i) => [h, row[i]]));
      };
      expect(await rowOf(otherFirm.key, small)).toMatchObject({ 'salary.sampleSize': '2', 'salary.medianAnnualFen': '', 'salary.meanAnnualFen': '', 'salary.suppressed': 'true', medianSalaryUpliftPct: '' });
      expect(await rowOf(firm.key, small)).toMatchObject({ 'salary.sampleSize': '2', 'salary.medianAnnualFen': String((9_876_543 + 23_456_789) / 2), 'salary.suppressed': 'false' });
      expect(await rowOf(otherFirm.key, shown)).toMatchObject({ 'salary.medianAnnualFen': '14000000', 'salary.meanAnnualFen': '14000000', 'salary.suppressed': 'false' });
      expect(await rowOf(firm.key, shown)).toMatchObject({ 'salary.meanAnnualFen': '14000010' });
    });

    it('.xlsx alike, and Chinese headers with Accept-Language zh; 406 for another format', async () => {
      const csv = csvRecords(await t.request('GET', `/v1/statistics/brands/export?regionCode=${region}`, { key: otherFirm.key }));
      const res = await t.request('GET', `/v1/statistics/brands/export?regionCode=${region}`, { key: otherFirm.key, headers: { accept: XLSX, 'accept-language': 'zh-CN' } });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(XLSX);
      expect(res.headers['content-language']).toBe('zh-CN');
      const date = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
      expect(res.headers['content-disposition']).toBe(`attachment; filename="brand-statistics-${date}.xlsx"; filename*=UTF-8''${encodeURIComponent(`品牌统计 ${date}.xlsx`)}`);
      const records = await xlsxRecords(res);
      expect(records[0]).toContain('品牌名称');
      expect(records[0]).toContain('年薪中位数（分）');
      expect(records[0]).toHaveLength(csv[0].length);
      // The same cells as the CSV (numbers typed, empty cells empty).
      expect(records.slice(1).map((r) => r.map((v) => (v === null ? '' : String(v))))).toEqual(csv.slice(1));
      expectProblem(await t.request('GET', '/v1/statistics/brands/export', { key: otherFirm.key, headers: { accept: 'application/pdf' } }), 406, 'NOT_ACCEPTABLE');
      for (const q of ['sort=nope', 'limit=5', 'regionCode=31x']) expectProblem(await t.request('GET', `/v1/statistics/brands/export?${q}`, { key: otherFirm.key }), 400, 'VALIDATION_FAILED');
    });
  });
});
