/**
 * The two attacks that undid suppression, run against the service as an outside reader would: subtracting a visible
 * brand from its region, and differencing a mean before and after one confirmation. Both must fail for readers
 * without privilege and still give exact figures to the privileged.
 */
import { PUBLIC_MEAN_UNIT_FEN } from '../../src/statistics/disclosure.rules';
import { createCertifiedBrand, SEED_BRANDS } from '../support/brands';
import { createOrganization, OrgWithKey } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { registerTrainee } from '../support/trainees';

const today = (): string => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);

async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting; last value ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('disclosure control of published salary figures', () => {
  let t: TestApp;
  let firm: OrgWithKey;
  let bureau: OrgWithKey;
  let reader: OrgWithKey;
  let employer: OrgWithKey;

  beforeAll(async () => {
    t = await startTestApp({ STATISTICS_DEBOUNCE_MS: '20', OUTBOX_POLL_MS: '50' }, { worker: true });
    firm = await createOrganization(t, 'hr_firm', '310104');
    bureau = await createOrganization(t, 'bureau', '310000');
    reader = await createOrganization(t, 'hr_firm', '440100');
    employer = await createOrganization(t, 'employer', '310104');
  });
  afterAll(async () => t?.close());

  async function brandIn(regionCode: string, name: string): Promise<string> {
    return (await createCertifiedBrand(t, firm.key, bureau.key, { ...SEED_BRANDS.xuhuiAiTrainer, regionCode, name })).id;
  }

  async function place(brandId: string, annualFen: number): Promise<void> {
    const trainee = await registerTrainee(t, firm.key, brandId);
    const proposed = await t.request('POST', '/v1/placements', {
      key: firm.key,
      body: { traineeId: trainee.id, employerId: employer.id, jobTitle: '训练师', workRegionCode: '310104', salaryFen: annualFen, salaryPeriod: 'annual', startDate: today() },
    });
    const confirmed = await t.request('POST', `/v1/placements/${proposed.body.id}/confirm`, { key: employer.key, body: {} });
    if (confirmed.status !== 200) throw new Error(confirmed.text);
  }

  const brandFigures = (brandId: string, key: string) => t.request('GET', `/v1/brands/${brandId}/statistics`, { key });
  const regionFigures = (regionCode: string, key: string) => t.request('GET', `/v1/statistics/regions/${regionCode}`, { key });
  const settledBrand = (brandId: string, key: string, sampleSize: number) =>
    waitFor(() => brandFigures(brandId, key), (r) => r.status === 200 && r.body.salary.sampleSize === sampleSize);
  const settledRegion = (regionCode: string, key: string, sampleSize: number) =>
    waitFor(() => regionFigures(regionCode, key), (r) => r.status === 200 && r.body.salary.sampleSize === sampleSize, 15_000);

  it('a region minus its visible brand no longer gives the sum of a suppressed brand’s salaries', async () => {
    // Pudong (310115): a visible brand of 5 salaries and a suppressed one of 2.
    const visible = await brandIn('310115', '浦东可见品牌');
    const hidden = await brandIn('310115', '浦东小样本品牌');
    const visibleSalaries = [12_000_000, 13_000_000, 14_000_000, 15_000_000, 16_000_000];
    const hiddenSalaries = [9_876_543, 23_456_789];
    for (const s of visibleSalaries) await place(visible, s);
    for (const s of hiddenSalaries) await place(hidden, s);
    const hiddenSum = hiddenSalaries.reduce((a, b) => a + b, 0);

    // The privileged bureau still reads exact figures, and for it the subtraction works, as it may.
    const exact = await settledRegion('310115', bureau.key, 7);
    const exactBrand = await settledBrand(visible, bureau.key, 5);
    expect(exact.body.salary.suppressed).toBe(false);
    expect(Math.abs(7 * exact.body.salary.meanAnnualFen - 5 * exactBrand.body.salary.meanAnnualFen - hiddenSum)).toBeLessThanOrEqual(7);

    // An outside reader sees the visible brand, the suppressed brand hidden, and no region covering them that would
    // let the subtraction through: the district, the city, the province and the nation.
    const shownBrand = await settledBrand(visible, reader.key, 5);
    expect(shownBrand.body.salary.suppressed).toBe(false);
    expect((await settledBrand(hidden, reader.key, 2)).body.salary).toMatchObject({ suppressed: true, meanAnnualFen: null, medianAnnualFen: null });
    for (const region of ['310115', '310100', '310000', '100000']) {
      const res = await settledRegion(region, reader.key, 7);
      expect(res.body.salary).toEqual({ sampleSize: 7, medianAnnualFen: null, p25AnnualFen: null, p75AnnualFen: null, meanAnnualFen: null, suppressed: true });
    }

    // Once the suppressed salaries a subtraction could isolate number 5 (2 in Pudong, 3 in Minhang, each district
    // hidden), the city's figures are shown again: what the subtraction gives is a total over 5 people of two brands.
    const minhang = await brandIn('310112', '闵行小样本品牌');
    for (const s of [11_111_111, 12_222_222, 13_333_333]) await place(minhang, s);
    const city = await settledRegion('310100', reader.key, 10);
    expect(city.body.salary.suppressed).toBe(false);
    expect(city.body.salary.meanAnnualFen % PUBLIC_MEAN_UNIT_FEN).toBe(0);
    expect((await settledRegion('310115', reader.key, 7)).body.salary.suppressed).toBe(true);
    expect((await settledRegion('310112', reader.key, 3)).body.salary.suppressed).toBe(true);
    const isolated = 10 * city.body.salary.meanAnnualFen - 5 * shownBrand.body.salary.meanAnnualFen;
    expect(isolated).not.toBe(hiddenSum);
  });

  it('a mean before and after one confirmation no longer gives that worker’s salary', async () => {
    // Jiading (310114) holds one brand of 6 salaries; the attacker watches it take a 7th.
    const brand = await brandIn('310114', '嘉定品牌');
    for (const s of [10_000_000, 11_000_000, 12_500_000, 13_000_000, 14_200_000, 15_900_000]) await place(brand, s);
    const before = { brand: await settledBrand(brand, reader.key, 6), region: await settledRegion('310114', reader.key, 6) };
    const exactBefore = await settledBrand(brand, firm.key, 6);

    const salary = 14_814_867;
    await place(brand, salary);
    const after = { brand: await settledBrand(brand, reader.key, 7), region: await settledRegion('310114', reader.key, 7) };
    const exactAfter = await settledBrand(brand, firm.key, 7);

    // The operator's exact means give the salary back (to the rounding of two means to the fen)…
    expect(Math.abs(7 * exactAfter.body.salary.meanAnnualFen - 6 * exactBefore.body.salary.meanAnnualFen - salary)).toBeLessThanOrEqual(7);
    // …the published ones only to within several CNY 1,000: every mean a reader sees is whole CNY 1,000 a year.
    for (const view of [before.brand, before.region, after.brand, after.region]) {
      expect(view.body.salary.suppressed).toBe(false);
      expect(view.body.salary.meanAnnualFen % PUBLIC_MEAN_UNIT_FEN).toBe(0);
    }
    for (const key of ['brand', 'region'] as const) {
      const guess = 7 * after[key].body.salary.meanAnnualFen - 6 * before[key].body.salary.meanAnnualFen;
      expect(guess).not.toBe(salary);
    }
    // The list of brands publishes the same rounded mean.
    const listed = await t.request('GET', '/v1/statistics/brands?regionCode=310114', { key: reader.key });
    expect(listed.body.items.map((i: any) => i.salary.meanAnnualFen)).toEqual([after.brand.body.salary.meanAnnualFen]);
  });
});
