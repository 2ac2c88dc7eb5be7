import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { BullQueues } from '../../common/queue/bull-queues';
import { JobHandler, QueueJob } from '../../common/queue/job';
import { QUEUES } from '../../common/queue/queues';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { EventHandlers, type DomainEventJob } from '../../events/event-handlers.service';
import { safeMessage } from '../../common/logging/logger';
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

/** A brand without a scheduled recomputation for this long is quiet: its next one starts at once (not at rest otherwise). */
const QUIET_MS = 500;

/**
 * Keeps the read models fresh: every domain event of a brand schedules one recomputation of that brand, coalesced
 * through BullMQ deduplication (at most one waiting and one running per brand, never two at once), so a burst of
 * thousands of events costs a handful of recomputations and a quiet brand costs none. Each recomputation then
 * schedules its regions the same way. Recomputing is idempotent: re-running it for a redelivered event changes
 * nothing.
 *
 * Scheduled as soon as the outbox relay has moved a batch (EventHandlers.onRelayed, once per brand of the batch),
 * not behind the domain-events queue: under load that queue holds thousands of events, and the figures waited for
 * it. The event's own job remains the guarantee (onRelayed is best effort): it schedules again unless this process
 * already did so after the event was written, i.e. after it committed, so the recomputation that follows sees it.
 * The pause that gathers a burst applies only while a brand is busy; a quiet brand's first event is counted at once.
 */
@Injectable()
export class StatisticsScheduler implements OnModuleInit {
  private readonly logger = new Logger(StatisticsScheduler.name);
  /** Per brand: the newest outbox seq a recomputation was scheduled after, and when. */
  private readonly scheduled = new Map<string, { seq: bigint; at: number }>();

  constructor(
    private readonly handlers: EventHandlers,
    private readonly queues: BullQueues,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.handlers.onRelayed((events) => void this.scheduleRelayed(events));
    this.handlers.register('*', async (event) => {
      if (!event.brandId) return;
      const done = this.scheduled.get(event.brandId);
      if (done && done.seq >= BigInt(event.seq)) return;
      await this.scheduleBrand(event.brandId, BigInt(event.seq));
    });
  }

  private async scheduleRelayed(events: DomainEventJob[]): Promise<void> {
    const newest = new Map<string, bigint>();
    for (const e of events) if (e.brandId && (newest.get(e.brandId) ?? -1n) < BigInt(e.seq)) newest.set(e.brandId, BigInt(e.seq));
    try {
      await Promise.all([...newest].map(([brandId, seq]) => this.scheduleBrand(brandId, seq)));
    } catch (err) {
      // The events' own jobs schedule what this missed.
      this.logger.warn(`scheduling recomputations of a relayed batch: ${safeMessage(err)}`);
    }
  }

  /** `seq`: the newest event (already committed) the recomputation must count, when known. */
  async scheduleBrand(brandId: string, seq = -1n): Promise<unknown> {
    const now = Date.now();
    const last = this.scheduled.get(brandId);
    const quiet = !last || now - last.at > QUIET_MS;
    const job = await this.queues.add(RecomputeBrandJob, { brandId }, { deduplication: { id: `brand:${brandId}`, keepLastIfActive: true }, delay: quiet ? 0 : this.config.statisticsDebounceMs });
    if (!last || seq > last.seq || quiet) this.scheduled.set(brandId, { seq: last && last.seq > seq ? last.seq : seq, at: now });
    if (this.scheduled.size > 10_000) this.scheduled.delete(this.scheduled.keys().next().value as string);
    return job;
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
