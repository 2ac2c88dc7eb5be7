import { BRAND_STATUSES, BRAND_TRANSITIONS, BrandDecision, checkBrandTransition as checkBrandTransitionRaw, effectiveBrandStatus, isBrandCertified } from '../../src/brands/brand.rules';
import { chinaToday } from '../../src/common/time/china-time';
import { english, type English } from '../support/english';

/** The result with its texts in English, as the assertions below state them. */
const checkBrandTransition = (...args: Parameters<typeof checkBrandTransitionRaw>): English<ReturnType<typeof checkBrandTransitionRaw>> => english(checkBrandTransitionRaw(...args));

describe('brand state machine', () => {
  const legal: Array<[string, BrandDecision, string]> = [
    ['draft', 'submit', 'submitted'],
    ['submitted', 'certify', 'certified'],
    ['submitted', 'reject', 'draft'],
    ['certified', 'suspend', 'suspended'],
    ['suspended', 'reinstate', 'certified'],
    ['certified', 'revoke', 'revoked'],
    ['suspended', 'revoke', 'revoked'],
    ['certified', 'expire', 'expired'],
    ['suspended', 'expire', 'expired'],
  ];

  it.each(legal)('%s --%s--> %s', (from, action, to) => {
    expect(checkBrandTransition(from as never, action)).toEqual({ ok: true, to });
  });

  it('refuses every other (status, action) pair, naming why', () => {
    let refused = 0;
    for (const status of BRAND_STATUSES) {
      for (const action of Object.keys(BRAND_TRANSITIONS) as BrandDecision[]) {
        if (legal.some(([f, a]) => f === status && a === action)) continue;
        const result = checkBrandTransition(status, action);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.reason).toContain(status);
        refused++;
      }
    }
    expect(refused).toBe(BRAND_STATUSES.length * Object.keys(BRAND_TRANSITIONS).length - legal.length);
  });

  it('revoked and expired are final', () => {
    for (const action of Object.keys(BRAND_TRANSITIONS) as BrandDecision[]) {
      expect(checkBrandTransition('revoked', action).ok).toBe(false);
      expect(checkBrandTransition('expired', action).ok).toBe(false);
    }
  });
});

describe('expiry', () => {
  it('a certified or suspended brand reads as expired the day after validUntil', () => {
    expect(effectiveBrandStatus('certified', '2026-11-27', '2026-11-27')).toBe('certified');
    expect(effectiveBrandStatus('certified', '2026-11-26', '2026-11-27')).toBe('expired');
    expect(effectiveBrandStatus('suspended', '2026-11-26', '2026-11-27')).toBe('expired');
    expect(effectiveBrandStatus('revoked', '2026-11-26', '2026-11-27')).toBe('revoked');
    expect(effectiveBrandStatus('draft', null, '2026-11-27')).toBe('draft');
    expect(isBrandCertified('certified', '2026-11-26', '2026-11-27')).toBe(false);
    expect(isBrandCertified('certified', '2027-01-01', '2026-11-27')).toBe(true);
    expect(isBrandCertified('suspended', '2027-01-01', '2026-11-27')).toBe(false);
  });

  it("uses China's civil date, not the server's", () => {
    // 2026-11-27 20:00 UTC is already 2026-11-28 in Beijing.
    expect(chinaToday(new Date('2026-11-27T20:00:00Z'))).toBe('2026-11-28');
    expect(chinaToday(new Date('2026-11-27T15:59:59Z'))).toBe('2026-11-27');
  });
});
