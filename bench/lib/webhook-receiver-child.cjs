/* global process, require, Buffer */
/**
 * The webhook receiver of bench/webhooks.ts, as a process of its own so that receiving does not slow the load
 * generator: an HTTP server on 127.0.0.1 answering 204 to every POST /hooks/<n>, recording per subscription path
 * and brand the events it got (first arrival) and each delivery's latency from the event's `timestamp` (the time the
 * event was written, Postgres's clock; this machine's clock on arrival). Commands over IPC:
 *   { type: 'reset' }                         start a new phase (forget what was received)
 *   { type: 'stats', brandId }                → { type: 'stats', requests, perPath: { path: distinct events of that brand },
 *                                               lastArrivalMs (of that brand's), latency (of every delivery of the phase) }
 * Prints `listening <port>` on stdout once ready.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const http = require('node:http');

let phase = newPhase();
function newPhase() {
  return { requests: 0, perBrand: new Map(), lastArrivalMs: new Map(), latencies: [] };
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const now = Date.now();
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    phase.requests++;
    const brand = body.data.brandId;
    let perPath = phase.perBrand.get(brand);
    if (!perPath) phase.perBrand.set(brand, (perPath = new Map()));
    let events = perPath.get(req.url);
    if (!events) perPath.set(req.url, (events = new Set()));
    events.add(body.data.eventId);
    phase.lastArrivalMs.set(brand, Math.max(phase.lastArrivalMs.get(brand) ?? 0, now));
    phase.latencies.push(now - Date.parse(body.timestamp));
    res.writeHead(204);
    res.end();
  });
});
server.keepAliveTimeout = 60_000;

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1];
}

process.on('message', (m) => {
  if (m.type === 'reset') {
    phase = newPhase();
    process.send({ type: 'reset' });
  } else if (m.type === 'stats') {
    const sorted = Float64Array.from(phase.latencies).sort();
    const perPath = phase.perBrand.get(m.brandId) ?? new Map();
    process.send({
      type: 'stats',
      requests: phase.requests,
      perPath: Object.fromEntries([...perPath].map(([path, set]) => [path, set.size])),
      lastArrivalMs: phase.lastArrivalMs.get(m.brandId) ?? 0,
      latency: { count: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.length ? sorted[sorted.length - 1] : NaN },
    });
  }
});

server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
