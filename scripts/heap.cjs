/**
 * The heap ceiling every process of the service starts with (`npm run up`, the benches that measure it; the
 * Dockerfile sets the same in NODE_OPTIONS). Streamed imports and exports keep little alive but allocate fast; with
 * V8's default heap sizing dead objects reach ~250 MB before a collection (bench/export.ts, bench/import.ts), and a
 * busy API at a thousand requests a second grows past 300 MB the same way. NODE_OPTIONS that already set a ceiling
 * win.
 */
/* global module */
const HEAP_CEILING_MB = 160;

function heapFlags(nodeOptions = '') {
  return /--max-old-space-size/.test(nodeOptions) ? [] : [`--max-old-space-size=${HEAP_CEILING_MB}`];
}

module.exports = { HEAP_CEILING_MB, heapFlags };
