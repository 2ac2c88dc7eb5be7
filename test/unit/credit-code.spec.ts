import {
  creditCodeCheckCharacter,
  validateCreditCode as validateCreditCodeRaw,
} from '../../src/common/identifiers/credit-code';
import { english, type English } from '../support/english';

/** The result with its texts in English, as the assertions below state them. */
const validateCreditCode = (...args: Parameters<typeof validateCreditCodeRaw>): English<ReturnType<typeof validateCreditCodeRaw>> => english(validateCreditCodeRaw(...args));

/**
 * Published examples. Holders are not asserted here (we only know the codes are
 * quoted publicly); what matters is that each one's check character was worked
 * out by hand below and agrees with both the code and our function.
 */
const PUBLISHED_VALID_CODES: ReadonlyArray<[code: string, source: string]> = [
  // The sample quoted in many open-source validators' docs and tests
  // (e.g. the @jhqn/utils `isUSCI` documentation); registered in Fuzhou (350100).
  ['91350100M000100Y43', 'validator documentation sample'],
  // Widely quoted as the code of Beijing Baidu Netcom Science and Technology
  // Co., Ltd.; organisation code 802100433.
  ['91110000802100433B', 'Baidu (Beijing), as quoted in public company data'],
  // dromara/hutool, hutool-core CreditCodeUtilTest.isCreditCode.
  ['91310110666007217T', 'hutool CreditCodeUtilTest'],
  // dromara/hutool, hutool-core CreditCodeUtilTest.isCreditCodeBySimple.
  ['91310115591693856A', 'hutool CreditCodeUtilTest'],
];

/** Written out independently of the implementation so a shared bug can't hide. */
const CHARSET_VALUE: Readonly<Record<string, number>> = {
  M: 21, // 0–9 are 0–9; A10 B11 C12 D13 E14 F15 G16 H17 J18 K19 L20 M21 …
  Y: 30, // … N22 P23 Q24 R25 T26 U27 W28 X29 Y30
};

describe('credit code check character, worked by hand', () => {
  it('91350100M000100Y43: sum 1640, 1640 mod 31 = 28, 31 - 28 = 3', () => {
    // Characters × weights [1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28]
    const products = [
      9 * 1, 1 * 3, 3 * 9, 5 * 27, 0 * 19, 1 * 26, 0 * 16, 0 * 17,
      CHARSET_VALUE.M * 20, 0 * 29, 0 * 25, 0 * 13, 1 * 8, 0 * 24, 0 * 10,
      CHARSET_VALUE.Y * 30, 4 * 28,
    ];
    const sum = products.reduce((a, b) => a + b, 0);
    expect(sum).toBe(1640);
    expect((31 - (sum % 31)) % 31).toBe(3);
    expect(creditCodeCheckCharacter('91350100M000100Y4')).toBe('3');
  });

  it('91110000802100433B: sum 485, 485 mod 31 = 20, 31 - 20 = 11 = B', () => {
    const products = [
      9 * 1, 1 * 3, 1 * 9, 1 * 27, 0 * 19, 0 * 26, 0 * 16, 0 * 17,
      8 * 20, 0 * 29, 2 * 25, 1 * 13, 0 * 8, 0 * 24, 4 * 10, 3 * 30, 3 * 28,
    ];
    const sum = products.reduce((a, b) => a + b, 0);
    expect(sum).toBe(485);
    expect((31 - (sum % 31)) % 31).toBe(11);
    expect(creditCodeCheckCharacter('91110000802100433')).toBe('B');
  });

  it('maps a remainder of 0 to check character 0, not 31', () => {
    // 91350100M000100Y3: the sum above minus 4×28 plus 3×28 = 1612 = 52 × 31.
    expect(1640 - 4 * 28 + 3 * 28).toBe(52 * 31);
    expect(creditCodeCheckCharacter('91350100M000100Y3')).toBe('0');
    expect(validateCreditCode('91350100M000100Y30')).toEqual({ ok: true });
  });

  it('rejects malformed input loudly', () => {
    expect(() => creditCodeCheckCharacter('9135010')).toThrow(RangeError);
    expect(() => creditCodeCheckCharacter('91350100I000100Y4')).toThrow(RangeError);
  });
});

