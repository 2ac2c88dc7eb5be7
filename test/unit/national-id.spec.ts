import {
  maskNationalId,
  nationalIdCheckCharacter,
  parseNationalId as parseNationalIdRaw,
} from '../../src/common/identifiers/national-id';
import { english, type English } from '../support/english';

/** The result with its texts in English, as the assertions below state them. */
const parseNationalId = (...args: Parameters<typeof parseNationalIdRaw>): English<ReturnType<typeof parseNationalIdRaw>> => english(parseNationalIdRaw(...args));

/** A fixed "today" so the tests do not change meaning as time passes. */
const TODAY = new Date(Date.UTC(2024, 5, 1, 4, 0, 0)); // 2024-06-01 12:00 in Beijing

function withCheckCharacter(first17: string): string {
  return first17 + nationalIdCheckCharacter(first17);
}

describe('national ID check character, worked by hand', () => {
  // Both examples are the ones printed in GB 11643-1999 itself (Beijing
  // Chaoyang and Guangdong Shantou).

  it('11010519491231002X: sum 167, 167 mod 11 = 2 → X', () => {
    // digits × weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
    const products = [
      1 * 7, 1 * 9, 0 * 10, 1 * 5, 0 * 8, 5 * 4, 1 * 2, 9 * 1, 4 * 6,
      9 * 3, 1 * 7, 2 * 9, 3 * 10, 1 * 5, 0 * 8, 0 * 4, 2 * 2,
    ];
    const sum = products.reduce((a, b) => a + b, 0);
    expect(sum).toBe(167);
    expect(sum % 11).toBe(2);
    expect('10X98765432'[2]).toBe('X');
    expect(nationalIdCheckCharacter('11010519491231002')).toBe('X');
  });

  it('440524188001010014: sum 195, 195 mod 11 = 8 → 4', () => {
    const products = [
      4 * 7, 4 * 9, 0 * 10, 5 * 5, 2 * 8, 4 * 4, 1 * 2, 8 * 1, 8 * 6,
      0 * 3, 0 * 7, 1 * 9, 0 * 10, 1 * 5, 0 * 8, 0 * 4, 1 * 2,
    ];
    const sum = products.reduce((a, b) => a + b, 0);
    expect(sum).toBe(195);
    expect(sum % 11).toBe(8);
    expect('10X98765432'[8]).toBe('4');
    expect(nationalIdCheckCharacter('44052418800101001')).toBe('4');
  });

  it('rejects malformed input loudly', () => {
    expect(() => nationalIdCheckCharacter('1101051949123100')).toThrow(RangeError);
    expect(() => nationalIdCheckCharacter('1101051949123100A')).toThrow(RangeError);
  });
});

