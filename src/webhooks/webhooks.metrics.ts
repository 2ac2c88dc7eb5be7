import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { Metrics, withinScrapeTime } from '../common/metrics/metrics';
import { WebhooksRepository } from './webhooks.repository';

/** Why an attempt failed, as a metric label: a non-2xx answer, no answer (network, timeout), or a refused address. */
export type FailureKind = 'status' | 'network' | 'refused';

/**
 * `webhook_delivery_attempts_total`, `…_successes_total`, `…_failures_total{kind}`, `webhook_delivery_duration_seconds`
 * (each attempt, answered or not), and at scrape time `webhook_deliveries_due` and `webhook_oldest_due_age_seconds`
 * (open deliveries of active subscriptions whose time has come: the backlog).
 */
@Injectable()
export class WebhookMetrics {
  readonly attempts: Counter;
  readonly successes: Counter;
  readonly failures: Counter<'kind'>;
  readonly duration: Histogram;

  constructor(metrics: Metrics, deliveries: WebhooksRepository) {
    const registers = [metrics.registry];
    this.attempts = new Counter({ name: 'webhook_delivery_attempts_total', help: 'Webhook delivery attempts', registers });
    this.successes = new Counter({ name: 'webhook_delivery_successes_total', help: 'Webhook delivery attempts answered with a 2xx', registers });
    this.failures = new Counter({
      name: 'webhook_delivery_failures_total',
      help: 'Failed webhook delivery attempts, by kind: status (a non-2xx answer, 410 included), network (no answer: refused, reset, timed out), refused (the target address is not allowed)',
      labelNames: ['kind'],
      registers,
    });
    this.duration = new Histogram({
      name: 'webhook_delivery_duration_seconds',
      help: 'Time from sending a webhook delivery attempt to its full answer (or its failure)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    let reading: Promise<{ count: number; oldestDueSeconds: number } | null> | null = null;
    const read = (): Promise<{ count: number; oldestDueSeconds: number } | null> => {
      reading ??= withinScrapeTime(deliveries.backlog())
        .catch(() => null)
        .finally(() => setImmediate(() => (reading = null)));
      return reading;
    };
    new Gauge({
      name: 'webhook_deliveries_due',
      help: 'Open webhook deliveries of active subscriptions whose next attempt is due',
      registers,
      async collect() {
        const backlog = await read();
        if (backlog) this.set(backlog.count);
        else this.reset();
      },
    });
    new Gauge({
      name: 'webhook_oldest_due_age_seconds',
      help: 'How long the longest-waiting due webhook delivery has been due',
      registers,
      async collect() {
        const backlog = await read();
        if (backlog) this.set(backlog.oldestDueSeconds);
        else this.reset();
      },
    });
  }

  observe(durationMs: number, failure: FailureKind | null): void {
    this.attempts.inc();
    this.duration.observe(durationMs / 1000);
    if (failure) this.failures.inc({ kind: failure });
    else this.successes.inc();
  }
}
