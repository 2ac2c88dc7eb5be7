/**
 * Administrative division codes (行政区划代码, GB/T 2260).
 *
 * A code is six digits: province (2) + prefecture-level city (2) + county-level
 * district (2). A pair of `00` means "this level and everything below it", which
 * is what makes a code usable as a jurisdiction.
 *
 * We only check the shape and that the province exists. Checking the full code
 * against the published table would reject codes that were valid when a record
 * was created but have since been abolished or renumbered (this happens every
 * year), so that belongs in a data-backed lookup, not here.
 */
import { msg, type Message } from '../i18n/message';

export type RegionLevel = 'national' | 'province' | 'city' | 'district';

export type RegionCodeValidation =
  | { ok: true; level: RegionLevel }
  | { ok: false; reason: Message };

/**
 * `100000` is not in GB/T 2260 itself, but it is the conventional code for the
 * whole country (中华人民共和国) used by national-level registries and by the
 * credit code's registration-authority field, so we accept it as the top level.
 */
export const NATIONAL_REGION_CODE = '100000';

/**
 * Province-level codes: 31 provinces, autonomous regions and municipalities,
 * plus Taiwan (71), Hong Kong (81) and Macao (82). Listed explicitly because
 * the numbering has gaps (e.g. 24–30, 38–40) that a range check would let in.
 */
const PROVINCE_LEVEL_PREFIXES: ReadonlySet<string> = new Set([
  '11', '12', '13', '14', '15',
  '21', '22', '23',
  '31', '32', '33', '34', '35', '36', '37',
  '41', '42', '43', '44', '45', '46',
  '50', '51', '52', '53', '54',
  '61', '62', '63', '64', '65',
  '71',
  '81', '82',
]);

const SIX_ASCII_DIGITS = /^[0-9]{6}$/;

/** True when `prefix` is the two-digit code of a real province-level division. */
export function isProvinceLevelPrefix(prefix: string): boolean {
  return PROVINCE_LEVEL_PREFIXES.has(prefix);
}

export function validateRegionCode(code: string): RegionCodeValidation {
  if (!SIX_ASCII_DIGITS.test(code)) {
    return { ok: false, reason: msg('id.regionSixDigits', { code: code.slice(0, 20) }) };
  }
  if (code === NATIONAL_REGION_CODE) {
    return { ok: true, level: 'national' };
  }

  const province = code.slice(0, 2);
  const city = code.slice(2, 4);
  const district = code.slice(4, 6);

  if (!isProvinceLevelPrefix(province)) {
    return { ok: false, reason: msg('id.province', { province }) };
  }
  if (city === '00') {
    if (district === '00') return { ok: true, level: 'province' };
    // A district must sit under some city-level unit (for municipalities that is
    // the `01` "市辖区" unit), so `XX00YY` cannot name anything.
    return {
      ok: false,
      reason: msg('id.regionNoCity', { code }),
    };
  }
  if (district === '00') return { ok: true, level: 'city' };
  return { ok: true, level: 'district' };
}

/** The level of a valid code, or `undefined` when the code is not valid. */
export function regionLevel(code: string): RegionLevel | undefined {
  const result = validateRegionCode(code);
  return result.ok ? result.level : undefined;
}

/**
 * Whether an authority whose jurisdiction is `jurisdiction` may act on
 * something located in `region`. A code covers itself and every code below it.
 * Invalid codes cover nothing and are covered by nothing, so a malformed value
 * can never widen anyone's access.
 */
export function regionCovers(jurisdiction: string, region: string): boolean {
  const jurisdictionLevel = regionLevel(jurisdiction);
  if (jurisdictionLevel === undefined || regionLevel(region) === undefined) {
    return false;
  }
  switch (jurisdictionLevel) {
    case 'national':
      return true;
    case 'province':
      return region.slice(0, 2) === jurisdiction.slice(0, 2);
    case 'city':
      return region.slice(0, 4) === jurisdiction.slice(0, 4);
    case 'district':
      return region === jurisdiction;
  }
}

/**
 * The prefix shared by every code a region covers: '' for the nation, `XX` for a province, `XXXX` for a city,
 * the whole code for a district. Assumes a valid code.
 */
export function coverPrefix(regionCode: string): string {
  if (regionCode === NATIONAL_REGION_CODE) return '';
  if (regionCode.endsWith('0000')) return regionCode.slice(0, 2);
  if (regionCode.endsWith('00')) return regionCode.slice(0, 4);
  return regionCode;
}

/** The inclusive range of six-digit codes a prefix stands for (`3101` → 310100–310199): a plain btree index serves it. */
export function prefixRange(prefix: string): [string, string] {
  return [prefix.padEnd(6, '0'), prefix.padEnd(6, '9')];
}

/** The region a cover prefix stands for, the inverse of coverPrefix: '' → the nation, `XX` → `XX0000`, `XXYY` → `XXYY00`. */
export function prefixRegion(prefix: string): string {
  return prefix === '' ? NATIONAL_REGION_CODE : prefix.padEnd(6, '0');
}

/** How long the prefix a code shares with each level is: the nation, the province, the city, the code itself. */
const LEVEL_PREFIX_LENGTHS = [0, 2, 4, 6] as const;

/**
 * Every region whose served set (prefixRange(coverPrefix(region))) holds `code`, nation first, without repeats:
 * the regions whose figures something registered at `code` counts in. Any six-digit code, valid or not — the same
 * range a region's figures select by.
 */
export function regionsHolding(code: string): string[] {
  return [...new Set(LEVEL_PREFIX_LENGTHS.map((n) => prefixRegion(code.slice(0, n))))];
}

/** regionsHolding as SQL over a text expression (a text[]): the region tallies add a brand's cells to these rows. */
export function regionsHoldingSql(code: string): string {
  const regions = LEVEL_PREFIX_LENGTHS.map((n) => (n === 0 ? `'${NATIONAL_REGION_CODE}'` : `rpad(left(${code}, ${n}), 6, '0')`));
  return `ARRAY(SELECT DISTINCT r FROM unnest(ARRAY[${regions.join(', ')}]::text[]) r)`;
}
