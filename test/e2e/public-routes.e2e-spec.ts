import { clientAddressKey } from '../../src/common/auth/address-rate-limit';
import { StatisticsCalculator } from '../../src/statistics/statistics.calculator';
import { TALLY_FIGURES } from '../../src/statistics/tallies.rules';
import { fillPlacementFigure } from '../../src/statistics/tallies.sql';
import { createBrand, createCertifiedBrand, SEED_BRANDS } from '../support/brands';
import { eventually, expectProblem } from '../support/expect';
import { createOrganization, OrgWithKey } from '../support/factories';
import { chinaDate, endPlacement, placeNewTrainee } from '../support/placements';
import { startTestApp, TestApp } from '../support/test-app';

/** The public JSON routes the pages read (API.md, Public pages): no key, suppression always applied, public brands only. */
describe('public JSON routes', () => {
  let t: TestApp;
  let firm: OrgWithKey;
  let bureau: OrgWithKey;
  let outsider: OrgWithKey;
  let employer: OrgWithKey;
  let big: any;
  let small: any;
  let draft: any;
  let submitted: any;
  const bigSalaries = [...Array(6).fill(15_000_000), 30_000_000, ...Array(5).fill(20_000_000), 20_050_000];
  const anonymous = (url: string) => t.request('GET', url, { key: null });

  beforeAll(async () => {
    t = await startTestApp({ STATISTICS_DEBOUNCE_MS: '20', OUTBOX_POLL_MS: '100' }, { worker: true });
    firm = await createOrganization(t, 'hr_firm', '310104');
    bureau = await createOrganization(t, 'bureau', '310000');
    outsider = await createOrganization(t, 'hr_firm', '210100');
    employer = await createOrganization(t, 'employer', '310104');

    big = await createCertifiedBrand(t, firm.key, bureau.key, SEED_BRANDS.xuhuiAiTrainer);
    small = await createCertifiedBrand(t, firm.key, bureau.key, SEED_BRANDS.yangpuCncOperator);
    draft = await createBrand(t, firm.key, { ...SEED_BRANDS.xuhuiAiTrainer, name: '徐汇草稿品牌' });
    submitted = await createBrand(t, firm.key, { ...SEED_BRANDS.xuhuiAiTrainer, name: '徐汇待审品牌' });
    expect((await t.request('POST', `/v1/brands/${submitted.id}/submit`, { key: firm.key })).status).toBe(200);

    const started = chinaDate(-70);
    const placed = [];
    for (const salaryFen of bigSalaries) placed.push(await placeNewTrainee(t, firm, employer, big.id, { salaryFen, startDate: started }));
    // Two leave: one last worked 40 days ago, one today.
    await endPlacement(t, employer, placed[0].placementId, chinaDate(-40));
    await endPlacement(t, employer, placed[6].placementId, chinaDate());
    for (const salaryFen of [10_000_000, 11_000_000, 12_000_000]) await placeNewTrainee(t, firm, employer, small.id, { salaryFen });

    await eventually(20_000, async () => {
      const [a, b] = await Promise.all([anonymous(`/v1/public/brands/${big.id}`), anonymous(`/v1/public/brands/${small.id}`)]);
      return a.body?.statistics?.endedPlacementCount === 2 && a.body.statistics.activePlacementCount === 11 && b.body?.statistics?.activePlacementCount === 3 ? true : undefined;
    }, 'figures settled');
  });
  afterAll(async () => t?.close());

  it('lists the public brands without a key, in the order and with the figures /v1/statistics/brands gives a key with no privilege', async () => {
    for (const query of ['', '?sort=medianAnnualFen&order=desc', '?sort=placementRate&order=asc', '?regionCode=3101&sort=placedTraineeCount']) {
      const pub = await anonymous(`/v1/public/brands${query}`);
      expect(pub.status).toBe(200);
      const keyed = await t.request('GET', `/v1/statistics/brands${query}`, { key: outsider.key });
      // computedAt is when the workers last recomputed (they may, between the two reads); every figure must agree.
      expect(pub.body.items.map(({ occupationName: _n, status: _s, level: _l, computedAt: _c, ...rest }: any) => rest)).toEqual(keyed.body.items.map(({ computedAt: _c, ...rest }: any) => rest));
      expect(pub.body.items.map((i: any) => i.brandId).sort()).toEqual([big.id, small.id].sort());
    }
    const { body } = await anonymous(`/v1/public/brands?sort=medianAnnualFen`);
    expect(body.items[0]).toMatchObject({ brandId: big.id, brandName: SEED_BRANDS.xuhuiAiTrainer.name, occupationName: '人工智能训练师', status: 'certified', level: 'district' });
    // The small brand's salary is suppressed for everyone here, the bureau included: the public routes know no key.
    const smallItem = body.items.find((i: any) => i.brandId === small.id);
    expect(smallItem.salary).toEqual({ sampleSize: 3, medianAnnualFen: null, p25AnnualFen: null, p75AnnualFen: null, meanAnnualFen: null, suppressed: true });
    const withKey = await t.request('GET', `/v1/public/brands?sort=medianAnnualFen`, { key: bureau.key });
    expect(withKey.body.items.find((i: any) => i.brandId === small.id).salary.suppressed).toBe(true);
  });

  it('searches by words of the name, filters by occupation, and pages by cursor without repeats', async () => {
    expect((await anonymous(`/v1/public/brands?q=${encodeURIComponent('徐汇 训练')}`)).body.items.map((i: any) => i.brandId)).toEqual([big.id]);
    expect((await anonymous(`/v1/public/brands?q=${encodeURIComponent('草稿')}`)).body.items).toEqual([]);
    expect((await anonymous(`/v1/public/brands?occupationCode=6-18-01-01`)).body.items.map((i: any) => i.brandId)).toEqual([small.id]);
    const first = await anonymous('/v1/public/brands?limit=1');
    expect(first.body.items).toHaveLength(1);
    const second = await anonymous(`/v1/public/brands?limit=1&cursor=${first.body.nextCursor}`);
    expect(second.body.items).toHaveLength(1);
    expect(second.body.nextCursor).toBeNull();
    expect(new Set([first.body.items[0].brandId, second.body.items[0].brandId]).size).toBe(2);
    expectProblem(await anonymous('/v1/public/brands?limit=0'), 400, 'VALIDATION_FAILED');
    expectProblem(await anonymous('/v1/public/brands?sort=name'), 400, 'VALIDATION_FAILED');
    expectProblem(await anonymous('/v1/public/brands?cursor=nonsense'), 400, 'VALIDATION_FAILED');
  });

  it('shows a public brand with its operator, certifier, figures and whole history; drafts and submitted brands are 404', async () => {
    const res = await anonymous(`/v1/public/brands/${big.id}`);
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    const asOutsider = (path: string) => t.request('GET', path, { key: outsider.key });
    expect(res.body.brand).toEqual((await asOutsider(`/v1/brands/${big.id}`)).body);
    const { computedAt: _c, ...figures } = res.body.statistics;
    const { computedAt: _d, ...keyedFigures } = (await asOutsider(`/v1/brands/${big.id}/statistics`)).body;
    expect(figures).toEqual(keyedFigures);
    expect(res.body.history).toEqual((await asOutsider(`/v1/brands/${big.id}/history`)).body.items);
    expect(res.body.history.map((d: any) => d.action)).toEqual(['create', 'submit', 'certify']);
    expect(res.body.operator).toEqual({ id: firm.id, name: expect.any(String) });
    expect(res.body.certifiedBy).toEqual({ id: bureau.id, name: expect.any(String) });

    for (const hidden of [draft, submitted]) {
      for (const path of ['', '/salary-distribution', '/placements-by-month']) expectProblem(await anonymous(`/v1/public/brands/${hidden.id}${path}`), 404, 'NOT_FOUND');
    }
    expectProblem(await anonymous('/v1/public/brands/not-a-uuid'), 400, 'VALIDATION_FAILED');
    expectProblem(await anonymous('/v1/public/brands/00000000-0000-4000-8000-000000000000'), 404, 'NOT_FOUND');
  });

  it('draws the salary distribution from the tallies: everyone counted, no bucket under five; a small brand shows nothing', async () => {
    const res = await anonymous(`/v1/public/brands/${big.id}/salary-distribution`);
    expect(res.status).toBe(200);
    // Active: 5 at CNY 150,000, 5 at 200,000 and one at 200,500 (one at 150,000 and the one at 300,000 ended).
    expect(res.body).toEqual({
      // CNY 150,000 to 201,000 spans 11 bins of CNY 5,000.
      bucketWidthFen: 500_000,
      buckets: [
        { fromFen: 15_000_000, toFen: 15_500_000, count: 5 },
        { fromFen: 20_000_000, toFen: 20_500_000, count: 6 },
      ],
      sampleSize: 11,
      suppressed: false,
    });
    const figures = (await anonymous(`/v1/public/brands/${big.id}`)).body.statistics;
    expect(res.body.sampleSize).toBe(figures.salary.sampleSize);

    expect((await anonymous(`/v1/public/brands/${small.id}/salary-distribution`)).body).toEqual({ bucketWidthFen: 100_000, buckets: [], sampleSize: 3, suppressed: true });
  });

  it('counts placements confirmed and ended per month, from the tallies', async () => {
    const res = await anonymous(`/v1/public/brands/${big.id}/placements-by-month`);
    expect(res.status).toBe(200);
    const thisMonth = chinaDate().slice(0, 7);
    const endMonth = chinaDate(-40).slice(0, 7);
    const items: Array<{ month: string; confirmed: number; ended: number }> = res.body.items;
    expect(items[0].month).toBe(endMonth < thisMonth ? endMonth : thisMonth);
    expect(items[items.length - 1].month).toBe(thisMonth);
    expect(items.reduce((s, i) => s + i.confirmed, 0)).toBe(bigSalaries.length);
    expect(items.reduce((s, i) => s + i.ended, 0)).toBe(2);
    expect(items.find((i) => i.month === endMonth)?.ended).toBeGreaterThanOrEqual(1);
    expect(items.find((i) => i.month === thisMonth)?.confirmed).toBe(bigSalaries.length);
  });

  it("answers a region's roll-up as /v1/statistics/regions answers a key with no privilege", async () => {
    // A region's figures are fresh within 5 s of the change.
    const { value: res } = await eventually(10_000, async () => {
      const r = await anonymous('/v1/public/regions/310000');
      return r.body?.activePlacementCount === 14 ? r : undefined;
    }, 'region figures fresh');
    expect(res.status).toBe(200);
    const keyed = await t.request('GET', '/v1/statistics/regions/310000', { key: outsider.key });
    const { computedAt: _a, ...pub } = res.body;
    const { computedAt: _b, ...expected } = keyed.body;
    expect(pub).toEqual(expected);
    expect(res.body).toMatchObject({ regionCode: '310000', brandCount: 2, activePlacementCount: 14 });
    expectProblem(await anonymous('/v1/public/regions/31'), 400, 'INVALID_REGION_CODE');
  });

  it("the migration's fill of the ended_on cells gives what the triggers keep (a database that had placements before)", async () => {
    const cells = async () => (await t.dataSource.query(`SELECT brand_id, bucket, n FROM brand_tallies WHERE figure = 'ended_on' ORDER BY brand_id, bucket`)).map((r: any) => `${r.brand_id} ${r.bucket} ${r.n}`);
    await t.app.get(StatisticsCalculator).recomputeBrand(big.id); // folds the deltas: the cells hold everything
    const kept = await cells();
    expect(kept.length).toBeGreaterThan(0);
    await t.dataSource.transaction(async (m) => {
      await m.query('LOCK TABLE placements IN SHARE MODE');
      await fillPlacementFigure(m, TALLY_FIGURES.endedOn, `p.status = 'ended'`);
    });
    expect(await cells()).toEqual(kept);
  });

  it('lists the occupations of the public brands for the directory filter', async () => {
    const res = await anonymous('/v1/public/occupations');
    expect(res.body.items).toEqual(
      expect.arrayContaining([
        { occupationCode: '4-04-05-05', occupationName: '人工智能训练师', brandCount: 1 },
        { occupationCode: '6-18-01-01', occupationName: '数控车工', brandCount: 1 },
      ]),
    );
    expect(res.body.items).toHaveLength(2);
  });

  it('documents every public route without a security requirement', async () => {
    const doc = (await anonymous('/docs-json')).body;
    for (const path of ['/v1/public/brands', '/v1/public/brands/{id}', '/v1/public/brands/{id}/salary-distribution', '/v1/public/brands/{id}/placements-by-month', '/v1/public/regions/{regionCode}', '/v1/public/occupations']) {
      expect({ path, security: doc.paths[path]?.get?.security }).toEqual({ path, security: [] });
      expect(doc.paths[path].get.responses['429']).toBeDefined();
    }
  });
});