describe('validateCreditCode', () => {
  it.each(PUBLISHED_VALID_CODES)('accepts %s (%s)', (code) => {
    expect(validateCreditCode(code)).toEqual({ ok: true });
  });

  it('accepts a code built with creditCodeCheckCharacter for every authority', () => {
    for (const authority of '123456789ANY') {
      const first17 = `${authority}1310104MA1FL0BW7`;
      expect(validateCreditCode(first17 + creditCodeCheckCharacter(first17))).toEqual({
        ok: true,
      });
    }
  });

  it('rejects the wrong length', () => {
    expect(validateCreditCode('91350100M000100Y4')).toEqual({
      ok: false,
      reason: 'must be 18 characters, got 17',
    });
    expect(validateCreditCode('91350100M000100Y433')).toEqual({
      ok: false,
      reason: 'must be 18 characters, got 19',
    });
    expect(validateCreditCode('')).toEqual({ ok: false, reason: 'must be 18 characters, got 0' });
  });

  it.each(['I', 'O', 'Z', 'S', 'V'])('rejects the forbidden letter %s', (letter) => {
    const code = `91350100${letter}000100Y43`;
    expect(validateCreditCode(code)).toEqual({
      ok: false,
      reason: `contains a character not allowed in a credit code: '${letter}'`,
    });
  });

  it('rejects lower case with a hint', () => {
    expect(validateCreditCode('91350100m000100y43')).toEqual({
      ok: false,
      reason: "contains a character not allowed in a credit code: 'm' (did you mean 'M'?)",
    });
  });

  it('rejects punctuation and whitespace', () => {
    expect(validateCreditCode('91350100M000100Y4-')).toMatchObject({ ok: false });
    expect(validateCreditCode(' 1350100M000100Y43')).toEqual({
      ok: false,
      reason: "contains a character not allowed in a credit code: ' '",
    });
  });

  it('counts an astral character as one character', () => {
    expect(validateCreditCode('91350100M000100Y4😀')).toEqual({
      ok: false,
      reason: "contains a character not allowed in a credit code: '😀'",
    });
  });

  it('rejects an unknown registration authority', () => {
    const first17 = 'B1350100M000100Y4';
    const code = first17 + creditCodeCheckCharacter(first17);
    expect(validateCreditCode(code)).toEqual({
      ok: false,
      reason: "registration authority code 'B' (first character) does not exist",
    });
    expect(validateCreditCode('01350100M000100Y43')).toMatchObject({ ok: false });
  });

  it('rejects letters in the administrative division code', () => {
    const first17 = '9135A100M000100Y4';
    const code = first17 + creditCodeCheckCharacter(first17);
    expect(validateCreditCode(code)).toEqual({
      ok: false,
      reason: "characters 3–8 must be the six-digit administrative division code, got '35A100'",
    });
  });

  it('rejects a wrong check character and names the right one', () => {
    expect(validateCreditCode('91350100M000100Y4X')).toEqual({
      ok: false,
      reason: "check character should be '3', not 'X'",
    });
  });

  it('catches any single substituted character in a published code', () => {
    // MOD 31-3 detects every single-character substitution; prove it on a real code.
    const code = '91350100M000100Y43';
    const charset = '0123456789ABCDEFGHJKLMNPQRTUWXY';
    for (let position = 0; position < code.length; position++) {
      for (const replacement of charset) {
        if (replacement === code[position]) continue;
        const mutated = code.slice(0, position) + replacement + code.slice(position + 1);
        expect(validateCreditCode(mutated).ok).toBe(false);
      }
    }
  });

  it('catches two adjacent characters swapped', () => {
    expect(validateCreditCode('91350100M000100Y34')).toMatchObject({ ok: false });
    expect(validateCreditCode('91110000802100343B')).toMatchObject({ ok: false });
  });
});
