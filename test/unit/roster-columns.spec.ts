import { render } from '../../src/common/i18n/message';
import {
  ACCEPTED_HEADERS,
  EXPORT_COLUMNS,
  fenToYuan,
  formatTargetGroups,
  normaliseHeader,
  normaliseIdentityCell,
  planRosterHeader,
  resolveHeader,
  rosterColumn,
  rosterHeader,
  rosterRowFields,
  ROSTER_COLUMNS,
  parseTargetGroups,
  yuanToFen,
  type RosterHeader,
} from '../../src/trainees/import/roster-columns';
import { parseRegistration } from '../../src/trainees/registration';

const ID = '11010519491231002X';

function headerOf(cells: string[]): RosterHeader {
  const plan = planRosterHeader(cells);
  if (!plan.ok) throw new Error(plan.problems.map((p) => render(p, 'en')).join('; '));
  return plan.header;
}

function problemsOf(cells: string[]): string {
  const plan = planRosterHeader(cells);
  if (plan.ok) throw new Error('expected the header to be refused');
  return plan.problems.map((p) => render(p, 'en')).join('; ');
}

function fieldsOf(cells: string[], row: (string | undefined)[]): Record<string, unknown> {
  const r = rosterRowFields(headerOf(cells), row);
  if (!r.ok) throw new Error(render(r.message, 'en'));
  return r.fields;
}

