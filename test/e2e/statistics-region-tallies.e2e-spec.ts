/**
 * Region tallies (migration RegionTallies): after a mix of writes in brands of several provinces and cities — some
 * deltas folded, some not, a draft brand certified after its cells were folded, a draft's region code changed —
 * every region's tallies are the sum of its public brands' tallies, and every region's figures equal a full scan of
 * the source rows (and survive a rebuild from scratch unchanged).
 */
import { checkAgainstRebuild } from '../../bench/lib/exactness';
import { coverPrefix, regionsHolding } from '../../src/common/identifiers/region-code';
import { brandSample, regionSalaryShown } from '../../src/statistics/disclosure.rules';
import { StatisticsCalculator } from '../../src/statistics/statistics.calculator';
import { createBrand, createCertifiedBrand, futureDate, SEED_BRANDS } from '../support/brands';
import { createOrganization, OrgWithKey } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { registerTrainee } from '../support/trainees';
import { REGION_REFERENCE_SQL } from '../support/region-reference';

const chinaDay = (): string => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);

/** A region's cells as a reader sees them: its row of the region tallies plus the unfolded deltas of the brands it counts. */
const REGION_CELLS_SQL = `
SELECT figure::text, bucket::text, sum(n)::text AS n, sum(total)::text AS total FROM (
  SELECT figure, bucket, n, total FROM region_tallies WHERE region_code = $1
  UNION ALL
  SELECT u.figure, u.bucket, u.n, u.total
    FROM brand_tally_deltas d JOIN region_tally_brands m ON m.brand_id = d.brand_id,
         unnest(d.figures, d.buckets, d.ns, d.totals) AS u(figure, bucket, n, total)
   WHERE m.region_code LIKE $2) c
 GROUP BY figure, bucket HAVING sum(n) <> 0 OR sum(total) <> 0
 ORDER BY figure::text, bucket`;

/** The same cells summed over the public brands the region covers, each brand's folded tallies plus its deltas. */
const BRANDS_CELLS_SQL = `
SELECT figure::text, bucket::text, sum(n)::text AS n, sum(total)::text AS total FROM (
  SELECT t.figure, t.bucket, t.n, t.total FROM brand_tallies t JOIN brands b ON b.id = t.brand_id
   WHERE b.region_code LIKE $1 AND b.status NOT IN ('draft', 'submitted')
  UNION ALL
  SELECT u.figure, u.bucket, u.n, u.total
    FROM brand_tally_deltas d JOIN brands b ON b.id = d.brand_id, unnest(d.figures, d.buckets, d.ns, d.totals) AS u(figure, bucket, n, total)
   WHERE b.region_code LIKE $1 AND b.status NOT IN ('draft', 'submitted')) c
 GROUP BY figure, bucket HAVING sum(n) <> 0 OR sum(total) <> 0
 ORDER BY figure::text, bucket`;

/** Folded cells only: a region's row against the sum of its public brands' folded tallies. */
const FOLDED_REGION_SQL = `SELECT figure::text, bucket::text, n::text, total::text FROM region_tallies WHERE region_code = $1 AND (n <> 0 OR total <> 0) ORDER BY 1, 2`;
const FOLDED_BRANDS_SQL = `
SELECT t.figure::text, t.bucket::text, sum(t.n)::text AS n, sum(t.total)::text AS total
  FROM brand_tallies t JOIN brands b ON b.id = t.brand_id
 WHERE b.region_code LIKE $1 AND b.status NOT IN ('draft', 'submitted')
 GROUP BY t.figure, t.bucket HAVING sum(t.n) <> 0 OR sum(t.total) <> 0
 ORDER BY 1, 2`;


const STORED_REGION_SQL = `SELECT brand_count, trainee_count, placed_trainee_count, active_placement_count, p25_annual_fen::text AS p25,
       median_annual_fen::text AS median, p75_annual_fen::text AS p75, mean_annual_fen::text AS mean, salary_disclosable FROM region_statistics WHERE region_code = $1`;

