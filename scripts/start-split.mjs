#!/usr/bin/env node
/**
 * `npm run up` on one machine: the API and the workers as two processes of the same build (ROLE=api, ROLE=worker),
 * so the statistics recomputations and the outbox relay do not queue behind HTTP requests on one event loop
 * (bench/RESULTS.md). The API starts first (it migrates); the worker once the API is ready, its metrics listener
 * on METRICS_PORT + 1. SIGINT/SIGTERM go to both; when either ends, the other is stopped and this process exits
 * with the first one's code.
 */
/* global process, fetch, setTimeout */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import heapModule from './heap.cjs';

const { heapFlags } = heapModule;

const main = join(import.meta.dirname, '..', 'dist', 'src', 'main.js');
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST && process.env.HOST !== '0.0.0.0' && process.env.HOST !== '::' ? process.env.HOST : '127.0.0.1';
const metricsPort = Number(process.env.METRICS_PORT ?? 9464);
const children = [];
let exitCode;
let stopping = false;

// Each process gets the heap ceiling (scripts/heap.cjs). Both count in the connection budget the API checks at start-up.
const heap = heapFlags(process.env.NODE_OPTIONS);
const shared = { DATABASE_EXPECTED_PROCESSES: process.env.DATABASE_EXPECTED_PROCESSES ?? '2' };

function run(env) {
  const child = spawn(process.execPath, [...heap, main], { stdio: 'inherit', env: { ...process.env, ...shared, ...env } });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (exitCode === undefined) exitCode = code ?? (signal ? 1 : 0);
    stopping = true;
    for (const other of children) if (other !== child && other.exitCode === null && other.signalCode === null) other.kill('SIGTERM');
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(exitCode);
  });
}

async function ready() {
  for (const deadline = Date.now() + 300_000; Date.now() < deadline && !stopping; ) {
    try {
      if ((await fetch(`http://${host}:${port}/health/ready`)).ok) return true;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopping = true;
    for (const c of children) if (c.exitCode === null) c.kill(signal);
  });
}

run({ ROLE: 'api' });
ready().then((ok) => {
  if (ok) run({ ROLE: 'worker', RUN_MIGRATIONS: 'false', METRICS_PORT: String(metricsPort === 0 ? 0 : metricsPort + 1) });
  else if (!stopping) children[0].kill('SIGTERM');
});
