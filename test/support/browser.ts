/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Functions passed to page.evaluate run in the browser: they see its globals.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ensureDebianTool } from './debian-packages';

/**
 * A real browser for the page tests: Debian's `chromium`, driven by playwright-core (no browser download). When it
 * is missing it is installed here, with apt-get, as scripts/setup.sh installs PostgreSQL (as root, or with sudo);
 * a font with Chinese glyphs comes with it so that screenshots show the text.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PACKAGES = ['chromium', 'fonts-noto-cjk'];
export const SCREENSHOTS = join(__dirname, '..', '..', '.ci', 'out', 'screenshots');

export function ensureChromium(): string {
  if (process.env.CHROMIUM_PATH && !existsSync(CHROMIUM)) throw new Error(`CHROMIUM_PATH=${CHROMIUM} does not exist`);
  return ensureDebianTool(CHROMIUM, PACKAGES, 'the browser tests');
}

export interface TestBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const executablePath = ensureChromium();
  const profile = mkdtempSync(join(tmpdir(), 'lb-chromium-'));
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
    env: { ...process.env, HOME: profile, XDG_CONFIG_HOME: profile, XDG_CACHE_HOME: profile },
  });
  return {
    browser,
    async close() {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What went wrong in a page: console errors, uncaught exceptions, failed requests, CSP violations. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') errors.push(`console.${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  page.on('requestfailed', (req) => errors.push(`request failed: ${req.url()} ${req.failure()?.errorText ?? ''}`));
  page.on('response', (res) => {
    if (res.status() >= 400) errors.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  return errors;
}

/** Runs axe-core in the page (evaluated through the debugger protocol, so the page's CSP does not block it). */
export async function axeViolations(page: Page, impacts: string[] = ['serious', 'critical']): Promise<Array<{ id: string; impact: string; help: string; nodes: string[] }>> {
  const source = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  const results = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }> }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  return results.filter((v) => impacts.includes(v.impact));
}

/** Waits for the page's script to finish (data shown, charts drawn): `<html data-ready>`. */
export async function pageReady(page: Page): Promise<void> {
  await page.waitForSelector('html[data-ready]', { timeout: 30_000 });
}

/**
 * Milliseconds from the start of the navigation to the page's content being in place and usable (`lb-interactive`:
 * figures, tables, links) and to its being complete (`lb-ready`: charts drawn too).
 */
export async function pageTimes(page: Page): Promise<{ interactive: number; complete: number }> {
  return page.evaluate(() => ({
    interactive: performance.getEntriesByName('lb-interactive').slice(-1)[0]?.startTime ?? NaN,
    complete: performance.getEntriesByName('lb-ready').slice(-1)[0]?.startTime ?? NaN,
  }));
}

export async function screenshots(page: Page, name: string): Promise<string[]> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const written: string[] = [];
  for (const [w, hgt] of [
    [1400, 900],
    [390, 844],
  ]) {
    await page.setViewportSize({ width: w, height: hgt });
    // Charts follow their container's size (a ResizeObserver): let a few frames pass for them to redraw.
    await page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(() => resolve())))));
    const path = join(SCREENSHOTS, `${name}-${w}x${hgt}.png`);
    await page.screenshot({ path, fullPage: true });
    written.push(path);
  }
  await page.setViewportSize({ width: 1400, height: 900 });
  return written;
}

/** Pixels of a canvas inside `selector` that are not blank: a drawn chart has many. */
export async function paintedPixels(page: Page, selector: string): Promise<number> {
  return page.evaluate((sel) => {
    const canvas = document.querySelector(`${sel} canvas`) as HTMLCanvasElement | null;
    if (!canvas) return 0;
    const ctx = canvas.getContext('2d');
    if (!ctx) return 0;
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
    return painted;
  }, selector);
}
