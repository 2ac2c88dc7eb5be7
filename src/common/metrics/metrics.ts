import { Injectable } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

const MISNAMED_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** A scrape must answer while Redis or Postgres is away: a gauge that needs one waits this long, then is left out. */
export const SCRAPE_READ_TIMEOUT_MS = 1000;

/** `promise`, or a rejection after `ms`: for the reads of a gauge's collect(). */
export function withinScrapeTime<T>(promise: Promise<T>, ms = SCRAPE_READ_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), ms)))]).finally(() => clearTimeout(timer));
}

/**
 * Prometheus metrics: the process's defaults and the HTTP requests here; each module registers its own figures
 * (the outbox backlog, queue depths, statistics lag and recompute time) in `registry`. The registry is per
 * application instance (not prom-client's global one), so several apps in one test process do not collide.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({ name: 'http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], registers: [this.registry] });
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // prom-client names these gauges `…_total`, a suffix Prometheus reserves for counters (promtool check metrics
    // refuses it); the same counts are `nodejs_active_handles` and `nodejs_active_requests`, kept.
    for (const misnamed of MISNAMED_DEFAULT_METRICS) if (this.registry.getSingleMetric(misnamed)) this.registry.removeSingleMetric(misnamed);
  }

  /** Times every request by its route pattern (never the raw URL, which would explode label cardinality). */
  instrument(fastify: FastifyInstance): void {
    fastify.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      const labels = { method: request.method, route, status: String(reply.statusCode) };
      this.httpRequests.inc(labels);
      this.httpDuration.observe(labels, reply.elapsedTime / 1000);
    });
  }
}
