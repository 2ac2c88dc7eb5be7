import type { Gender, OrganizationKind } from './client';
import { chance, pick, randomChars, randomInt } from './random';

/**
 * Random but valid identifiers and names. The service checks the check characters of credit codes and identity
 * numbers, so these follow the national standards exactly.
 */

/** Characters allowed in a credit code (the letters I, O, S, V and Z are never used). */
const CREDIT_CODE_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

/**
 * A Unified Social Credit Code (GB 32100-2015): registration authority, organisation type, the region of the
 * registering office, a GB 11714 organisation code and the check character. Bureaus are registered by the
 * establishment office ("11": 机构编制, 机关); firms by market regulation ("91": 工商, 企业), and those registered
 * since 2015 carry an organisation code beginning "MA".
 */
export function unifiedSocialCreditCode(kind: OrganizationKind, regionCode: string): string {
  const [prefix, body] =
    kind === 'bureau'
      ? ['11', randomChars('0123456789', 8)]
      : ['91', `MA${randomChars(CREDIT_CODE_CHARSET, 6)}`];
  const first17 = `${prefix}${regionCode}${body}${organizationCodeCheckCharacter(body)}`;
  return first17 + creditCodeCheckCharacter(first17);
}

/** GB 11714 check character of an eight-character organisation code body. */
function organizationCodeCheckCharacter(body: string): string {
  const weights = [3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...body].reduce((total, char, i) => total + parseInt(char, 36) * weights[i], 0);
  const check = 11 - (sum % 11);
  return check === 10 ? 'X' : check === 11 ? '0' : String(check);
}

/** GB 32100-2015 check character (GB/T 17710 MOD 31-3) of the first 17 characters of a credit code. */
function creditCodeCheckCharacter(first17: string): string {
  const weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]; // 3^i mod 31
  const sum = [...first17].reduce((total, char, i) => total + CREDIT_CODE_CHARSET.indexOf(char) * weights[i], 0);
  return CREDIT_CODE_CHARSET.charAt((31 - (sum % 31)) % 31);
}

/**
 * A resident identity number (GB 11643-1999): the address code of first registration, the birth date, a sequence
 * number whose last digit is odd for men and even for women, and the ISO 7064 MOD 11-2 check character.
 */
export function residentIdentityNumber(addressCode: string, birthDate: Date, gender: Gender): string {
  const yyyymmdd = birthDate.toISOString().slice(0, 10).replace(/-/g, '');
  const sequence = randomInt(0, 99) * 10 + (gender === 'male' ? pick([1, 3, 5, 7, 9]) : pick([0, 2, 4, 6, 8]));
  const first17 = `${addressCode}${yyyymmdd}${String(sequence).padStart(3, '0')}`;
  return first17 + nationalIdCheckCharacter(first17);
}

/** ISO 7064 MOD 11-2 check character of the first 17 digits of an identity number. */
function nationalIdCheckCharacter(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((total, digit, i) => total + Number(digit) * weights[i], 0);
  return '10X98765432'.charAt(sum % 11);
}

export function randomBirthDate(fromYear: number, toYear: number): Date {
  const from = Date.UTC(fromYear, 0, 1);
  const to = Date.UTC(toYear, 11, 31);
  return new Date(from + Math.floor(Math.random() * ((to - from) / 86_400_000 + 1)) * 86_400_000);
}

// The commonest surnames, roughly in order of frequency, so that 王, 李 and 张 come up most.
const SURNAMES = [...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤'];
const GIVEN_NAME_CHARACTERS: Record<Gender, string[]> = {
  male: [...'伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林晨博文轩睿泽天家志建国海峰子一'],
  female: [...'芳娜敏静丽艳娟霞秀玲英燕萍红雪琳晶婷慧颖倩欣怡佳雨思梦诗琪涵悦瑶月梓萱婉淑'],
};

export function chineseName(gender: Gender): string {
  const surname = SURNAMES[Math.floor(Math.random() ** 1.6 * SURNAMES.length)];
  const givenLength = chance(0.35) ? 1 : 2;
  return surname + Array.from({ length: givenLength }, () => pick(GIVEN_NAME_CHARACTERS[gender])).join('');
}

const MOBILE_PREFIXES = ['130', '131', '132', '133', '135', '136', '137', '138', '139', '150', '151', '152', '155', '157', '158', '159', '166', '177', '180', '181', '182', '183', '185', '186', '187', '188', '189', '198', '199'];

export function mobileNumber(): string {
  return pick(MOBILE_PREFIXES) + randomChars('0123456789', 8);
}
