import { brandSample, publicMeanFen, regionSalaryShown } from '../../src/statistics/disclosure.rules';

describe('public means', () => {
  it.each([
    [null, null],
    [12_345_678, 12_300_000],
    [12_350_000, 12_400_000],
    [12_349_999, 12_300_000],
    [100_000, 100_000],
  ])('%s fen → %s', (mean, shown) => {
    expect(publicMeanFen(mean)).toBe(shown);
  });
});

describe('complementary suppression of a region', () => {
  const brand = brandSample;

  it('hides a region whose visible brands would give away a suppressed one by subtraction', () => {
    // 310104 has a visible brand (5) and a suppressed one (2): region − visible = the 2 salaries.
    expect(regionSalaryShown('310104', [brand('310104', 5), brand('310104', 2)])).toBe(false);
  });

  it('shows it when nothing is suppressed, or the suppressed brands hold 5 salaries or more together', () => {
    expect(regionSalaryShown('310104', [brand('310104', 5), brand('310104', 7)])).toBe(true);
    expect(regionSalaryShown('310104', [brand('310104', 5), brand('310104', 3), brand('310104', 2)])).toBe(true);
    expect(regionSalaryShown('310104', [brand('310104', 0), brand('310104', 6)])).toBe(true);
  });

  it('hides a region of fewer than 5 salaries in all', () => {
    expect(regionSalaryShown('310104', [brand('310104', 2), brand('310104', 2)])).toBe(false);
  });

  it('looks through sub-regions: a shown district is subtracted as a whole, a hidden one leaves its suppressed brands exposed', () => {
    // City 310100: district 310104 shown (5 visible + 5 suppressed in two brands), district 310115 hidden (visible 5 + suppressed 3).
    const brands = [brand('310104', 5), brand('310104', 3), brand('310104', 2), brand('310115', 5), brand('310115', 3)];
    expect(regionSalaryShown('310104', brands)).toBe(true);
    expect(regionSalaryShown('310115', brands)).toBe(false);
    // City − district 310104 − visible brand of 310115 = the 3 suppressed salaries of 310115.
    expect(regionSalaryShown('310100', brands)).toBe(false);
    // With 2 more suppressed salaries elsewhere in the city, the unprotected part is 5: shown.
    expect(regionSalaryShown('310100', [...brands, brand('310100', 2)])).toBe(true);
    // Up to the province and the nation alike.
    expect(regionSalaryShown('310000', brands)).toBe(false);
    expect(regionSalaryShown('100000', brands)).toBe(false);
  });

  it('counts brands registered at a city or province code as their own, not a sub-region', () => {
    expect(regionSalaryShown('310000', [brand('310000', 6), brand('310100', 2)])).toBe(false);
    expect(regionSalaryShown('310000', [brand('310000', 6), brand('310100', 6)])).toBe(true);
  });

  it('gives the same verdict for samples summed per region code, as the repository reads them', () => {
    const summed = [
      { regionCode: '310104', salaries: 10, suppressedSalaries: 5 },
      { regionCode: '310115', salaries: 8, suppressedSalaries: 3 },
    ];
    expect(regionSalaryShown('310104', summed)).toBe(true);
    expect(regionSalaryShown('310100', summed)).toBe(false);
  });

  it('ignores brands outside the region', () => {
    expect(regionSalaryShown('310104', [brand('310104', 6), brand('310115', 2)])).toBe(true);
  });
});