describe('roster columns', () => {
  it('names every Chinese alias API.md lists', () => {
    const expected: Array<[string, string]> = [
      ['姓名', 'fullName'],
      ['身份证号', 'nationalId'],
      ['身份证号码', 'nationalId'],
      ['公民身份号码', 'nationalId'],
      ['手机号', 'phone'],
      ['手机号码', 'phone'],
      ['联系电话', 'phone'],
      ['重点群体', 'targetGroups'],
      ['人员类别', 'targetGroups'],
      ['培训批次', 'cohort'],
      ['批次', 'cohort'],
      ['期望月薪（元）', 'expectedMonthlySalaryFen'],
      ['期望月薪(元)', 'expectedMonthlySalaryFen'],
    ];
    for (const [header, field] of expected) expect([header, resolveHeader(header)?.field]).toEqual([header, field]);
    expect(resolveHeader('期望月薪(元)')?.unit).toBe('yuan');
    expect(resolveHeader('expectedMonthlySalaryFen')?.unit).toBe('fen');
  });

  it('normalises headers: trimmed, full- and half-width alike', () => {
    expect(normaliseHeader('  期望月薪（元） ')).toBe('期望月薪(元)');
    expect(normaliseHeader('期望月薪 ( 元 )')).toBe('期望月薪(元)');
    expect(resolveHeader(' ｎａｔｉｏｎａｌＩｄ ')?.name).toBe('nationalId');
    expect(resolveHeader('身份证号（脱敏）')?.role).toBe('masked');
  });

  it('gives every export column an English and a Chinese header that import back', () => {
    for (const name of EXPORT_COLUMNS) {
      expect(resolveHeader(rosterHeader(name, 'en'))?.name).toBe(name);
      expect(resolveHeader(rosterHeader(name, 'zh'))?.name).toBe(name);
      expect(rosterHeader(name, 'zh')).toMatch(/\p{Script=Han}/u);
    }
    const zhHeader = headerOf(EXPORT_COLUMNS.map((c) => rosterHeader(c, 'zh')));
    expect([...zhHeader.fields].sort()).toEqual(['cohort', 'expectedMonthlySalaryFen', 'fullName', 'nationalId', 'phone', 'targetGroups']);
    headerOf([...EXPORT_COLUMNS]);
  });

  it('has no Chinese or English name twice', () => {
    const names = ROSTER_COLUMNS.flatMap((c) => [c.name, ...c.zhAliases]).map(normaliseHeader);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(ACCEPTED_HEADERS).size).toBe(ACCEPTED_HEADERS.length);
    expect(ROSTER_COLUMNS.every((c) => c.zh === c.zhAliases[0])).toBe(true);
  });

  it('ignores export-only columns and reads masked ones only when filled in', () => {
    const exportHeader = EXPORT_COLUMNS.map((c) => rosterHeader(c, 'zh'));
    const exported = ['0190…', '张伟', '110105********002X', '女', '1949-12-31', '138****1234', '高校毕业生、退役军人', '2024春', '800000', '已登记', '2024-06-01T00:00:00Z'];
    const stillMasked = rosterRowFields(headerOf(exportHeader), exported);
    expect(stillMasked.ok).toBe(false);
    if (!stillMasked.ok) {
      expect([stillMasked.field, stillMasked.code]).toEqual(['nationalId', 'INVALID_NATIONAL_ID']);
      expect(render(stillMasked.message, 'en')).toMatch(/fill in the full number/);
    }
    const filled = [...exported];
    filled[2] = ID;
    expect(fieldsOf(exportHeader, filled)).toEqual({ fullName: '张伟', nationalId: ID, targetGroups: ['graduate', 'veteran'], cohort: '2024春', expectedMonthlySalaryFen: '800000' });
    filled[5] = '13812341234';
    expect(fieldsOf(exportHeader, filled).phone).toBe('13812341234');
    // A full column beside the masked one wins, whichever comes first.
    expect(fieldsOf(['身份证号（脱敏）', '身份证号', '姓名'], ['110105********002X', ID, '张伟']).nationalId).toBe(ID);
    expect(fieldsOf(['身份证号', '身份证号（脱敏）', '姓名'], [ID, '110105194912310021', '张伟']).nationalId).toBe(ID);
  });

  it('refuses headers that are missing, duplicated, unknown or empty', () => {
    expect(problemsOf(['姓名'])).toMatch(/missing required column nationalId \(身份证号\)/);
    expect(problemsOf(['姓名', '身份证号', '公民身份号码'])).toMatch(/appears more than once/);
    expect(problemsOf(['姓名', '身份证号', '期望月薪（元）', 'expectedMonthlySalaryFen'])).toMatch(/appears more than once/);
    expect(problemsOf(['姓名', '身份证号', '籍贯'])).toMatch(/unknown column: column 3 \(not a column name the importer knows\)/);
    expect(problemsOf(['张三', '身份证号'])).not.toContain('张三');
    expect(problemsOf(['张伟', ID])).toMatch(/column 2 \(its heading is not a field name/);
    expect(problemsOf(['张伟', ID])).not.toContain(ID);
    expect(problemsOf(['fullname', 'nationalId'])).toMatch(/did you mean "fullName"/);
    expect(problemsOf(['姓名', '', '身份证号'])).toMatch(/column 2 has no name/);
  });

  it('normalises identity numbers and phones, trims cells, reads yuan as fen', () => {
    const fields = fieldsOf(['姓名', '身份证号码', '联系电话', '期望月薪(元)', '人员类别'], [' 张伟 ', '１１０１０５１９４９１２３１００２ｘ', '１３８１２３４１２３４', '8,500.5', '农民工；失业人员']);
    expect(fields).toEqual({ fullName: '张伟', nationalId: ID, phone: '13812341234', expectedMonthlySalaryFen: 850050, targetGroups: ['rural_migrant', 'unemployed'] });
    const parsed = parseRegistration(fields);
    expect(parsed.ok).toBe(true);
    const bad = rosterRowFields(headerOf(['姓名', '身份证号', '期望月薪（元）']), ['张伟', ID, '8500.555']);
    expect(bad.ok ? null : [bad.field, bad.code]).toEqual(['expectedMonthlySalaryFen', 'INVALID_AMOUNT']);
    const groups = rosterRowFields(headerOf(['姓名', '身份证号', '重点群体']), ['张伟', ID, '大学生']);
    expect(groups.ok ? null : [groups.field, groups.code]).toEqual(['targetGroups', 'INVALID_TARGET_GROUP']);
    expect(fieldsOf(['fullName', 'nationalId'], ['张伟', undefined])).toEqual({ fullName: '张伟' });
  });

  it('parses target groups in either language with every separator', () => {
    expect(parseTargetGroups('graduate;veteran')).toEqual(['graduate', 'veteran']);
    expect(parseTargetGroups('高校毕业生；退役军人、农民工,失业人员，残疾人')).toEqual(['graduate', 'veteran', 'rural_migrant', 'unemployed', 'disabled']);
    expect(parseTargetGroups(' ; ')).toEqual([]);
    expect(parseTargetGroups('graduate;学生')).toBeNull();
    expect(formatTargetGroups(['graduate', 'veteran'], 'zh')).toBe('高校毕业生、退役军人');
    expect(formatTargetGroups(['graduate', 'veteran'], 'en')).toBe('graduate;veteran');
    expect(parseTargetGroups(formatTargetGroups(['disabled', 'veteran'], 'zh'))).toEqual(['disabled', 'veteran']);
  });

  it('reads yuan with up to 2 decimals and thousands separators', () => {
    expect(yuanToFen('8500')).toBe(850000);
    expect(yuanToFen('8,500.50')).toBe(850050);
    expect(yuanToFen('1,234,567.8')).toBe(123456780);
    expect(yuanToFen('￥12,000')).toBe(1200000);
    expect(yuanToFen('８５００')).toBe(850000);
    for (const bad of ['', '8.505', '85,00', '1,2345', '-5', '1e3', 'abc', '8 500', '1234567890123']) expect([bad, yuanToFen(bad)]).toEqual([bad, null]);
    expect(fenToYuan(850050)).toBe('8500.50');
    expect(yuanToFen(fenToYuan(123))).toBe(123);
  });

  it('normalises identity cells', () => {
    expect(normaliseIdentityCell(' 110105 1949 1231 002x ')).toBe(ID);
    expect(normaliseIdentityCell('138-1234-1234')).toBe('13812341234');
    expect(rosterColumn('phoneMasked').zh).toBe('手机号（脱敏）');
  });
});
