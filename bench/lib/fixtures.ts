/** Realistic, valid inputs: organizations and brands through the API, identity numbers and CSV rows. */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { creditCodeCheckCharacter } from '../../src/common/identifiers/credit-code';
import { nationalIdCheckCharacter } from '../../src/common/identifiers/national-id';
import type { HttpClient } from './http';
import { seededRandom } from '../../test/support/random';

const CREDIT_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
let creditCounter = 0;

/** A valid, unique (per process) Unified Social Credit Code registered in `regionCode`. */
export function creditCode(regionCode: string): string {
  creditCounter++;
  const serial = `${process.pid % 1000}${String(creditCounter).padStart(6, '0')}`.slice(-9).padStart(9, '0');
  let body = '';
  for (const ch of serial) body += CREDIT_CHARSET[Number(ch)];
  const first17 = `91${regionCode}${body}`;
  return first17 + creditCodeCheckCharacter(first17);
}

export interface Org {
  id: string;
  key: string;
}

export async function createOrg(http: HttpClient, platformKey: string, kind: 'hr_firm' | 'bureau' | 'employer', regionCode: string, name: string): Promise<Org> {
  const body = await http.expect(201, 'POST', '/v1/organizations', { key: platformKey, json: { kind, name, creditCode: creditCode(regionCode), regionCode } });
  return { id: body.organization.id, key: body.apiKey.secret };
}

export interface Parties {
  hrFirm: Org;
  bureau: Org;
  employer: Org;
}

/** An HR firm and the district bureau of Xuhui, and an employer. */
export async function createParties(http: HttpClient, platformKey: string): Promise<Parties> {
  return {
    hrFirm: await createOrg(http, platformKey, 'hr_firm', '310104', '徐汇人力资源有限公司'),
    bureau: await createOrg(http, platformKey, 'bureau', '310104', '徐汇区人力资源和社会保障局'),
    employer: await createOrg(http, platformKey, 'employer', '310104', '上海某科技有限公司'),
  };
}

export async function createBrand(http: HttpClient, parties: Parties, name: string, certify: boolean): Promise<string> {
  const brand = await http.expect(201, 'POST', '/v1/brands', {
    key: parties.hrFirm.key,
    json: { name, occupationCode: '4-04-05-05', occupationName: '人工智能训练师', sector: '信息技术', regionCode: '310104' },
  });
  if (certify) {
    await http.expect(200, 'POST', `/v1/brands/${brand.id}/submit`, { key: parties.hrFirm.key });
    const validUntil = new Date(Date.now() + 2 * 365 * 86_400_000).toISOString().slice(0, 10);
    await http.expect(200, 'POST', `/v1/brands/${brand.id}/certify`, { key: parties.bureau.key, json: { level: 'district', validUntil } });
  }
  return brand.id as string;
}

// ------------------------------------------------------------------------------------------- trainee rows

/** Address codes of real districts (their province part is what the service validates). */
const ADDRESS_CODES = ['110105', '310104', '440305', '510107', '210102', '420106', '330106', '370102'];
const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英文华建国志红玉兰春梅海燕晓东雪梅婷宇浩然子涵欣怡梓轩一诺';
const GROUPS = ['graduate', 'veteran', 'rural_migrant', 'unemployed', 'disabled'];


/**
 * The i-th of a family of unique, valid identity numbers: birth dates 1970-01-01 + (i mod 12,000) days, the
 * sequence code from i / 12,000, the address code from i / 12,000,000 (unique for i below 96 million).
 */
export function nationalId(i: number): string {
  const birth = new Date(Date.UTC(1970, 0, 1) + (i % 12_000) * 86_400_000);
  const ymd = birth.toISOString().slice(0, 10).replace(/-/g, '');
  const seq = String(Math.floor(i / 12_000) % 1000).padStart(3, '0');
  const address = ADDRESS_CODES[Math.floor(i / 12_000_000) % ADDRESS_CODES.length];
  const first17 = `${address}${ymd}${seq}`;
  return first17 + nationalIdCheckCharacter(first17);
}

export const CSV_HEADER = 'fullName,nationalId,phone,targetGroups,cohort,expectedMonthlySalaryFen';

/** Writes a CSV of `rows` valid trainees (every column of the register body) and answers its size in bytes. */
export async function writeTraineeCsv(file: string, rows: number, seed = 20251118): Promise<number> {
  const random = seededRandom(seed); // deterministic: every run imports the same file
  const out = createWriteStream(file);
  let bytes = 0;
  let chunk = `${CSV_HEADER}\n`;
  for (let i = 0; i < rows; i++) {
    const name = SURNAMES[Math.floor(random() * SURNAMES.length)] + GIVEN[Math.floor(random() * GIVEN.length)] + (random() < 0.6 ? GIVEN[Math.floor(random() * GIVEN.length)] : '');
    const phone = `1${3 + Math.floor(random() * 7)}${String(Math.floor(random() * 1e9)).padStart(9, '0')}`;
    const groupCount = random() < 0.5 ? 0 : random() < 0.8 ? 1 : 2;
    const groups = [...GROUPS].sort(() => random() - 0.5).slice(0, groupCount).join(';');
    const cohort = `2025${random() < 0.5 ? '春季' : '秋季'}班`;
    // Expected monthly salary: CNY 4,000 to 16,000, in whole yuan.
    const salary = (4000 + Math.floor(random() * 12_000)) * 100;
    chunk += `${name},${nationalId(i)},${phone},${groups},${cohort},${salary}\n`;
    if (chunk.length > 1 << 16) {
      bytes += Buffer.byteLength(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  bytes += Buffer.byteLength(chunk);
  out.end(chunk);
  await once(out, 'finish');
  return bytes;
}
