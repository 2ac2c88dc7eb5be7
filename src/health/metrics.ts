import { Injectable } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { BullQueues, QUEUE_NAMES } from '../events/bull-queues';

/** The job states whose counts are exported per queue. */
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
/** A scrape must answer while Redis or Postgres is away: the gauges that need it are then left out. */
const QUEUE_COUNT_TIMEOUT_MS = 1000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), ms)))]).finally(() => clearTimeout(timer));
}

/**
 * Prometheus metrics. The registry is per application instance (not prom-client's global one), so several
 * apps in one test process do not collide.
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

  readonly statisticsRecompute = new Histogram({
    name: 'statistics_recompute_seconds',
    help: "Time to recompute one brand's figures from the source tables",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  constructor(dataSource: DataSource, queues: BullQueues) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: 'outbox_backlog_events',
      help: 'Domain events written but not yet relayed to the queue',
      registers: [this.registry],
      async collect() {
        // Postgres away: no sample rather than a failed scrape (readiness reports the outage).
        const row = await withTimeout(
          dataSource.query(`SELECT count(*)::int AS n, COALESCE(EXTRACT(EPOCH FROM now() - min(occurred_at)), 0)::float8 AS age FROM outbox_events WHERE delivered_at IS NULL`),
          QUEUE_COUNT_TIMEOUT_MS,
        ).then((rows: Array<{ n: number; age: number }>) => rows[0], () => null);
        if (!row) {
          this.reset();
          backlogAge.reset();
          return;
        }
        this.set(row.n);
        backlogAge.set(row.age);
      },
    });
    const backlogAge = new Gauge({ name: 'outbox_oldest_undelivered_age_seconds', help: 'Age of the oldest undelivered domain event', registers: [this.registry] });
    new Gauge({
      name: 'statistics_lag_seconds',
      help: "Age of the oldest recent domain event not yet reflected in its brand's figures (0 when all are)",
      registers: [this.registry],
      async collect() {
        // Bounded to the newest 100,000 events so a scrape stays cheap on a long history.
        const row = await withTimeout(dataSource.query(
          `SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(o.occurred_at)), 0)::float8 AS lag
             FROM outbox_events o LEFT JOIN brand_statistics s ON s.brand_id = o.brand_id
            WHERE o.brand_id IS NOT NULL AND o.seq > (SELECT COALESCE(max(seq), 0) - 100000 FROM outbox_events)
              AND o.seq > COALESCE(s.last_event_seq, 0)`,
          ),
          QUEUE_COUNT_TIMEOUT_MS,
        ).then((rows: Array<{ lag: number }>) => rows[0], () => null);
        if (row) this.set(row.lag);
        else this.reset();
      },
    });
    new Gauge({
      name: 'queue_jobs',
      help: 'Jobs per queue and state (waiting, active, delayed, failed = dead letters), read from Redis at scrape time',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        await Promise.all(
          QUEUE_NAMES.map(async (name) => {
            try {
              const counts = await withTimeout(queues.get(name).getJobCounts(...QUEUE_STATES), QUEUE_COUNT_TIMEOUT_MS);
              for (const state of QUEUE_STATES) this.set({ queue: name, state }, counts[state] ?? 0);
            } catch {
              // Redis away: no sample rather than a stale one (alert on absent(queue_jobs) or on readiness).
            }
          }),
        );
      },
    });
  }

  observeRecompute(seconds: number): void {
    this.statisticsRecompute.observe(seconds);
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