describe('parseNationalId', () => {
  it('parses the standard example 11010519491231002X', () => {
    expect(parseNationalId('11010519491231002X', TODAY)).toEqual({
      ok: true,
      birthDate: '1949-12-31',
      gender: 'female',
      regionPrefix: '110105',
    });
  });

  it('rejects the standard example 440524188001010014 only for its 1880 birth year', () => {
    // Its check character is valid (see above); our 1900 floor is the sole reason.
    expect(parseNationalId('440524188001010014', TODAY)).toEqual({
      ok: false,
      reason: 'the birth date it holds is before 1900-01-01',
    });
  });

  it.each([
    ['31010419900307001', '1990-03-07', 'male', '310104'],
    ['44030020000229002', '2000-02-29', 'female', '440300'], // 2000 is a leap year
    ['65010219000101003', '1900-01-01', 'male', '650102'],
    ['82000020240601004', '2024-06-01', 'female', '820000'], // born today
    ['21010219840406970', '1984-04-06', 'female', '210102'], // 17th digit 0 is even
  ])('accepts generated %s + check character', (first17, birthDate, gender, regionPrefix) => {
    expect(parseNationalId(withCheckCharacter(first17), TODAY)).toEqual({
      ok: true,
      birthDate,
      gender,
      regionPrefix,
    });
  });

  it('reads gender from the 17th digit for every digit', () => {
    for (let digit = 0; digit <= 9; digit++) {
      const result = parseNationalId(withCheckCharacter(`3101041990030700${digit}`), TODAY);
      expect(result).toMatchObject({ ok: true, gender: digit % 2 === 1 ? 'male' : 'female' });
    }
  });

  it('uses the current date by default', () => {
    expect(parseNationalId('11010519491231002X')).toMatchObject({ ok: true });
  });

  describe('errors', () => {
    it.each([
      ['11010519491231002', 'must be 18 characters, got 17'],
      ['11010519491231002X1', 'must be 18 characters, got 19'],
      ['', 'must be 18 characters, got 0'],
      ['110105194912310', 'must be 18 characters, got 15'], // old 15-digit form
    ])('length: %j', (id, reason) => {
      expect(parseNationalId(id, TODAY)).toEqual({ ok: false, reason });
    });

    it('names the position of the first non-digit among the first 17 characters, never the character', () => {
      expect(parseNationalId('1101051949123100XX', TODAY)).toEqual({
        ok: false,
        reason: 'character 17 must be a digit',
      });
      expect(parseNationalId('11010519491231O02X', TODAY)).toEqual({
        ok: false,
        reason: 'character 15 must be a digit',
      });
    });

    it('rejects lower-case x rather than guessing', () => {
      expect(parseNationalId('11010519491231002x', TODAY)).toEqual({
        ok: false,
        reason: "check character must be upper-case 'X', not 'x'",
      });
    });

    it('rejects a last character that is neither digit nor X', () => {
      expect(parseNationalId('11010519491231002Y', TODAY)).toEqual({
        ok: false,
        reason: "last character must be a digit or 'X'",
      });
    });

    it('rejects a wrong check character without echoing any character of the number', () => {
      expect(parseNationalId('110105194912310025', TODAY)).toEqual({
        ok: false,
        reason: 'check character does not match (a digit was probably mistyped)',
      });
      const first17 = '31010419900307001';
      const right = nationalIdCheckCharacter(first17);
      const wrong = right === '0' ? '1' : '0';
      expect(parseNationalId(first17 + wrong, TODAY)).toEqual({
        ok: false,
        reason: 'check character does not match (a digit was probably mistyped)',
      });
    });

    it.each(['99', '00', '10', '24', '90'])('rejects region prefix %s', (prefix) => {
      expect(parseNationalId(withCheckCharacter(`${prefix}010519900307001`), TODAY)).toEqual({
        ok: false,
        reason: 'its first two digits are not a province-level region code',
      });
    });

    it.each([
      '19990230', // no 30 February
      '19000229', // 1900 is not a leap year (divisible by 100, not 400)
      '20230229', // 2023 is not a leap year
      '19900431', // April has 30 days
      '19901301', // no month 13
      '19900001', // no month 0
      '19900100', // no day 0
      '19900132',
    ])('rejects impossible birth date %s', (birth) => {
      expect(parseNationalId(withCheckCharacter(`310104${birth}001`), TODAY)).toEqual({
        ok: false,
        reason: 'the birth date it holds is not a real date',
      });
    });

    it('rejects birth dates before 1900-01-01', () => {
      expect(parseNationalId(withCheckCharacter('31010418991231001'), TODAY)).toEqual({
        ok: false,
        reason: 'the birth date it holds is before 1900-01-01',
      });
    });

    it('rejects birth dates after today', () => {
      expect(parseNationalId(withCheckCharacter('31010420240602001'), TODAY)).toEqual({
        ok: false,
        reason: 'the birth date it holds is in the future',
      });
    });

    it('judges "today" by the calendar in China, not the server', () => {
      const id = withCheckCharacter('31010420240602001');
      // 2024-06-01 16:30 UTC is already 2024-06-02 00:30 in Beijing.
      expect(parseNationalId(id, new Date(Date.UTC(2024, 5, 1, 16, 30)))).toMatchObject({
        ok: true,
        birthDate: '2024-06-02',
      });
      // 15:59 UTC is still 2024-06-01 23:59 in Beijing.
      expect(parseNationalId(id, new Date(Date.UTC(2024, 5, 1, 15, 59)))).toMatchObject({
        ok: false,
      });
    });

    it('refuses an invalid "today"', () => {
      expect(() => parseNationalId('11010519491231002X', new Date(Number.NaN))).toThrow(RangeError);
    });
  });
});

describe('maskNationalId', () => {
  it('keeps the first 6 and last 4 characters', () => {
    expect(maskNationalId('11010519491231002X')).toBe('110105********002X');
    expect(maskNationalId('440524188001010014')).toBe('440524********0014');
  });

  it('masks anything that is not 18 characters completely', () => {
    expect(maskNationalId('110105194912310')).toBe('*'.repeat(15));
    expect(maskNationalId('1234567890')).toBe('**********');
    expect(maskNationalId('')).toBe('');
  });
});
