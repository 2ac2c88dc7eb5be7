import { Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { Metrics, withinScrapeTime } from '../common/metrics/metrics';
import { OutboxRepository } from './outbox.repository';

/** `outbox_backlog_events` and `outbox_oldest_undelivered_age_seconds`, read at scrape time. */
@Injectable()
export class OutboxMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: Metrics,
    private readonly outbox: OutboxRepository,
  ) {}

  onModuleInit(): void {
    // Both gauges are collected at once by a scrape: one read serves both.
    let reading: Promise<{ count: number; oldestAgeSeconds: number } | null> | null = null;
    const read = (): Promise<{ count: number; oldestAgeSeconds: number } | null> => {
      reading ??= withinScrapeTime(this.outbox.backlog())
        .catch(() => null)
        .finally(() => setImmediate(() => (reading = null)));
      return reading;
    };
    // Postgres away: no sample rather than a failed scrape (readiness reports the outage).
    new Gauge({
      name: 'outbox_backlog_events',
      help: 'Domain events written but not yet relayed to the queue',
      registers: [this.metrics.registry],
      async collect() {
        const backlog = await read();
        if (backlog) this.set(backlog.count);
        else this.reset();
      },
    });
    new Gauge({
      name: 'outbox_oldest_undelivered_age_seconds',
      help: 'Age of the oldest undelivered domain event',
      registers: [this.metrics.registry],
      async collect() {
        const backlog = await read();
        if (backlog) this.set(backlog.oldestAgeSeconds);
        else this.reset();
      },
    });
  }
}
