/** Small helpers shared by the bench scripts: statistics over samples, formatting, timing, output. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Nearest-rank percentile (p in 0..100) of an already sorted array. */
export function percentileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

export function latencySummary(latenciesMs: readonly number[]): { p50: number; p95: number; p99: number; max: number; mean: number } {
  const s = Float64Array.from(latenciesMs).sort();
  const arr = Array.from(s);
  const mean = arr.reduce((a, b) => a + b, 0) / (arr.length || 1);
  return { p50: percentileSorted(arr, 50), p95: percentileSorted(arr, 95), p99: percentileSorted(arr, 99), max: arr[arr.length - 1] ?? NaN, mean };
}

export const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : String(n));
export const mb = (kb: number): string => `${(kb / 1024).toFixed(0)} MB`;

/** Positive integer from the environment, or the default. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number (got "${raw}")`);
  return n;
}

export function envFlag(name: string, fallback: boolean): boolean {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  return ['1', 'true', 'yes'].includes(raw.toLowerCase());
}

export function log(message: string): void {
  const t = new Date().toISOString().slice(11, 19);
  console.log(`[${t}] ${message}`);
}

/** The source bench/ directory, also when a script runs compiled from dist/bench (results and the preload live there). */
export const BENCH_DIR = join(__dirname, '..').replace(/([\\/])dist[\\/]bench$/, '$1bench');

/** Writes a result file under bench/results/ and returns its path. */
export function writeResult(name: string, data: unknown): string {
  const dir = join(BENCH_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2));
  return file;
}

/** Runs `fn` on every signal that would end the script, once, so databases and children are cleaned up. */
export function onInterrupt(fn: () => Promise<void>): void {
  let running = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (running) return;
      running = true;
      log(`${signal}: cleaning up`);
      fn().finally(() => process.exit(130));
    });
  }
}
