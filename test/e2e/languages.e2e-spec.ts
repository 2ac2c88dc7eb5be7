/**
 * Accept-Language chooses the language of every text meant for a person: problem titles, details and field
 * messages, and import errors; codes and field names stay as they are. Answers say which with Content-Language.
 */
import { randomUUID } from 'node:crypto';
import { createBrand, createCertifiedBrand } from '../support/brands';
import { expectProblem } from '../support/expect';
import { createOrganization, OrgWithKey } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { uniqueNationalId } from '../support/trainees';

const CJK = /[\u4e00-\u9fff]/;
const ZH = { 'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8' };

describe('languages', () => {
  let t: TestApp;
  let firm: OrgWithKey;
  let bureau: OrgWithKey;

  beforeAll(async () => {
    t = await startTestApp();
    [firm, bureau] = await Promise.all([createOrganization(t, 'hr_firm', '310104'), createOrganization(t, 'bureau', '310104')]);
  });
  afterAll(async () => t?.close());

  it('answers in English by default and says so', async () => {
    const res = await t.request('GET', `/v1/brands/${randomUUID()}`, { key: firm.key });
    const problem = expectProblem(res, 404, 'NOT_FOUND');
    expect(problem.title).toBe('Not found');
    expect(problem.detail).toBe('Brand not found');
    expect(res.headers['content-language']).toBe('en');
    const me = await t.request('GET', '/v1/me', { key: firm.key });
    expect(me.headers['content-language']).toBe('en');
  });

  it('answers in Simplified Chinese for zh, with the same code', async () => {
    const res = await t.request('GET', `/v1/brands/${randomUUID()}`, { key: firm.key, headers: ZH });
    const problem = expectProblem(res, 404, 'NOT_FOUND');
    expect(problem.title).toBe('未找到');
    expect(problem.detail).toBe('未找到品牌');
    expect(res.headers['content-language']).toBe('zh-CN');
    const me = await t.request('GET', '/v1/me', { key: firm.key, headers: ZH });
    expect(me.status).toBe(200);
    expect(me.headers['content-language']).toBe('zh-CN');
  });

  it('translates field messages of the validation pipe, with their bounds and allowed values', async () => {
    const res = await t.request('POST', '/v1/brands', { key: firm.key, headers: ZH, body: { name: '', occupationCode: '4-4', occupationName: 'x', sector: 'x', regionCode: '310104', extra: 1 } });
    const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
    const byField = Object.fromEntries(problem.errors.map((e: { field: string; message: string }) => [e.field, e.message]));
    expect(byField.name).toBe('name 的长度必须在 1 到 200 个字符之间');
    expect(byField.occupationCode).toBe('occupationCode 的格式应为 4-04-05-05');
    expect(byField.extra).toBe('不接受字段 extra');
    expect(problem.detail).toMatch(CJK);
    for (const e of problem.errors) expect(e.code).toMatch(/^[A-Z_]+$/);

    const en = await t.request('POST', '/v1/brands', { key: firm.key, body: { name: '', occupationCode: '4-4', occupationName: 'x', sector: 'x', regionCode: '310104' } });
    expect(expectProblem(en, 400, 'VALIDATION_FAILED').errors.map((e: { message: string }) => e.message).sort()).toEqual(['name must be 1 to 200 characters long', 'occupationCode must look like 4-04-05-05']);
  });

  it('translates identifier checks, the policy, the state machines and the guard', async () => {
    const badCredit = await t.request('POST', '/v1/organizations', { headers: ZH, body: { kind: 'employer', name: '某公司', creditCode: '91350100M000100Y44', regionCode: '350100' } });
    expect(expectProblem(badCredit, 400, 'INVALID_CREDIT_CODE').errors[0].message).toMatch(/^creditCode 校验码应为 '.'，而不是 '4'$/);

    const draft = await createBrand(t, firm.key);
    const certify = await t.request('POST', `/v1/brands/${draft.id}/certify`, { key: bureau.key, headers: ZH, body: { level: 'district', validUntil: '2099-12-31' } });
    expect(expectProblem(certify, 409, 'INVALID_TRANSITION').detail).toBe('无法执行 certify：状态为 draft 的品牌不能执行 certify；certify 只适用于状态为 submitted 的品牌');

    const outsider = await createOrganization(t, 'bureau', '440305');
    const brand = await createCertifiedBrand(t, firm.key, bureau.key);
    const suspend = await t.request('POST', `/v1/brands/${brand.id}/suspend`, { key: outsider.key, headers: ZH, body: { reason: '检查' } });
    expect(expectProblem(suspend, 403, 'OUT_OF_JURISDICTION').detail).toBe('地区 310104 不在贵部门（440305）的管辖范围内');

    const noKey = await t.request('GET', '/v1/me', { key: null, headers: ZH });
    expect(expectProblem(noKey, 401, 'UNAUTHENTICATED').title).toBe('API 密钥缺失、无效或已撤销');
  });

  it('reports import errors in the language asked for', async () => {
    const brand = await createCertifiedBrand(t, firm.key, bureau.key);
    const csv = `fullName,nationalId\n张伟,${uniqueNationalId()}\n李娜,12345\n`;
    const zh = await t.request('POST', `/v1/brands/${brand.id}/trainees/import`, { key: firm.key, raw: csv, contentType: 'text/csv', headers: ZH });
    expect(zh.status).toBe(200);
    expect(zh.body.errors).toEqual([{ row: 2, field: 'nationalId', code: 'INVALID_NATIONAL_ID', message: 'nationalId 必须是 18 个字符，实际为 5 个' }]);
    const en = await t.request('POST', `/v1/brands/${brand.id}/trainees/import`, { key: firm.key, raw: csv, contentType: 'text/csv' });
    expect(en.body.errors[0].message).toBe('nationalId must be 18 characters, got 5');

    const unreadable = await t.request('POST', `/v1/brands/${brand.id}/trainees/import`, { key: firm.key, raw: 'nationalId\n', contentType: 'text/csv', headers: ZH });
    expect(expectProblem(unreadable, 400, 'INVALID_IMPORT_FILE').detail).toBe(
      '标题行无法使用：缺少必需的列 fullName（姓名）（可用的列为 fullName（姓名）、nationalId（身份证号、身份证号码、公民身份号码）、phone（手机号、手机号码、联系电话）、targetGroups（重点群体、人员类别）、cohort（培训批次、批次）、以分为单位的 expectedMonthlySalaryFen 或以元为单位的 期望月薪（元）；导出文件的其他列会被忽略）',
    );
  });
});
