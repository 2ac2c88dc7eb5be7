import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { BullQueues } from '../../common/queue/bull-queues';
import { JobHandler, QueueJob } from '../../common/queue/job';
import { QUEUES } from '../../common/queue/queues';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { EventHandlers } from '../../events/event-handlers.service';
import { coveringRegions, StatisticsCalculator } from '../statistics.calculator';
import { StatisticsMetrics } from '../statistics.metrics';

/** Region figures may lag a little more (API.md: within 5 s); a longer pause coalesces more brands' changes. */
const REGION_DEBOUNCE_MS = 1000;

export interface RecomputeBrandData {
  brandId: string;
}

export interface RecomputeRegionData {
  regionCode: string;
}

/**
 * Keeps the read models fresh: every domain event of a brand schedules one recomputation of that brand, coalesced
 * through BullMQ deduplication (at most one waiting and one running per brand, never two at once), so a burst of
 * thousands of events costs a handful of recomputations and a quiet brand costs none. Each recomputation then
 * schedules its regions the same way. Recomputing is idempotent: re-running it for a redelivered event changes
 * nothing.
 */
@Injectable()
export class StatisticsScheduler implements OnModuleInit {
  constructor(
    private readonly handlers: EventHandlers,
    private readonly queues: BullQueues,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.handlers.register('*', async (event) => {
      if (event.brandId) await this.scheduleBrand(event.brandId);
    });
  }

  scheduleBrand(brandId: string): Promise<unknown> {
    return this.queues.add(RecomputeBrandJob, { brandId }, { deduplication: { id: `brand:${brandId}`, keepLastIfActive: true }, delay: this.config.statisticsDebounceMs });
  }

  scheduleRegion(regionCode: string): Promise<unknown> {
    return this.queues.add(RecomputeRegionJob, { regionCode }, { deduplication: { id: `region:${regionCode}`, keepLastIfActive: true }, delay: REGION_DEBOUNCE_MS });
  }
}

/** One brand's figures, then its regions scheduled. */
@QueueJob({ queue: QUEUES.statistics, name: 'recompute-brand' })
@Injectable()
export class RecomputeBrandJob implements JobHandler<RecomputeBrandData> {
  constructor(
    private readonly calculator: StatisticsCalculator,
    private readonly scheduler: StatisticsScheduler,
    private readonly metrics: StatisticsMetrics,
  ) {}

  async handle({ brandId }: RecomputeBrandData): Promise<RecomputeBrandData> {
    const stop = this.metrics.recompute.startTimer();
    const region = await this.calculator.recomputeBrand(brandId);
    stop();
    if (region) await Promise.all(coveringRegions(region).map((r) => this.scheduler.scheduleRegion(r)));
    return { brandId };
  }
}

/** One region's figures over its public brands. */
@QueueJob({ queue: QUEUES.statistics, name: 'recompute-region' })
@Injectable()
export class RecomputeRegionJob implements JobHandler<RecomputeRegionData> {
  constructor(private readonly calculator: StatisticsCalculator) {}

  async handle({ regionCode }: RecomputeRegionData): Promise<RecomputeRegionData> {
    await this.calculator.recomputeRegion(regionCode);
    return { regionCode };
  }
}
