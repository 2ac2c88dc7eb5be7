import { Injectable } from '@nestjs/common';
import { JobHandler, QueueJob } from '../../common/queue/job';
import { QUEUES } from '../../common/queue/queues';
import { CHINA_TIME_ZONE } from '../../common/time/china-time';
import { StatisticsCalculator } from '../statistics.calculator';
import { StatisticsScheduler } from './recompute.jobs';

/** Daily, just after midnight in China: figures that move with time alone (retention windows, certificate expiry). */
@QueueJob({ queue: QUEUES.statistics, name: 'refresh-all', schedule: { pattern: '5 0 * * *', tz: CHINA_TIME_ZONE } })
@Injectable()
export class RefreshAllJob implements JobHandler<Record<string, never>> {
  constructor(private readonly calculator: StatisticsCalculator) {}

  async handle(): Promise<unknown> {
    const compacted = await this.calculator.compactTallies();
    return { ...(await this.calculator.refreshTimeDependent()), compacted };
  }
}

/**
 * Every minute: brands whose newest event is newer than their figures and older than a few seconds are scheduled
 * again. Covers events whose jobs were lost with Redis's data after the relay marked them delivered.
 */
@QueueJob({ queue: QUEUES.statistics, name: 'reconcile', schedule: { every: 60_000 } })
@Injectable()
export class ReconcileJob implements JobHandler<Record<string, never>> {
  constructor(
    private readonly calculator: StatisticsCalculator,
    private readonly scheduler: StatisticsScheduler,
  ) {}

  async handle(): Promise<{ rescheduled: number }> {
    const stale = await this.calculator.staleBrands();
    await Promise.all(stale.map((brandId) => this.scheduler.scheduleBrand(brandId)));
    return { rescheduled: stale.length };
  }
}
