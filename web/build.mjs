// Builds the public pages (web/src) into dist/web: `node web/build.mjs`, run by `npm run build` and, when the build
// is missing or older than its sources, by the tests' global set-up. The service serves dist/web itself
// (src/dashboard/website.ts): the pages need nothing from outside the intranet.
//
// Output: assets/ with content-hashed scripts (ES modules, split so that ECharts loads only on the pages that draw
// charts), the stylesheet and the icon, each also precompressed (.br, .gz); then manifest.json, written last, which
// names the entry files and records each page's JavaScript size.
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile, copyFile, readdir } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist', 'web');
const ASSETS = join(OUT, 'assets');

export async function buildWeb({ quiet = false } = {}) {
  await rm(OUT, { recursive: true, force: true });
  await mkdir(ASSETS, { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { main: 'web/src/main.ts', styles: 'web/src/styles.css' },
    bundle: true,
    splitting: true,
    format: 'esm',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    minify: true,
    sourcemap: false,
    legalComments: 'eof',
    entryNames: '[name]-[hash]',
    chunkNames: '[name]-[hash]',
    outdir: ASSETS,
    metafile: true,
    logLevel: quiet ? 'error' : 'warning',
    define: { 'process.env.NODE_ENV': '"production"', __DEV__: 'false' },
  });
  await copyFile(join(ROOT, 'web', 'src', 'favicon.svg'), join(ASSETS, 'favicon.svg'));

  const outputs = result.metafile.outputs;
  const rel = (path) => relative(OUT, join(ROOT, path)).split('\\').join('/');
  const entryOf = (entry) => Object.keys(outputs).find((o) => outputs[o].entryPoint === entry);
  const script = entryOf('web/src/main.ts');
  const stylesheet = Object.keys(outputs).find((o) => o.endsWith('.css'));
  const staticImports = (out, seen = new Set()) => {
    for (const i of outputs[out].imports) {
      if (i.kind !== 'import-statement' || seen.has(i.path)) continue;
      seen.add(i.path);
      staticImports(i.path, seen);
    }
    return seen;
  };
  const dynamicImports = (out) => [...new Set([out, ...staticImports(out)].flatMap((o) => outputs[o].imports.filter((i) => i.kind === 'dynamic-import').map((i) => i.path)))];

  const sizes = {};
  for (const name of await readdir(ASSETS)) {
    if (!/\.(js|css|svg)$/.test(name)) continue;
    const file = join(ASSETS, name);
    const raw = await readFile(file);
    const gz = gzipSync(raw, { level: 9 });
    const br = brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } });
    await writeFile(`${file}.gz`, gz);
    await writeFile(`${file}.br`, br);
    sizes[`assets/${name}`] = { bytes: raw.length, gzip: gz.length, brotli: br.length };
  }
  const total = (files) => files.reduce((t, f) => ({ bytes: t.bytes + sizes[f].bytes, gzip: t.gzip + sizes[f].gzip, brotli: t.brotli + sizes[f].brotli }), { bytes: 0, gzip: 0, brotli: 0 });
  const mainFiles = [script, ...staticImports(script)].map(rel);
  const chartFiles = dynamicImports(script).flatMap((d) => [d, ...staticImports(d)]).map(rel);
  const manifest = {
    script: rel(script),
    stylesheet: rel(stylesheet),
    preload: [...staticImports(script)].map(rel),
    // What the pages with charts load on demand (ECharts): the server preloads it on those pages.
    charts: [...new Set(chartFiles)],
    sizes,
    // JavaScript a page loads: the directory the main script only; the brand and region pages also the charts.
    pages: { directory: total(mainFiles), brand: total([...new Set([...mainFiles, ...chartFiles])]), region: total([...new Set([...mainFiles, ...chartFiles])]) },
  };
  await writeFile(join(OUT, 'manifest.json'), JSON.stringify(manifest, null, 2));
  if (!quiet) {
    const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
    for (const [page, s] of Object.entries(manifest.pages)) console.log(`web: ${page} page JavaScript ${kb(s.bytes)} (${kb(s.gzip)} gzip, ${kb(s.brotli)} brotli)`);
  }
  return manifest;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildWeb({ quiet: process.argv.includes('--quiet') }).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
