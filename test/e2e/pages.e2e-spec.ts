/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Functions passed to page.evaluate run in the browser: they see its globals.
/**
 * The public pages in a real browser (Debian's chromium through playwright-core) against real data made through
 * the API: each page shows the API's figures, draws its charts, switches language, logs no error, passes an axe-core
 * scan without serious or critical violations, and is screenshot at 1400×900 and 390×844 into .ci/out/screenshots.
 * How long each page takes to become complete from a cold cache is measured and reported (not a time limit here).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { StatisticsCalculator } from '../../src/statistics/statistics.calculator';
import { axeViolations, launchBrowser, pageTimes, pageReady, paintedPixels, screenshots, SCREENSHOTS, TestBrowser, watchErrors } from '../support/browser';
import { createBrand, createCertifiedBrand, SEED_BRANDS } from '../support/brands';
import { eventually } from '../support/expect';
import { createOrganization, OrgWithKey } from '../support/factories';
import { chinaDate, endPlacement, placeNewTrainee } from '../support/placements';
import { startTestApp, TestApp } from '../support/test-app';

const TIMINGS = join(SCREENSHOTS, '..', 'page-timings.json');

describe('the public pages in a browser', () => {
  let t: TestApp;
  let base: string;
  let tb: TestBrowser;
  let firm: OrgWithKey;
  let shenyangFirm: OrgWithKey;
  let bureau: OrgWithKey;
  let employers: OrgWithKey[];
  let xuhui: any;
  let yangpu: any;
  let shenyang: any;
  let waiting: any;
  const timings: Record<string, number[]> = {};
  const anonymous = async (path: string) => (await t.request('GET', path, { key: null })).body;

  /** A page in a fresh context (cold cache, no storage), watched for errors. */
  async function open(path: string, options: { locale?: string; context?: BrowserContext; timing?: string } = {}): Promise<{ page: Page; context: BrowserContext; errors: string[] }> {
    const context = options.context ?? (await tb.browser.newContext({ viewport: { width: 1400, height: 900 }, locale: options.locale ?? 'zh-CN' }));
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${base}${path}`);
    await pageReady(page);
    if (options.timing) {
      const times = await pageTimes(page);
      (timings[`${options.timing} interactive`] ??= []).push(times.interactive);
      (timings[`${options.timing} charts drawn`] ??= []).push(times.complete);
    }
    return { page, context, errors };
  }

  /** The figures a page shows (`data-figure` → `data-value`) inside `scope`. */
  const shownFigures = (page: Page, scope: string) =>
    page.$$eval(`${scope} [data-figure]`, (els) => Object.fromEntries(els.map((e) => [e.getAttribute('data-figure'), { value: e.getAttribute('data-value'), text: e.textContent ?? '' }])));
  const asShown = (v: number | null) => (v === null ? '' : String(v));
  const digits = (s: string) => s.replace(/[^\d]/g, '');

  beforeAll(async () => {
    t = await startTestApp({ STATISTICS_DEBOUNCE_MS: '20', OUTBOX_POLL_MS: '100', PUBLIC_RATE_LIMIT_MAX: '100000' }, { worker: true });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = t.app.getHttpServer().address() as { port: number };
    base = `http://127.0.0.1:${address.port}`;

    firm = await createOrganization(t, 'hr_firm', '310104', '上海徐汇人力资源服务有限公司');
    shenyangFirm = await createOrganization(t, 'hr_firm', '210102', '沈阳动漫人才服务有限公司');
    bureau = await createOrganization(t, 'bureau', '310000', '上海市人力资源和社会保障局');
    const shenyangBureau = await createOrganization(t, 'bureau', '210000', '辽宁省人力资源和社会保障厅');
    employers = await Promise.all(['310104', '310115', '210102'].map((r, i) => createOrganization(t, 'employer', r, ['上海智算科技有限公司', '浦东数据标注中心', '沈阳原画工作室'][i])));

    xuhui = await createCertifiedBrand(t, firm.key, bureau.key, SEED_BRANDS.xuhuiAiTrainer);
    yangpu = await createCertifiedBrand(t, firm.key, bureau.key, SEED_BRANDS.yangpuCncOperator);
    shenyang = await createCertifiedBrand(t, shenyangFirm.key, shenyangBureau.key, { ...SEED_BRANDS.shenyangAnimationArtist, regionCode: '210102' });
    waiting = await createBrand(t, firm.key, { ...SEED_BRANDS.xuhuiAiTrainer, name: '徐汇数据标注员', occupationCode: '4-04-05-06', occupationName: '数据标注员' });
    expect((await t.request('POST', `/v1/brands/${waiting.id}/submit`, { key: firm.key })).status).toBe(200);

    // Xuhui: 40 people placed over six months at around CNY 170,000 a year; four have left since.
    const placed: Array<{ traineeId: string; placementId: string; monthsAgo: number }> = [];
    let seed = 7;
    const uniform = (): number => (seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647;
    for (let i = 0; i < 40; i++) {
      const salaryFen = Math.round((170_000 + (uniform() + uniform() + uniform() - 1.5) * 45_000) / 500) * 500 * 100;
      const p = await placeNewTrainee(t, firm, employers[i % 2], xuhui.id, { salaryFen, startDate: chinaDate(-200) });
      placed.push({ ...p, monthsAgo: i % 6 });
    }
    // The API confirms placements now; spread them over the last six months as if they had been confirmed then.
    for (const p of placed.filter((x) => x.monthsAgo > 0)) {
      await t.dataSource.query(`UPDATE trainees SET registered_at = registered_at - make_interval(days => $2) WHERE id = $1`, [p.traineeId, p.monthsAgo * 30 + 5]);
      await t.dataSource.query(`UPDATE placements SET confirmed_at = confirmed_at - make_interval(days => $2) WHERE id = $1`, [p.placementId, p.monthsAgo * 30]);
    }
    for (const [i, daysAgo] of [[1, 75], [2, 40], [7, 12], [8, 0]]) await endPlacement(t, employers[i % 2], placed[i].placementId, chinaDate(-daysAgo));
    // Yangpu: three people, too few to publish salaries.
    for (const salaryFen of [9_600_000, 10_800_000, 12_000_000]) await placeNewTrainee(t, firm, employers[1], yangpu.id, { salaryFen });
    // Shenyang: eight animators.
    for (let i = 0; i < 8; i++) await placeNewTrainee(t, shenyangFirm, employers[2], shenyang.id, { salaryFen: (96_000 + i * 6_000) * 100 });

    const calculator = t.app.get(StatisticsCalculator);
    await calculator.recomputeBrand(xuhui.id);
    await eventually(20_000, async () => {
      const [a, b, c] = await Promise.all([xuhui, yangpu, shenyang].map((x) => anonymous(`/v1/public/brands/${x.id}`)));
      return a?.statistics?.activePlacementCount === 36 && a.statistics.endedPlacementCount === 4 && b?.statistics?.activePlacementCount === 3 && c?.statistics?.activePlacementCount === 8 ? true : undefined;
    }, 'figures settled');
    await eventually(20_000, async () => ((await anonymous('/v1/public/regions/310000'))?.activePlacementCount === 39 ? true : undefined), 'region figures');

    tb = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const summary = Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, { runs: v.map((x) => Math.round(x)), medianMs: Math.round([...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]) }]));
    writeFileSync(TIMINGS, JSON.stringify(summary, null, 2));
    console.log(`page complete from a cold cache (ms): ${JSON.stringify(summary)}`);
    await tb?.close();
    await t?.close();
  });

  it('the directory lists the public brands with the figures of the API, in Chinese by default', async () => {
    const { page, context, errors } = await open('/');
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    expect(await page.textContent('h1')).toBe('劳务品牌目录');
    const api = await anonymous('/v1/public/brands?limit=20');
    const rows = await page.$$eval('#brands tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-brand-id')));
    expect(rows).toEqual(api.items.map((i: any) => i.brandId));
    for (const item of api.items) {
      const shown = await shownFigures(page, `tr[data-brand-id="${item.brandId}"]`);
      expect(shown.traineeCount).toEqual({ value: String(item.traineeCount), text: item.traineeCount.toLocaleString('zh-CN') });
      expect(shown.placedTraineeCount.value).toBe(String(item.placedTraineeCount));
      expect(shown.placementRate.value).toBe(asShown(item.placementRate));
      expect(shown.medianAnnualFen.value).toBe(asShown(item.salary.medianAnnualFen));
      if (item.salary.medianAnnualFen !== null) expect(digits(shown.medianAnnualFen.text)).toBe(String(Math.round(item.salary.medianAnnualFen / 100)));
    }
    // The submitted brand is nowhere: not public.
    expect(await page.$(`[data-brand-id="${waiting.id}"]`)).toBeNull();

    // Search, filter and sort through the form: the URL carries them, the list follows.
    await page.fill('#q', '沈阳');
    await Promise.all([page.waitForURL(/q=/), page.click('form.filters button[type=submit]')]);
    await pageReady(page);
    expect(await page.$$eval('#brands tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-brand-id')))).toEqual([shenyang.id]);
    await page.goto(`${base}/?sort=medianAnnualFen&order=desc`);
    await pageReady(page);
    const bySalary = await anonymous('/v1/public/brands?sort=medianAnnualFen&order=desc&limit=20');
    expect(await page.$$eval('#brands tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-brand-id')))).toEqual(bySalary.items.map((i: any) => i.brandId));
    expect(await page.inputValue('#sort')).toBe('medianAnnualFen');

    await page.goto(`${base}/`);
    await pageReady(page);
    expect(await axeViolations(page)).toEqual([]);
    await screenshots(page, 'directory');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a brand page shows its figures, draws its salary distribution and months, lists its history', async () => {
    const { page, context, errors } = await open(`/brands/${xuhui.id}`);
    const api = await anonymous(`/v1/public/brands/${xuhui.id}`);
    expect(await page.textContent('#brand-name')).toBe(api.brand.name);
    const shown = await shownFigures(page, '#figures');
    for (const name of ['traineeCount', 'certifiedTraineeCount', 'placedTraineeCount', 'activePlacementCount', 'endedPlacementCount', 'employerCount']) {
      expect({ name, ...shown[name] }).toEqual({ name, value: String(api.statistics[name]), text: api.statistics[name].toLocaleString('zh-CN') });
    }
    for (const name of ['placementRate', 'certificationRate', 'medianDaysToPlacement', 'retention6mRate', 'retention12mRate']) expect({ name, v: shown[name].value }).toEqual({ name, v: asShown(api.statistics[name]) });
    const salary = await shownFigures(page, '#salary');
    for (const name of ['medianAnnualFen', 'p25AnnualFen', 'p75AnnualFen', 'meanAnnualFen']) {
      expect({ name, v: salary[name].value }).toEqual({ name, v: String(api.statistics.salary[name]) });
      expect(digits(salary[name].text)).toBe(String(Math.round(api.statistics.salary[name] / 100)));
    }
    expect(salary.sampleSize.value).toBe(String(api.statistics.salary.sampleSize));

    // The charts: drawn on a canvas, with the API's data.
    const distribution = await anonymous(`/v1/public/brands/${xuhui.id}/salary-distribution`);
    const months = await anonymous(`/v1/public/brands/${xuhui.id}/placements-by-month`);
    expect(distribution.buckets.length).toBeGreaterThan(2);
    expect(months.items.length).toBeGreaterThanOrEqual(6);
    expect(await page.getAttribute('#distribution-chart', 'data-drawn')).toBe(String(distribution.buckets.length));
    expect(await page.getAttribute('#monthly-chart', 'data-drawn')).toBe(String(months.items.length * 2));
    expect(await paintedPixels(page, '#distribution-chart')).toBeGreaterThan(2000);
    expect(await paintedPixels(page, '#monthly-chart')).toBeGreaterThan(2000);
    const distributionRows = await page.$$eval('#distribution-table tbody tr td', (tds) => tds.map((td) => td.textContent));
    expect(distributionRows).toEqual(distribution.buckets.map((b: any) => String(b.count)));
    const monthRows = await page.$$eval('#monthly-table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => Number(td.textContent))));
    expect(monthRows).toEqual(months.items.map((m: any) => [m.confirmed, m.ended]));

    expect(await page.$$eval('#history tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-action')))).toEqual(api.history.map((d: any) => d.action));
    expect(await page.$('#suppression')).toBeNull();
    expect(await axeViolations(page)).toEqual([]);
    await screenshots(page, 'brand');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a brand with fewer than five salaries explains why they are not shown', async () => {
    const { page, context, errors } = await open(`/brands/${yangpu.id}`);
    expect(await page.textContent('#suppression')).toContain('少于 5 人');
    expect(await page.textContent('#suppression')).toContain('3');
    expect(await page.$('#salary')).toBeNull();
    expect(await page.$('#distribution-hidden')).not.toBeNull();
    expect(await page.$('#monthly-chart canvas')).not.toBeNull();
    expect(await axeViolations(page)).toEqual([]);
    await screenshots(page, 'brand-suppressed');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a region page shows its roll-up and its brands side by side', async () => {
    const { page, context, errors } = await open('/regions/310000');
    const api = await anonymous('/v1/public/regions/310000');
    const shown = await shownFigures(page, '#figures');
    for (const name of ['brandCount', 'traineeCount', 'placedTraineeCount', 'activePlacementCount']) expect({ name, v: shown[name].value }).toEqual({ name, v: String(api[name]) });
    // Yangpu's three salaries are the only suppressed ones in Shanghai: the region minus its visible brands would give
    // their sum, so the public sees the region's salary withheld (complementary suppression), and the page says why.
    expect(api.salary).toMatchObject({ suppressed: true, medianAnnualFen: null });
    expect(shown.medianAnnualFen).toBeUndefined();
    expect(await page.textContent('#suppression')).toContain('本地区薪资数据暂不公布');
    const brands = await anonymous('/v1/public/brands?regionCode=31&sort=placedTraineeCount&order=desc&limit=20');
    expect(await page.$$eval('#brands tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-brand-id')))).toEqual(brands.items.map((i: any) => i.brandId));
    expect(await page.getAttribute('#compare-chart', 'data-drawn')).toBe(String(brands.items.length * 2));
    expect(await paintedPixels(page, '#compare-chart')).toBeGreaterThan(2000);
    expect(await axeViolations(page)).toEqual([]);
    await screenshots(page, 'region');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('switches to English and back, remembers the choice, takes ?lang=en and an English browser', async () => {
    const { page, context, errors } = await open(`/brands/${xuhui.id}`);
    expect(await page.textContent('#figures-title')).toBe('主要数据');
    await page.click('#lang-switch');
    await pageReady(page);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.textContent('#figures-title')).toBe('Key figures');
    expect(await page.textContent('#lang-switch')).toBe('中文');
    await page.reload();
    await pageReady(page);
    expect(await page.textContent('#figures-title')).toBe('Key figures');
    expect(await axeViolations(page)).toEqual([]);
    await screenshots(page, 'brand-en');
    await page.click('#lang-switch');
    await pageReady(page);
    expect(await page.textContent('#figures-title')).toBe('主要数据');
    await page.reload();
    await pageReady(page);
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    expect(errors).toEqual([]);
    await context.close();

    const viaUrl = await open('/regions/310000?lang=en');
    expect(await viaUrl.page.textContent('#rollup-title')).toBe('Region summary');
    await viaUrl.context.close();
    const englishBrowser = await open('/', { locale: 'en-US' });
    expect(await englishBrowser.page.textContent('h1')).toBe('Directory of labor service brands');
    expect(englishBrowser.errors).toEqual([]);
    await englishBrowser.context.close();
    // The server answers an English browser's first request in English already (<html lang>).
    const html = await t.app.inject({ method: 'GET', url: '/', headers: { 'accept-language': 'en-GB,en;q=0.9' } });
    expect(html.body).toContain('<html lang="en">');
  });

  it('a bureau signs in with its key: its jurisdiction unsuppressed, the brands waiting for its decision; the key stays in the tab', async () => {
    const { page, context, errors } = await open('/');
    await page.click('#sign-in');
    await page.fill('#api-key', 'lbk_not_a_real_key_at_all_0000000000');
    await page.click('#sign-in-dialog button[type=submit]');
    await page.waitForSelector('#sign-in-dialog .error:not(:empty)');
    // The refused key was a 401 the page expected; nothing else went wrong.
    expect(errors.filter((e) => !/401/.test(e))).toEqual([]);
    errors.length = 0;
    await page.fill('#api-key', bureau.key);
    await page.click('#sign-in-dialog button[type=submit]');
    await page.waitForSelector('#sign-out');
    await pageReady(page);
    expect(await page.textContent('.who')).toContain('上海市人力资源和社会保障局');
    expect(await page.$$eval('.waiting [data-brand-id]', (els) => els.map((e) => e.getAttribute('data-brand-id')))).toEqual([waiting.id]);
    // Yangpu's three salaries: suppressed for the public, shown to the covering bureau.
    const own = (await t.request('GET', `/v1/brands/${yangpu.id}/statistics`, { key: bureau.key })).body;
    const row = await shownFigures(page, `tr[data-brand-id="${yangpu.id}"]`);
    expect(row.medianAnnualFen.value).toBe(String(own.salary.medianAnnualFen));
    await screenshots(page, 'directory-bureau');

    await page.goto(`${base}/brands/${yangpu.id}`);
    await pageReady(page);
    expect(await page.$('#suppression')).toBeNull();
    expect((await shownFigures(page, '#salary')).medianAnnualFen.value).toBe(String(own.salary.medianAnnualFen));
    await page.goto(`${base}/brands/${waiting.id}`);
    await pageReady(page);
    expect(await page.textContent('#brand-name')).toBe('徐汇数据标注员');
    expect(await axeViolations(page)).toEqual([]);

    // Where the key is: this tab's session storage, nowhere else.
    const storage = await page.evaluate(() => ({ session: JSON.stringify(sessionStorage), local: JSON.stringify(localStorage), cookie: document.cookie, url: location.href }));
    expect(storage.session).toContain(bureau.key);
    expect(storage.local).not.toContain(bureau.key);
    expect(storage.cookie).toBe('');
    expect(storage.url).not.toContain(bureau.key);
    expect((await context.cookies()).length).toBe(0);
    const otherTab = await context.newPage();
    await otherTab.goto(`${base}/`);
    await pageReady(otherTab);
    expect(await otherTab.$('#sign-out')).toBeNull();

    await page.click('#sign-out');
    await pageReady(page);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('measures how soon each page is usable from a cold cache (reported, not limited)', async () => {
    for (let round = 0; round < 5; round++) {
      for (const [name, path] of [['directory', '/'], ['brand', `/brands/${xuhui.id}`], ['region', '/regions/310000']]) {
        const { context, errors } = await open(path, { timing: name });
        expect(errors).toEqual([]);
        await context.close();
      }
    }
    for (const name of ['directory', 'brand', 'region']) expect(timings[`${name} interactive`]).toHaveLength(5);
  });

  it('serves the pages with a strict Content-Security-Policy and their assets compressed and cached for good', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/brands/' + xuhui.id });
    expect(page.statusCode).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.body).not.toMatch(/<script>|<script(?![^>]*\bsrc=)[^>]*>/);
    const script = /<script type="module" src="([^"]+)"/.exec(page.body)?.[1] as string;
    const asset = await t.app.inject({ method: 'GET', url: script, headers: { 'accept-encoding': 'br, gzip' } });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-encoding']).toBe('br');
    expect(asset.headers['cache-control']).toContain('immutable');
    expect((await t.app.inject({ method: 'GET', url: '/brands/not-a-uuid' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/regions/999999' })).statusCode).toBe(404);
  });
});
