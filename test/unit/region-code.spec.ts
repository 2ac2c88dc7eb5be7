import {
  NATIONAL_REGION_CODE,
  isProvinceLevelPrefix,
  regionCovers,
  regionLevel,
  validateRegionCode as validateRegionCodeRaw,
} from '../../src/common/identifiers/region-code';
import { english, type English } from '../support/english';

/** The result with its texts in English, as the assertions below state them. */
const validateRegionCode = (...args: Parameters<typeof validateRegionCodeRaw>): English<ReturnType<typeof validateRegionCodeRaw>> => english(validateRegionCodeRaw(...args));

describe('validateRegionCode', () => {
  it.each([
    ['100000', 'national', 'the whole country'],
    ['110000', 'province', 'Beijing'],
    ['310000', 'province', 'Shanghai'],
    ['210100', 'city', 'Shenyang'],
    ['440300', 'city', 'Shenzhen'],
    ['310104', 'district', 'Xuhui District, Shanghai'],
    ['310110', 'district', 'Yangpu District, Shanghai'],
    ['210102', 'district', 'Heping District, Shenyang'],
    ['810000', 'province', 'Hong Kong'],
    ['710000', 'province', 'Taiwan'],
  ])('%s is %s level (%s)', (code, level) => {
    expect(validateRegionCode(code)).toEqual({ ok: true, level });
    expect(regionLevel(code)).toBe(level);
  });

  it.each([
    ['990000', 'region prefix 99 is not a province-level code'],
    ['000000', 'region prefix 00 is not a province-level code'],
    ['240000', 'region prefix 24 is not a province-level code'],
    ['310004', 'region code 310004 has a district part but no city part'],
    ['31010', "region code must be exactly six digits, got '31010'"],
    ['3101044', "region code must be exactly six digits, got '3101044'"],
    ['abcdef', "region code must be exactly six digits, got 'abcdef'"],
    ['', "region code must be exactly six digits, got ''"],
    [' 31010', "region code must be exactly six digits, got ' 31010'"],
    // Full-width digits look right on screen but are not ASCII.
    ['３１０１０４', "region code must be exactly six digits, got '３１０１０４'"],
  ])('rejects %j', (code, reason) => {
    expect(validateRegionCode(code)).toEqual({ ok: false, reason });
    expect(regionLevel(code)).toBeUndefined();
  });

  it('accepts every province-level prefix and nothing else', () => {
    const expected = [
      '11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36',
      '37', '41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62',
      '63', '64', '65', '71', '81', '82',
    ];
    const accepted: string[] = [];
    for (let n = 0; n < 100; n++) {
      const prefix = String(n).padStart(2, '0');
      if (isProvinceLevelPrefix(prefix)) accepted.push(prefix);
    }
    expect(accepted).toEqual(expected);
    expect(NATIONAL_REGION_CODE).toBe('100000');
    expect(isProvinceLevelPrefix('10')).toBe(false);
  });
});

describe('regionCovers', () => {
  const ALL = ['100000', '110000', '310000', '310100', '310104', '310110', '210100', '210102', '440300'];

  it.each([
    // [jurisdiction, region, covers]
    ['310000', '310104', true],
    ['310000', '310100', true],
    ['310000', '310000', true],
    ['310100', '310104', true],
    ['310100', '310110', true],
    ['310100', '310100', true],
    ['310100', '310000', false],
    ['310104', '310104', true],
    ['310104', '310110', false],
    ['310104', '310100', false],
    ['310104', '310000', false],
    ['210100', '310104', false],
    ['210100', '210102', true],
    ['110000', '310104', false],
    ['440300', '440000', false],
    ['310000', '100000', false],
  ])('%s covers %s: %s', (jurisdiction, region, covers) => {
    expect(regionCovers(jurisdiction, region)).toBe(covers);
  });

  it.each(ALL)('the national level covers %s', (region) => {
    expect(regionCovers('100000', region)).toBe(true);
  });

  it('a district covers only itself', () => {
    for (const region of ALL) {
      expect(regionCovers('310104', region)).toBe(region === '310104');
    }
  });

  it('invalid codes never grant coverage', () => {
    expect(regionCovers('990000', '990101')).toBe(false);
    expect(regionCovers('310000', '310004')).toBe(false);
    expect(regionCovers('310004', '310004')).toBe(false);
    expect(regionCovers('100000', 'abcdef')).toBe(false);
    expect(regionCovers('', '310104')).toBe(false);
    expect(regionCovers('31', '310104')).toBe(false);
  });
});
