import { BRAND_STATUSES } from '../../src/brands/brand.rules';
import {
  canBeCertified,
  checkIssue as checkIssueRaw,
  checkRevoke as checkRevokeRaw,
  CROCKFORD_ALPHABET,
  generateSerial,
  isAcceptableValidUntil,
  isCertificationLevel,
  isCertificationValid,
  parseSerial,
  SERIAL_PATTERN,
  serialCheckSymbol,
} from '../../src/certifications/certification.rules';
import { TRAINEE_STATUSES } from '../../src/trainees/trainee.rules';
import { english, type English } from '../support/english';

/** The result with its texts in English, as the assertions below state them. */
const checkRevoke = (...args: Parameters<typeof checkRevokeRaw>): English<ReturnType<typeof checkRevokeRaw>> => english(checkRevokeRaw(...args));

/** The result with its texts in English, as the assertions below state them. */
const checkIssue = (...args: Parameters<typeof checkIssueRaw>): English<ReturnType<typeof checkIssueRaw>> => english(checkIssueRaw(...args));

const TODAY = '2026-11-27';
const certified = { status: 'certified' as const, validUntil: '2027-12-31' };
const trainee = { status: 'training' as const, erased: false };

describe('issuing a certificate', () => {
  it('the operator and a covering bureau may issue under a certified brand', () => {
    expect(checkIssue({ by: 'operator', brand: certified, trainee, today: TODAY })).toEqual({ ok: true });
    expect(checkIssue({ by: 'bureau', brand: certified, trainee, today: TODAY })).toEqual({ ok: true });
  });

  it('anyone else is refused with FORBIDDEN, before the brand or the trainee is judged', () => {
    const result = checkIssue({ by: 'other', brand: { status: 'draft', validUntil: null }, trainee: { status: 'withdrawn', erased: true }, today: TODAY });
    expect(result).toEqual({ ok: false, code: 'FORBIDDEN', reason: expect.stringContaining('operator') });
  });

  it('only a certified brand within its validity issues: BRAND_NOT_CERTIFIED otherwise', () => {
    for (const status of BRAND_STATUSES) {
      const result = checkIssue({ by: 'operator', brand: { status, validUntil: '2027-12-31' }, trainee, today: TODAY });
      if (status === 'certified') expect(result.ok).toBe(true);
      else expect(result).toMatchObject({ ok: false, code: 'BRAND_NOT_CERTIFIED' });
    }
    // Certified on paper but past validUntil: expired, even before the scheduled job records it.
    expect(checkIssue({ by: 'bureau', brand: { status: 'certified', validUntil: '2026-11-26' }, trainee, today: TODAY })).toMatchObject({ ok: false, code: 'BRAND_NOT_CERTIFIED' });
    expect(checkIssue({ by: 'bureau', brand: { status: 'certified', validUntil: TODAY }, trainee, today: TODAY }).ok).toBe(true);
  });

  it('withdrawn and erased trainees cannot be certified (INVALID_TRANSITION); every other status can', () => {
    for (const status of TRAINEE_STATUSES) {
      expect(canBeCertified(status, false)).toBe(status !== 'withdrawn');
      expect(canBeCertified(status, true)).toBe(false);
    }
    expect(checkIssue({ by: 'operator', brand: certified, trainee: { status: 'withdrawn', erased: false }, today: TODAY })).toEqual({
      ok: false,
      code: 'INVALID_TRANSITION',
      reason: expect.stringContaining('withdrawn'),
    });
    expect(checkIssue({ by: 'operator', brand: certified, trainee: { status: 'completed', erased: true }, today: TODAY })).toMatchObject({
      code: 'INVALID_TRANSITION',
      reason: expect.stringContaining('erased'),
    });
    expect(checkIssue({ by: 'operator', brand: certified, trainee: { status: 'placed', erased: false }, today: TODAY }).ok).toBe(true);
  });

  it('levels are the integers 1 to 5', () => {
    for (const level of [1, 2, 3, 4, 5]) expect(isCertificationLevel(level)).toBe(true);
    for (const level of [0, 6, -1, 1.5, '1', null, undefined, NaN, true]) expect(isCertificationLevel(level)).toBe(false);
  });

  it('validUntil is optional, else a real date after today in China', () => {
    expect(isAcceptableValidUntil(undefined, TODAY)).toBe(true);
    expect(isAcceptableValidUntil(null, TODAY)).toBe(true);
    expect(isAcceptableValidUntil('2026-11-28', TODAY)).toBe(true);
    for (const bad of [TODAY, '2026-11-26', '2027-02-30', '2027-13-01', '2027-1-01', '20271201', 'tomorrow', '']) {
      expect(isAcceptableValidUntil(bad, TODAY)).toBe(false);
    }
  });
});

