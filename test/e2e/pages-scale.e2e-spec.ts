/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Functions passed to page.evaluate run in the browser: they see its globals.
/**
 * The directory with a national number of brands (2,500): it pages by keyset cursors, 20 brands a request, never
 * loading the whole list, and stays as quick as with three. The brands and their figures are written straight into
 * the tables (the read model the directory reads), 2,500 brands through the API would take minutes; the times of
 * the list route and of the page are measured and reported, not limited.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, pageReady, pageTimes, SCREENSHOTS, TestBrowser, watchErrors } from '../support/browser';
import { createOrganization } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

const BRANDS = 2500;
const PROVINCES = ['11', '12', '13', '31', '32', '33', '34', '35', '37', '41', '42', '43', '44', '50', '51', '61', '21', '22', '23', '65'];

describe('the directory with 2,500 brands', () => {
  let t: TestApp;
  let tb: TestBrowser;
  let base: string;
  const report: Record<string, unknown> = {};

  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_RATE_LIMIT_MAX: '100000' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as { port: number }).port}`;
    const firm = await createOrganization(t, 'hr_firm', '310104');
    const bureau = await createOrganization(t, 'bureau', '100000');
    await t.dataSource.query(
      `INSERT INTO brands (name, occupation_code, occupation_name, sector, region_code, operator_id, description, status, level, certified_by_id, certified_at, valid_until)
       SELECT '品牌' || lpad(i::text, 4, '0') || (ARRAY['数控操作员', 'AI训练师', '动漫设计师', '家政服务员', '电工'])[1 + i % 5],
              (ARRAY['6-18-01-01', '4-04-05-05', '4-13-02-03', '4-10-01-01', '6-31-01-03'])[1 + i % 5],
              (ARRAY['数控车工', '人工智能训练师', '动画制作员', '家政服务员', '电工'])[1 + i % 5], '制造业',
              ($1::text[])[1 + i % array_length($1::text[], 1)] || lpad((1 + i % 9)::text, 2, '0') || lpad((1 + i % 20)::text, 2, '0'),
              $2, NULL, 'certified', 'district', $3, now(), current_date + 365
         FROM generate_series(1, ${BRANDS}) i`,
      [PROVINCES, firm.id, bureau.id],
    );
    await t.dataSource.query(
      `INSERT INTO brand_statistics (brand_id, region_code, occupation_code, is_public, trainee_count, trainees_by_status, certified_trainee_count,
           certification_rate, placed_trainee_count, placement_rate, active_placement_count, ended_placement_count, employer_count,
           salary_sample_size, median_annual_fen, p25_annual_fen, p75_annual_fen, mean_annual_fen, as_of, computed_at)
       SELECT b.id, b.region_code, b.occupation_code, true, n, jsonb_build_object('placed', placed, 'registered', n - placed), placed / 2,
              (placed / 2)::float8 / n, placed, placed::float8 / n, placed, 0, 1 + placed / 10,
              placed, CASE WHEN placed > 0 THEN 6000000 + (h % 200) * 100000 END, CASE WHEN placed > 0 THEN 5000000 + (h % 200) * 100000 END,
              CASE WHEN placed > 0 THEN 7000000 + (h % 200) * 100000 END, CASE WHEN placed > 0 THEN 6100000 + (h % 200) * 100000 END, now(), now()
         FROM (SELECT id, region_code, occupation_code, abs(hashtext(id::text)) AS h, 5 + abs(hashtext(id::text)) % 3000 AS n FROM brands) b,
              LATERAL (SELECT (b.n * (b.h % 100) / 100) AS placed) p`,
    );
    tb = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    writeFileSync(join(SCREENSHOTS, '..', 'directory-2500-timings.json'), JSON.stringify(report, null, 2));
    console.log(`directory with ${BRANDS} brands: ${JSON.stringify(report)}`);
    await tb?.close();
    await t?.close();
  });

  it('pages through all 2,500 by cursor, 20 at a time, no brand twice, each page as quick as the first', async () => {
    for (const sort of ['traineeCount', 'medianAnnualFen']) {
      const seen = new Set<string>();
      const times: number[] = [];
      let cursor: string | null = null;
      do {
        const started = process.hrtime.bigint();
        const res: { status: number; body: any } = await t.request('GET', `/v1/public/brands?limit=20&sort=${sort}${cursor ? `&cursor=${cursor}` : ''}`, { key: null });
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
        expect(res.status).toBe(200);
        for (const item of res.body.items) {
          expect(seen.has(item.brandId)).toBe(false);
          seen.add(item.brandId);
        }
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen.size).toBe(BRANDS);
      const sorted = [...times].sort((a, b) => a - b);
      report[`list ${sort} (ms per page of 20)`] = { pages: times.length, first: Math.round(times[0] * 10) / 10, p50: Math.round(sorted[Math.floor(sorted.length / 2)] * 10) / 10, p99: Math.round(sorted[Math.floor(sorted.length * 0.99)] * 10) / 10 };
    }
  });

  it('the page loads one page of 20, and the next ones by cursor', async () => {
    const context = await tb.browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'zh-CN' });
    const page = await context.newPage();
    const errors = watchErrors(page);
    const listRequests: string[] = [];
    page.on('request', (req) => {
      if (req.url().includes('/v1/public/brands')) listRequests.push(req.url());
    });
    const times: Array<{ interactive: number; complete: number }> = [];
    await page.goto(`${base}/?sort=medianAnnualFen`);
    await pageReady(page);
    times.push(await pageTimes(page));
    for (let i = 0; i < 3; i++) {
      expect(await page.$$eval('#brands tbody tr', (trs) => trs.length)).toBe(20);
      const next = await page.getAttribute('#next-page', 'href');
      await Promise.all([page.waitForURL(`${base}${next}`), page.click('#next-page')]);
      await pageReady(page);
      times.push(await pageTimes(page));
    }
    expect(await page.textContent('.pager')).toContain('第 4 页');
    const previous = await page.getAttribute('#previous-page', 'href');
    await Promise.all([page.waitForURL(`${base}${previous}`), page.click('#previous-page')]);
    await pageReady(page);
    expect(await page.textContent('.pager')).toContain('第 3 页');
    // Every list request asked for one page, never the whole list.
    expect(listRequests.length).toBe(5);
    for (const url of listRequests) expect(new URL(url).searchParams.get('limit')).toBe('20');
    expect(listRequests.slice(1).every((url) => new URL(url).searchParams.has('cursor'))).toBe(true);
    expect(errors).toEqual([]);
    report['page interactive (ms), first page then next pages'] = times.map((x) => Math.round(x.interactive));
    await context.close();
  });
});