describe('the per-address rate limit of the public routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_RATE_LIMIT_MAX: '3' });
  });
  afterAll(async () => t?.close());

  const from = (remoteAddress: string, url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, remoteAddress, headers });

  it('answers 429 RATE_LIMITED with Retry-After once an address has used its minute; other addresses and keys are still served', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await from('198.51.100.7', '/v1/public/occupations');
      expect(res.statusCode).toBe(200);
      expect(res.headers['ratelimit-limit']).toBe('3');
      expect(res.headers['ratelimit-remaining']).toBe(String(2 - i));
    }
    const refused = await from('198.51.100.7', '/v1/public/brands');
    expect(refused.statusCode).toBe(429);
    const problem = JSON.parse(refused.body);
    expect(problem.code).toBe('RATE_LIMITED');
    expect(String(refused.headers['content-type'])).toMatch(/^application\/problem\+json/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    // The same address written IPv4-mapped counts as the same client.
    expect((await from('::ffff:198.51.100.7', '/v1/public/occupations')).statusCode).toBe(429);
    expect((await from('198.51.100.8', '/v1/public/occupations')).statusCode).toBe(200);
    // A key's requests count against the key's own limit, not the address's.
    expect((await from('198.51.100.7', '/v1/me', { authorization: `Bearer ${t.platformKey}` })).statusCode).toBe(200);
  });

  it('covers public certificate checks, the signing keys, status lists, contexts and the pages alike; not health probes', async () => {
    for (const url of ['/v1/public/certifications/LB-7K3M-9QXD-4TPW-B2R0', '/.well-known/jwks.json', '/v1/public/status-lists/1', '/v1/public/contexts/credentials-v1.jsonld', '/']) {
      const address = `203.0.113.${url.length}`;
      for (let i = 0; i < 3; i++) expect([url, (await from(address, url)).statusCode]).not.toEqual([url, 429]);
      const refused = await from(address, url);
      expect([url, refused.statusCode, JSON.parse(refused.body).code]).toEqual([url, 429, 'RATE_LIMITED']);
    }
    for (let i = 0; i < 5; i++) expect((await from('203.0.113.200', '/health/live')).statusCode).toBe(200);
  });

  it('counts an IPv6 client by its /64', async () => {
    for (let i = 0; i < 3; i++) expect((await from(`2001:db8:1:2::${i + 1}`, '/v1/public/occupations')).statusCode).toBe(200);
    expect((await from('2001:db8:1:2:ffff::9', '/v1/public/occupations')).statusCode).toBe(429);
    expect((await from('2001:db8:1:3::1', '/v1/public/occupations')).statusCode).toBe(200);
    expect(clientAddressKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('2001:0db8:0001:0002:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(clientAddressKey('::1')).toBe('0:0:0:0::/64');
    expect(clientAddressKey('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(clientAddressKey('10.0.0.1')).toBe('10.0.0.1');
  });
});