describe('revoking a certificate', () => {
  it('active → revoked, by the issuer or a covering bureau', () => {
    expect(checkRevoke({ by: 'issuer', status: 'active' })).toEqual({ ok: true });
    expect(checkRevoke({ by: 'bureau', status: 'active' })).toEqual({ ok: true });
  });

  it('revoked is final: INVALID_TRANSITION', () => {
    expect(checkRevoke({ by: 'issuer', status: 'revoked' })).toMatchObject({ ok: false, code: 'INVALID_TRANSITION', reason: expect.stringContaining('revoked') });
  });

  it('anyone else: FORBIDDEN, whatever the status', () => {
    expect(checkRevoke({ by: 'other', status: 'active' })).toMatchObject({ ok: false, code: 'FORBIDDEN' });
    expect(checkRevoke({ by: 'other', status: 'revoked' })).toMatchObject({ ok: false, code: 'FORBIDDEN' });
  });
});

describe('validity', () => {
  it('an active certificate is valid through the end of its validUntil day in China (UTC+8)', () => {
    expect(isCertificationValid('active', null, new Date('2099-01-01T00:00:00Z'))).toBe(true);
    expect(isCertificationValid('active', '2026-11-27', new Date('2026-11-27T15:59:59.000Z'))).toBe(true);
    expect(isCertificationValid('active', '2026-11-27', new Date('2026-11-27T16:00:00.000Z'))).toBe(false);
  });

  it('a revoked certificate is never valid', () => {
    expect(isCertificationValid('revoked', null, new Date('2026-01-01T00:00:00Z'))).toBe(false);
    expect(isCertificationValid('revoked', '2099-12-31', new Date('2026-01-01T00:00:00Z'))).toBe(false);
  });
});

describe('serials', () => {
  it('look like LB-XXXX-XXXX-XXXX-XXXC and are random', () => {
    const serials = new Set(Array.from({ length: 2000 }, () => generateSerial()));
    expect(serials.size).toBe(2000);
    for (const s of serials) {
      expect(s).toMatch(SERIAL_PATTERN);
      expect(parseSerial(s)).toEqual({ ok: true, serial: s });
    }
  });

  it('use every symbol of the alphabet, uniformly enough', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) for (const c of generateSerial().slice(3).replace(/-/g, '').slice(0, 15)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(32);
    // 60,000 symbols over 32: about 1,875 each.
    for (const n of counts.values()) expect(n).toBeGreaterThan(1500);
  });

  it('the check symbol is Luhn mod 32 (known answer) and catches every single-symbol typo', () => {
    // Luhn mod N on "1" (value 1, doubled to 2): check (32 - 2) mod 32 = 30 = 'Y'; on "0": 0.
    expect(serialCheckSymbol('1')).toBe('Y');
    expect(serialCheckSymbol('0')).toBe('0');
    const serial = generateSerial(() => Buffer.from(Array.from({ length: 15 }, (_, i) => i * 7)));
    // Symbols 0,7,14,… (low 5 bits of i × 7); the check symbol computed independently: P.
    expect(serial).toBe('LB-07EN-W3AH-RZ6D-MV2P');
    const compact = serial.replace(/^LB-/, '').replace(/-/g, '');
    for (let i = 0; i < compact.length; i++) {
      for (const c of CROCKFORD_ALPHABET) {
        if (c === compact[i]) continue;
        const typo = compact.slice(0, i) + c + compact.slice(i + 1);
        expect(parseSerial(`LB${typo}`)).toEqual({ ok: false, reason: 'CHECK_SYMBOL' });
      }
    }
  });

  it('catches swaps of adjacent symbols (all but 0↔Z)', () => {
    let caught = 0;
    let tried = 0;
    for (let k = 0; k < 200; k++) {
      const compact = generateSerial().slice(3).replace(/-/g, '');
      for (let i = 0; i + 1 < compact.length; i++) {
        const [a, b] = [compact[i], compact[i + 1]];
        if (a === b || (a === '0' && b === 'Z') || (a === 'Z' && b === '0')) continue;
        tried++;
        const swapped = compact.slice(0, i) + b + a + compact.slice(i + 2);
        if (!parseSerial(`LB${swapped}`).ok) caught++;
      }
    }
    expect(caught).toBe(tried);
  });

  it('are read leniently: any case, hyphens optional, O as 0, I and L as 1', () => {
    const serial = generateSerial(() => Buffer.alloc(15, 1)); // fifteen '1' symbols
    const compact = serial.replace(/-/g, '');
    expect(parseSerial(compact)).toEqual({ ok: true, serial });
    expect(parseSerial(serial.toLowerCase())).toEqual({ ok: true, serial });
    expect(parseSerial(` ${serial.replace(/1/g, 'l')} `)).toEqual({ ok: true, serial });
    expect(parseSerial(serial.replace(/1/g, 'I'))).toEqual({ ok: true, serial });
    const zeros = generateSerial(() => Buffer.alloc(15, 0));
    expect(parseSerial(zeros.replace(/0/g, 'O'))).toEqual({ ok: true, serial: zeros });
  });

  it('refuse what is not a serial', () => {
    for (const bad of ['', 'LB', 'LB-0000', 'XX-0000-0000-0000-0000', 'LB-0000-0000-0000-00000', 'LB-0000-0000-0000-000U', '../../etc/passwd', "LB-' OR 1=1 --", '张伟']) {
      expect(parseSerial(bad)).toEqual({ ok: false, reason: 'FORMAT' });
    }
  });
});
