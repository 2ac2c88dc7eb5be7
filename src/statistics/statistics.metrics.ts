import { Injectable } from '@nestjs/common';
import { Gauge, Histogram } from 'prom-client';
import { Metrics, withinScrapeTime } from '../common/metrics/metrics';
import { StatisticsRepository } from './statistics.repository';

/** Bounded to the newest events so a scrape stays cheap on a long history. */
const LAG_WINDOW = 100_000;

/** `statistics_recompute_seconds` and `statistics_lag_seconds`. */
@Injectable()
export class StatisticsMetrics {
  readonly recompute: Histogram;

  constructor(metrics: Metrics, statistics: StatisticsRepository) {
    this.recompute = new Histogram({
      name: 'statistics_recompute_seconds',
      help: "Time to recompute one brand's figures from the tallies",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [metrics.registry],
    });
    new Gauge({
      name: 'statistics_lag_seconds',
      help: "Age of the oldest recent domain event not yet reflected in its brand's figures (0 when all are)",
      registers: [metrics.registry],
      async collect() {
        const lag = await withinScrapeTime(statistics.lagSeconds(LAG_WINDOW)).catch(() => null);
        if (lag === null) this.reset();
        else this.set(lag);
      },
    });
  }
}
