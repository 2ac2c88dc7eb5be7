/**
 * How quickly the public pages become usable from a cold cache, against a running service (`npm run up`, with data,
 * e.g. from `npm run demo`): each page is opened BENCH_PAGES_ROUNDS times (default 7) in a fresh browser context
 * (empty cache, no storage) of Debian's chromium, and the script reports the median and worst times from the start
 * of the navigation to
 *   - interactive: the content is in place and usable (figures, tables, links; the pages' `lb-interactive` mark);
 *   - complete: the charts are drawn too (`lb-ready`);
 * and each page's JavaScript, as built (dist/web/manifest.json: raw, gzip, brotli).
 *
 *   npx ts-node --transpile-only -P tsconfig.json bench/pages.ts [base URL, default http://127.0.0.1:3000]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser } from '../test/support/browser';

const base = (process.argv[2] ?? process.env.BENCH_PAGES_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
const rounds = Number(process.env.BENCH_PAGES_ROUNDS ?? 7);

async function main(): Promise<void> {
  const list = (await (await fetch(`${base}/v1/public/brands?limit=1&sort=placedTraineeCount`)).json()) as { items: Array<{ brandId: string; regionCode: string }> };
  if (!list.items.length) throw new Error(`${base} has no public brand: run npm run demo first`);
  const { brandId, regionCode } = list.items[0];
  const pages: Record<string, string> = { directory: '/', brand: `/brands/${brandId}`, region: `/regions/${regionCode.slice(0, 2)}0000` };

  const tb = await launchBrowser();
  const results: Record<string, { interactive: number[]; complete: number[] }> = {};
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [name, path] of Object.entries(pages)) {
        const context = await tb.browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'zh-CN' });
        const page = await context.newPage();
        await page.goto(`${base}${path}`);
        await page.waitForSelector('html[data-ready]', { timeout: 30_000 });
        const times = await page.evaluate(() => ({
          interactive: performance.getEntriesByName('lb-interactive')[0]?.startTime ?? NaN,
          complete: performance.getEntriesByName('lb-ready')[0]?.startTime ?? NaN,
        }));
        (results[name] ??= { interactive: [], complete: [] }).interactive.push(times.interactive);
        results[name].complete.push(times.complete);
        await context.close();
      }
    }
  } finally {
    await tb.close();
  }
  const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'dist', 'web', 'manifest.json'), 'utf8')) as { pages: Record<string, { bytes: number; gzip: number; brotli: number }> };
  const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`;
  console.log(`Pages of ${base}, ${rounds} cold loads each (ms from navigation start):`);
  for (const [name, r] of Object.entries(results)) {
    const js = manifest.pages[name];
    console.log(
      `  ${name.padEnd(10)} interactive median ${Math.round(median(r.interactive))} (worst ${Math.round(Math.max(...r.interactive))}), ` +
        `charts drawn median ${Math.round(median(r.complete))} (worst ${Math.round(Math.max(...r.complete))}); ` +
        `JavaScript ${kb(js.bytes)}, ${kb(js.gzip)} gzip, ${kb(js.brotli)} brotli`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
