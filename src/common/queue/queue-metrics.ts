import { Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { Metrics, withinScrapeTime } from '../metrics/metrics';
import { BullQueues } from './bull-queues';
import { QUEUE_NAMES } from './queues';

/** The job states whose counts are exported per queue. */
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/** `queue_jobs{queue,state}`, read from Redis at scrape time. */
@Injectable()
export class QueueMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: Metrics,
    private readonly queues: BullQueues,
  ) {}

  onModuleInit(): void {
    const queues = this.queues;
    new Gauge({
      name: 'queue_jobs',
      help: 'Jobs per queue and state (waiting, active, delayed, failed = dead letters), read from Redis at scrape time',
      labelNames: ['queue', 'state'],
      registers: [this.metrics.registry],
      async collect() {
        this.reset();
        await Promise.all(
          QUEUE_NAMES.map(async (name) => {
            try {
              const counts = await withinScrapeTime(queues.get(name).getJobCounts(...QUEUE_STATES));
              for (const state of QUEUE_STATES) this.set({ queue: name, state }, counts[state] ?? 0);
            } catch {
              // Redis away: no sample rather than a stale one (alert on absent(queue_jobs) or on readiness).
            }
          }),
        );
      },
    });
  }
}
