import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { addressRateLimitHook, AddressRateLimiter } from '../common/auth/address-rate-limit';
import { validateRegionCode } from '../common/identifiers/region-code';
import { msg } from '../common/i18n/message';
import { notFound, ProblemError } from '../common/problems/problem';
import { sendProblem } from '../common/problems/problem.filter';
import { chooseLanguage, firstAcceptedLanguage, HTML_LANG } from './language.rules';
import { brandDataPaths, directoryListPath, directoryState, OCCUPATIONS_PATH, regionBrandsPath } from './page-data.rules';

/**
 * The public website (API.md, Public pages), served by the API role: one HTML page for every stable URL — `/` (the
 * directory of brands), `/brands/:id`, `/regions/:regionCode` — whose script (built from web/ by `npm run build`
 * into dist/web) reads the public JSON routes and draws the page. Everything it needs is served from here
 * (`/assets/*`, content-hashed, cached for a year, precompressed), so the pages work on an intranet.
 *
 * The pages' Content-Security-Policy allows only this origin's scripts and styles: no inline script or style.
 */

/** The build's description of itself (web/build.mjs): the entry script and stylesheet, and what to preload. */
export interface WebManifest {
  script: string;
  stylesheet: string;
  preload: string[];
  /** The chunks of the charts, loaded on demand by the pages that draw charts. */
  charts: string[];
}

export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The folder holding package.json above `from`: the clone, whether running from src/ (ts-node, jest) or dist/. */
export function projectRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return from;
  }
}

export const WEB_BUILD_DIR = join(projectRoot(), 'dist', 'web');

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page every stable URL answers: the script builds the rest. */
/** What one page needs besides the script: the charts' chunks, and the public JSON it will read (preloaded). */
export interface PageNeeds {
  charts?: boolean;
  data?: string[];
}

export function pageHtml(manifest: WebManifest, lang: 'zh' | 'en', needs: PageNeeds = {}): string {
  const title = lang === 'en' ? 'Labor service brands' : '劳务品牌';
  const noscript = lang === 'en' ? 'These pages need JavaScript.' : '本页面需要启用 JavaScript。';
  return `<!doctype html>
<html lang="${HTML_LANG[lang]}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<meta name="description" content="${lang === 'en' ? "China's labor service brands: trainees, certification, placements and salaries" : '劳务品牌:培训、认证、就业与薪资数据'}">
<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/${escapeHtml(manifest.stylesheet)}">
${[...manifest.preload, ...(needs.charts ? manifest.charts : [])].map((p) => `<link rel="modulepreload" href="/${escapeHtml(p)}">`).join('\n')}
${(needs.data ?? []).map((p) => `<link rel="preload" href="${escapeHtml(p)}" as="fetch" crossorigin="anonymous">`).join('\n')}
<script type="module" src="/${escapeHtml(manifest.script)}"></script>
</head>
<body>
<div id="app"><noscript>${noscript}</noscript></div>
</body>
</html>
`;
}

/** Reads the build's manifest, again whenever the file changes (a rebuild while the service runs). */
class ManifestReader {
  private cached: { mtimeMs: number; manifest: WebManifest } | null = null;
  constructor(private readonly path: string) {}

  read(): WebManifest | null {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(this.path).mtimeMs;
    } catch {
      return null;
    }
    if (this.cached?.mtimeMs !== mtimeMs) this.cached = { mtimeMs, manifest: JSON.parse(readFileSync(this.path, 'utf8')) as WebManifest };
    return this.cached.manifest;
  }
}

export interface WebsiteOptions {
  /** The built pages (default dist/web): manifest.json and assets/. */
  buildDir?: string;
  /** Whether a brand is public: only then are its public JSON routes preloaded (they would be 404 otherwise). */
  isPublicBrand?: (id: string) => Promise<boolean>;
}

/** Mounts the pages and their assets on the API's Fastify instance, under the per-address rate limit. */
export async function mountWebsite(fastify: FastifyInstance, limiter: AddressRateLimiter, options: WebsiteOptions = {}): Promise<void> {
  const buildDir = options.buildDir ?? WEB_BUILD_DIR;
  const manifests = new ManifestReader(join(buildDir, 'manifest.json'));
  const onRequest = addressRateLimitHook(limiter);

  const page = (valid: (params: Record<string, string>) => boolean, needsOf: (params: Record<string, string>, query: URLSearchParams) => PageNeeds | Promise<PageNeeds>) => async (request: FastifyRequest, reply: FastifyReply) => {
    const params = request.params as Record<string, string>;
    if (!valid(params)) return sendProblem(notFound(msg('object.page')), request, reply);
    const manifest = manifests.read();
    if (!manifest) {
      return sendProblem(new ProblemError('SERVICE_UNAVAILABLE', msg('error.pagesNotBuilt')), request, reply);
    }
    const query = new URLSearchParams(request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '');
    const lang = chooseLanguage({ query: query.get('lang'), browserFirst: firstAcceptedLanguage(request.headers['accept-language']) });
    const needs = await needsOf(params, query);
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('vary', 'Accept-Language')
      .header('content-security-policy', PAGE_CSP)
      .send(pageHtml(manifest, lang, needs));
  };

  const isPublicBrand = options.isPublicBrand ?? (async () => false);
  fastify.get('/', { onRequest }, page(() => true, (_, query) => ({ data: [directoryListPath(directoryState((name) => query.get(name))), OCCUPATIONS_PATH] })));
  fastify.get(
    '/brands/:id',
    { onRequest },
    page(
      (p) => UUID.test(p.id),
      async (p) => {
        const id = p.id.toLowerCase();
        return { data: (await isPublicBrand(id)) ? Object.values(brandDataPaths(id)) : [] };
      },
    ),
  );
  // The region's own figures are not preloaded: a signed-in bureau reads them through its key.
  fastify.get('/regions/:regionCode', { onRequest }, page((p) => validateRegionCode(p.regionCode).ok, (p) => ({ data: [regionBrandsPath(p.regionCode)] })));

  // In a scope of its own, so that the limit's hook applies to the assets and nothing else.
  await fastify.register(async (scope) => {
    scope.addHook('onRequest', onRequest);
    await scope.register(fastifyStatic, {
      root: join(buildDir, 'assets'),
      prefix: '/assets/',
      decorateReply: false,
      preCompressed: true,
      index: false,
      cacheControl: false,
      // Names carry a hash of the content (a new build, new names): cached for good. The rest (the icon) briefly.
      setHeaders: (res, path) => {
        void res.header('cache-control', /-[A-Z0-9]{8}\.(js|css)(\.(br|gz))?$/.test(path) ? 'public, max-age=31536000, immutable' : 'public, max-age=300');
      },
    });
  });
}
