import * as iconv from 'iconv-lite';
import { createCertifiedBrand, SEED_BRANDS } from '../support/brands';
import { expectProblem } from '../support/expect';
import { createOrganization, OrgWithKey } from '../support/factories';
import { xlsxOf, XLSX } from '../support/rosters';
import { Response, startTestApp, TestApp } from '../support/test-app';
import { uniqueNationalId } from '../support/trainees';

/** Full-width digits and a lower-case x, as typed with a Chinese input method. */
const fullWidth = (text: string): string => text.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d))).replace(/X$/, 'ｘ');

describe('trainee import: the files HR staff have', () => {
  let t: TestApp;
  let firm: OrgWithKey;
  let brand: any;

  beforeAll(async () => {
    t = await startTestApp();
    const bureau = await createOrganization(t, 'bureau', '310100');
    firm = await createOrganization(t, 'hr_firm', '310104');
    brand = await createCertifiedBrand(t, firm.key, bureau.key, SEED_BRANDS.xuhuiAiTrainer);
  });
  afterAll(async () => t?.close());

  const importFile = (raw: string | Buffer, contentType: string, headers?: Record<string, string>): Promise<Response> =>
    t.request('POST', `/v1/brands/${brand.id}/trainees/import`, { key: firm.key, raw, contentType, headers });
  const lookup = async (nationalId: string): Promise<any> => {
    const res = await t.request('POST', '/v1/trainees/lookup', { key: firm.key, body: { nationalId } });
    expect(res.body.items).toHaveLength(1);
    return res.body.items[0];
  };

  it('a GB18030 CSV without a declared charset, Chinese headers and values, salary in yuan', async () => {
    const [a, b] = [uniqueNationalId(), uniqueNationalId()];
    const text = `姓名,身份证号码,联系电话,人员类别,批次,期望月薪(元)\r\n 欧阳娜娜 ,${fullWidth(a)},１３８１２３４０００１,高校毕业生、退役军人,2026春季班,"8,500.50"\r\n𠮷祥,${b},,农民工；失业人员,,9000\r\n`;
    const res = await importFile(iconv.encode(text, 'gb18030'), 'text/csv');
    expect(res.body).toEqual({ received: 2, created: 2, duplicates: 0, rejected: 0, errors: [] });
    expect(await lookup(a)).toMatchObject({ fullName: '欧阳娜娜', phone: '13812340001', targetGroups: ['graduate', 'veteran'], cohort: '2026春季班', expectedMonthlySalaryFen: 850050 });
    // A character outside GBK (GB18030's four-byte range) comes through.
    expect(await lookup(b)).toMatchObject({ fullName: '𠮷祥', targetGroups: ['rural_migrant', 'unemployed'], expectedMonthlySalaryFen: 900000 });
  });

  it('a UTF-8 CSV with a BOM and full-width brackets; a bad yuan amount and a bad group are row errors', async () => {
    const [a, b, c] = [uniqueNationalId(), uniqueNationalId(), uniqueNationalId()];
    const text = `\uFEFF姓名,公民身份号码,手机号码,重点群体,培训批次,期望月薪（元）\n张伟,${a},13812340002,残疾人,一期,12000\n李娜,${b},,学生,,\n王芳,${c},,,,12.345\n`;
    const res = await importFile(Buffer.from(text, 'utf8'), 'text/csv', { 'accept-language': 'zh-CN' });
    expect(res.body).toMatchObject({ received: 3, created: 1, rejected: 2 });
    expect(res.body.errors).toEqual([
      { row: 2, field: 'targetGroups', code: 'INVALID_TARGET_GROUP', message: expect.stringContaining('高校毕业生') },
      { row: 3, field: 'expectedMonthlySalaryFen', code: 'INVALID_AMOUNT', message: expect.stringContaining('以元为单位') },
    ]);
    expect(await lookup(a)).toMatchObject({ fullName: '张伟', targetGroups: ['disabled'], expectedMonthlySalaryFen: 1_200_000 });
  });

  it('an .xlsx workbook: first worksheet, first non-empty row the header, number cells; an ID stored as a number is a row error', async () => {
    const [a, b, c] = [uniqueNationalId(), uniqueNationalId(), uniqueNationalId()];
    const file = await xlsxOf(
      [
        ['姓名', '身份证号', '手机号', '重点群体', '培训批次', '期望月薪（元）'],
        ['赵敏', a, 13812340003, '高校毕业生', '2026春季班', 8500.5],
        [null, null, null, null, null, null],
        ['周芷若', Number(c.slice(0, 17)) * 10, null, null, null, null],
        ['张无忌', b.toLowerCase(), null, '退役军人;农民工', null, '12,000'],
      ],
      { leadingBlankRows: 2, secondSheet: true },
    );
    const res = await importFile(file, XLSX, { 'accept-language': 'en' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ received: 3, created: 2, rejected: 1 });
    expect(res.body.errors).toEqual([{ row: 2, field: 'nationalId', code: 'INVALID_NATIONAL_ID', message: expect.stringMatching(/format the column as text/) }]);
    expect(await lookup(a)).toMatchObject({ fullName: '赵敏', phone: '13812340003', targetGroups: ['graduate'], expectedMonthlySalaryFen: 850050 });
    expect(await lookup(b)).toMatchObject({ fullName: '张无忌', targetGroups: ['veteran', 'rural_migrant'], expectedMonthlySalaryFen: 1_200_000 });
  });

  it('an export header comes back: export-only columns ignored, masked columns read once filled in', async () => {
    const [a, b] = [uniqueNationalId(), uniqueNationalId()];
    const header = '编号,姓名,身份证号（脱敏）,性别,出生日期,手机号（脱敏）,重点群体,培训批次,期望月薪（分）,状态,登记时间';
    const text = `${header}\n0190,黄蓉,${a},女,1990-01-01,138****0004,高校毕业生,,800000,已登记,2026-01-01T00:00:00Z\n0191,郭靖,${b.slice(0, 6)}********${b.slice(14)},男,1990-01-01,,,,,已登记,2026-01-01T00:00:00Z\n`;
    const res = await importFile(text, 'text/csv; charset=utf-8');
    expect(res.body).toMatchObject({ received: 2, created: 1, rejected: 1, errors: [{ row: 2, field: 'nationalId', code: 'INVALID_NATIONAL_ID', message: expect.stringMatching(/masked/) }] });
    expect(res.text).not.toContain(b.slice(14));
    expect(await lookup(a)).toMatchObject({ fullName: '黄蓉', phone: null, expectedMonthlySalaryFen: 800000 });
  });

  it('NDJSON: identity numbers and phones NFKC-normalised', async () => {
    const a = uniqueNationalId();
    const res = await importFile(`${JSON.stringify({ fullName: '小龙女', nationalId: fullWidth(a), phone: '１３８１２３４０００５' })}\n`, 'application/x-ndjson');
    expect(res.body).toMatchObject({ created: 1 });
    expect(await lookup(a)).toMatchObject({ phone: '13812340005' });
  });

  it('a body that is not a workbook, or an empty workbook: 400 INVALID_IMPORT_FILE', async () => {
    expect(expectProblem(await importFile('姓名,身份证号\n', XLSX), 400, 'INVALID_IMPORT_FILE').detail).toMatch(/xlsx/);
    expect(expectProblem(await importFile(await xlsxOf([]), XLSX), 400, 'INVALID_IMPORT_FILE').detail).toMatch(/empty/);
    expect(expectProblem(await importFile(await xlsxOf([['籍贯', '身份证号']]), XLSX), 400, 'INVALID_IMPORT_FILE').detail).toMatch(/missing required column fullName/);
  });
});