interface Brand {
  id: string;
  regionCode: string;
  operator: OrgWithKey;
}

describe('region tallies', () => {
  let t: TestApp;
  let calculator: StatisticsCalculator;
  const bureaus: Record<string, OrgWithKey> = {};
  let employers: OrgWithKey[];
  const brands: Brand[] = [];
  const placements: Array<{ id: string; employer: OrgWithKey; operator: OrgWithKey }> = [];

  beforeAll(async () => {
    // No worker: the test decides which deltas are folded and when.
    t = await startTestApp({});
    calculator = t.app.get(StatisticsCalculator);
    for (const province of ['310000', '330000', '210000', '440000', '420000']) bureaus[province] = await createOrganization(t, 'bureau', province);
    employers = await Promise.all(Array.from({ length: 4 }, () => createOrganization(t, 'employer', '310104')));
  });
  afterAll(async () => t?.close());

  const bureauOf = (regionCode: string): OrgWithKey => bureaus[`${regionCode.slice(0, 2)}0000`];

  async function certifiedBrand(regionCode: string, name: string): Promise<Brand> {
    const operator = await createOrganization(t, 'hr_firm', regionCode);
    const b = await createCertifiedBrand(t, operator.key, bureauOf(regionCode).key, { ...SEED_BRANDS.xuhuiAiTrainer, regionCode, name });
    const brand = { id: b.id, regionCode, operator };
    brands.push(brand);
    return brand;
  }

  async function draftBrand(regionCode: string, name: string): Promise<Brand> {
    const operator = await createOrganization(t, 'hr_firm', regionCode);
    const b = await createBrand(t, operator.key, { ...SEED_BRANDS.xuhuiAiTrainer, regionCode, name });
    const brand = { id: b.id, regionCode, operator };
    brands.push(brand);
    return brand;
  }

  async function certify(brand: Brand): Promise<void> {
    expect((await t.request('POST', `/v1/brands/${brand.id}/submit`, { key: brand.operator.key })).status).toBe(200);
    const res = await t.request('POST', `/v1/brands/${brand.id}/certify`, { key: bureauOf(brand.regionCode).key, body: { level: 'district', validUntil: futureDate() } });
    expect(res.status).toBe(200);
  }

  async function place(brand: Brand, employer: OrgWithKey, annualSalaryFen: number): Promise<void> {
    const trainee = await registerTrainee(t, brand.operator.key, brand.id, { expectedMonthlySalaryFen: 800_000 });
    const proposed = await t.request('POST', '/v1/placements', {
      key: brand.operator.key,
      body: { traineeId: trainee.id, employerId: employer.id, jobTitle: '操作员', workRegionCode: '310104', salaryFen: annualSalaryFen, salaryPeriod: 'annual', startDate: chinaDay() },
    });
    expect(proposed.status).toBe(201);
    expect((await t.request('POST', `/v1/placements/${proposed.body.id}/confirm`, { key: employer.key, body: {} })).status).toBe(200);
    placements.push({ id: proposed.body.id, employer, operator: brand.operator });
  }

  /** Every region any brand's figures count in, with the LIKE pattern of the codes it holds. */
  function regions(): Array<{ code: string; pattern: string }> {
    const codes = [...new Set(brands.flatMap((b) => regionsHolding(b.regionCode)))].sort();
    return codes.map((code) => ({ code, pattern: `${coverPrefix(code)}%` }));
  }

  async function expectRegionTalliesAreTheirBrands(): Promise<void> {
    for (const { code, pattern } of regions()) {
      expect({ code, cells: await t.dataSource.query(FOLDED_REGION_SQL, [code]) }).toEqual({ code, cells: await t.dataSource.query(FOLDED_BRANDS_SQL, [pattern]) });
      expect({ code, cells: await t.dataSource.query(REGION_CELLS_SQL, [code, pattern]) }).toEqual({ code, cells: await t.dataSource.query(BRANDS_CELLS_SQL, [pattern]) });
    }
    // Where each brand counts, and its folded salaries: what the disclosure check weighs.
    const members = await t.dataSource.query(
      `SELECT b.id, m.region_code, CASE WHEN b.status NOT IN ('draft', 'submitted') THEN b.region_code END AS expected_region,
              m.salaries::int AS salaries, (SELECT COALESCE(sum(n), 0)::int FROM brand_tallies x WHERE x.brand_id = b.id AND x.figure = 'active_salary') AS folded_salaries
         FROM brands b LEFT JOIN region_tally_brands m ON m.brand_id = b.id`,
    );
    for (const m of members) expect({ id: m.id, region: m.region_code, salaries: m.salaries }).toEqual({ id: m.id, region: m.expected_region, salaries: m.folded_salaries });
  }

  async function expectRegionFiguresAreAFullScan(): Promise<void> {
    for (const { code, pattern } of regions()) {
      await calculator.recomputeRegion(code);
      const [r] = await t.dataSource.query(REGION_REFERENCE_SQL, [pattern]);
      const samples = (r.samples as Array<{ regionCode: string; n: number }>).map((s) => brandSample(s.regionCode, Number(s.n)));
      const expected = {
        code,
        brand_count: r.brands,
        trainee_count: r.trainees,
        placed_trainee_count: r.placed,
        active_placement_count: r.active,
        p25: r.quartiles_fen?.[0] ?? null,
        median: r.quartiles_fen?.[1] ?? null,
        p75: r.quartiles_fen?.[2] ?? null,
        mean: r.mean_fen,
        salary_disclosable: regionSalaryShown(code, samples),
      };
      const [stored] = await t.dataSource.query(STORED_REGION_SQL, [code]);
      expect({ code, ...stored }).toEqual(expected);
    }
  }

  it('hold the sum of their public brands through folds, certification and a draft moving region; figures equal a full scan and a rebuild', async () => {
    const a = await certifiedBrand('310104', '区域甲');
    const b = await certifiedBrand('310104', '区域乙');
    const c = await certifiedBrand('310110', '区域丙');
    const d = await certifiedBrand('330106', '区域丁');
    const e = await certifiedBrand('210100', '区域戊');
    for (let i = 0; i < 7; i++) await place(a, employers[i % 4], 6_000_000 + i * 1_300_000);
    for (let i = 0; i < 3; i++) await place(b, employers[i % 4], 9_000_000 + i * 500_000);
    for (let i = 0; i < 6; i++) await place(c, employers[i % 4], 12_000_000 - i * 700_000);
    for (let i = 0; i < 5; i++) await place(d, employers[i % 4], 7_000_000 + i * 2_100_000);
    for (let i = 0; i < 2; i++) await place(e, employers[i % 4], 15_000_000 + i);
    await calculator.fold([a.id, d.id]);

    // Salary changes and ends, some folded, some left as deltas.
    const [p0, p1, p2] = placements;
    expect((await t.request('POST', `/v1/placements/${p0.id}/salary-changes`, { key: p0.employer.key, body: { salaryFen: 1_500_000, salaryPeriod: 'monthly', effectiveDate: chinaDay() } })).status).toBe(200);
    expect((await t.request('POST', `/v1/placements/${p1.id}/end`, { key: p1.operator.key, body: { endDate: chinaDay(), reason: '离职' } })).status).toBe(200);
    await calculator.fold([a.id, c.id]);
    expect((await t.request('POST', `/v1/placements/${p2.id}/end`, { key: p2.operator.key, body: { endDate: chinaDay(), reason: '离职' } })).status).toBe(200);
    await expectRegionTalliesAreTheirBrands();

    // A draft's trainees are folded into its tallies but counted by no region, until it is certified.
    const f = await draftBrand('440305', '区域己');
    for (let i = 0; i < 4; i++) await registerTrainee(t, f.operator.key, f.id);
    await calculator.fold([f.id]);
    await expectRegionTalliesAreTheirBrands();
    await certify(f);
    await registerTrainee(t, f.operator.key, f.id);
    await expectRegionTalliesAreTheirBrands();

    // A draft's region code changes (only drafts may be edited) after its cells were folded; then it is certified.
    const g = await draftBrand('420100', '区域庚');
    for (let i = 0; i < 2; i++) await registerTrainee(t, g.operator.key, g.id);
    await calculator.fold([g.id]);
    const edited = await t.request('PATCH', `/v1/brands/${g.id}`, { key: g.operator.key, body: { regionCode: '420102' } });
    expect(edited.status).toBe(200);
    g.regionCode = '420102';
    await certify(g);
    await calculator.fold([g.id]);
    // A draft that stays one, with trainees: no region counts it.
    const h = await draftBrand('310104', '区域辛');
    await registerTrainee(t, h.operator.key, h.id);
    await calculator.fold([h.id]);
    for (let i = 0; i < 2; i++) await place(g, employers[i], 8_000_000 + i * 3_000_000);
    await place(a, employers[3], 20_000_000);
    await expectRegionTalliesAreTheirBrands();

    await expectRegionFiguresAreAFullScan();
    expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM brand_tally_deltas`))[0].n).toBeGreaterThan(0);

    // A rebuild from scratch (`npm run stats:rebuild`) changes no region's cells or figures.
    const kept = await Promise.all(regions().map(async ({ code, pattern }) => ({ code, cells: await t.dataSource.query(REGION_CELLS_SQL, [code, pattern]) })));
    const keptFigures = await t.dataSource.query(`SELECT * FROM region_statistics ORDER BY region_code`);
    await calculator.rebuildAll();
    const rebuilt = await Promise.all(regions().map(async ({ code, pattern }) => ({ code, cells: await t.dataSource.query(REGION_CELLS_SQL, [code, pattern]) })));
    expect(rebuilt).toEqual(kept);
    const withoutTimes = (rows: Array<Record<string, unknown>>): unknown => rows.map(({ computed_at: _c, ...rest }) => rest);
    expect(withoutTimes(await t.dataSource.query(`SELECT * FROM region_statistics ORDER BY region_code`))).toEqual(withoutTimes(keptFigures));
    await expectRegionTalliesAreTheirBrands();

    // The bench's exactness check (bench/lib/exactness.ts) agrees, once the figures are current again.
    await place(c, employers[0], 11_111_111);
    await calculator.recomputeBrand(c.id);
    for (const region of regionsHolding(c.regionCode)) await calculator.recomputeRegion(region);
    const exact = await checkAgainstRebuild(t.databaseUrl);
    expect(exact.differences).toEqual([]);
    expect(exact.regionCells).toBeGreaterThan(0);
  }, 120_000);

  it('stay the sum of their brands when folds of overlapping brands, writes and certifications run at once', async () => {
    const shanghai = await certifiedBrand('310115', '区域并发甲');
    const zhejiang = await certifiedBrand('330102', '区域并发乙');
    const drafts = await Promise.all(['310115', '330102', '440106'].map((code, i) => draftBrand(code, `区域并发草稿${i}`)));
    for (const d of drafts) for (let i = 0; i < 2; i++) await registerTrainee(t, d.operator.key, d.id);
    const all = [shanghai, zhejiang, ...drafts].map((b) => b.id);
    let writing = true;
    // Folds of overlapping sets of brands, over and over, while the writes and certifications below go on.
    const folding = Promise.all(
      [all, all.slice(0, 3), all.slice(2), [shanghai.id]].map(async (ids) => {
        while (writing) await calculator.fold(ids);
      }),
    );
    await Promise.all([
      (async () => {
        for (let i = 0; i < 6; i++) await place(shanghai, employers[i % 4], 7_000_000 + i * 900_000);
      })(),
      (async () => {
        for (let i = 0; i < 6; i++) await place(zhejiang, employers[i % 4], 8_000_000 + i * 1_100_000);
      })(),
      ...drafts.map(async (d) => {
        await certify(d);
        await registerTrainee(t, d.operator.key, d.id);
      }),
    ]);
    writing = false;
    await folding;
    await expectRegionTalliesAreTheirBrands();
    await expectRegionFiguresAreAFullScan();
  }, 120_000);
});
