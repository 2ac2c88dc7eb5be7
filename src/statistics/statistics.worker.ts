import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Job, Queue, Worker } from 'bullmq';
import { APP_CONFIG, AppConfig } from '../config/config';
import { BullQueues } from '../events/bull-queues';
import { workerOptions } from '../events/bullmq';
import { EventHandlers } from '../events/event-processing';
import { JobSchedules, throttledWarning } from '../events/schedules';
import { DomainEventJob, QUEUES, STATISTICS_JOBS, StatisticsJobData } from '../events/queues';
import { Metrics } from '../health/metrics';
import { coveringRegions, StatisticsCalculator } from './statistics.calculator';

/** Region figures may lag a little more (API.md: within 5 s); a longer pause coalesces more brands' changes. */
const REGION_DEBOUNCE_MS = 1000;
/** How often the worker looks for brands whose figures miss an event (one lost with Redis's data, say). */
const RECONCILE_EVERY_MS = 60_000;

/**
 * Keeps the read models fresh: every domain event of a brand schedules one recomputation of that brand, coalesced
 * through BullMQ deduplication (at most one waiting and one running per brand, never two at once), so a burst of
 * thousands of events costs a handful of recomputations and a quiet brand costs none. Each recomputation then
 * schedules its regions the same way. Recomputing is idempotent: re-running it for a redelivered event changes nothing.
 */
@Injectable()
export class StatisticsWorker implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StatisticsWorker.name);
  private worker?: Worker<StatisticsJobData>;
  private schedules?: JobSchedules;

  constructor(
    private readonly calculator: StatisticsCalculator,
    private readonly handlers: EventHandlers,
    private readonly queues: BullQueues,
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private get queue(): Queue<StatisticsJobData> {
    return this.queues.get<StatisticsJobData>(QUEUES.statistics);
  }

  onModuleInit(): void {
    this.handlers.register('*', (event) => this.onEvent(event));
  }

  onApplicationBootstrap(): void {
    this.schedules = new JobSchedules(
      this.queue,
      [
        { name: STATISTICS_JOBS.refreshAll, repeat: { pattern: '5 0 * * *', tz: 'Asia/Shanghai' } },
        { name: STATISTICS_JOBS.reconcile, repeat: { every: RECONCILE_EVERY_MS } },
      ],
      this.logger,
    );
    this.schedules.start();
    this.worker = new Worker<StatisticsJobData>(QUEUES.statistics, (job) => this.process(job), workerOptions(this.config, 4));
    this.worker.on('error', throttledWarning(this.logger, 'statistics worker'));
  }

  async onEvent(event: DomainEventJob): Promise<void> {
    if (event.brandId) await this.scheduleBrand(event.brandId);
  }

  scheduleBrand(brandId: string): Promise<unknown> {
    return this.queue.add(STATISTICS_JOBS.recomputeBrand, { brandId }, {
      deduplication: { id: `brand:${brandId}`, keepLastIfActive: true },
      delay: this.config.statisticsDebounceMs,
    });
  }

  private scheduleRegion(regionCode: string): Promise<unknown> {
    return this.queue.add(STATISTICS_JOBS.recomputeRegion, { regionCode }, {
      deduplication: { id: `region:${regionCode}`, keepLastIfActive: true },
      delay: REGION_DEBOUNCE_MS,
    });
  }

  async process(job: Job<StatisticsJobData>): Promise<unknown> {
    switch (job.name) {
      case STATISTICS_JOBS.recomputeBrand: {
        const { brandId } = job.data as { brandId: string };
        const started = process.hrtime.bigint();
        const region = await this.calculator.recomputeBrand(brandId);
        this.metrics.observeRecompute(Number(process.hrtime.bigint() - started) / 1e9);
        if (region) await Promise.all(coveringRegions(region).map((r) => this.scheduleRegion(r)));
        return { brandId };
      }
      case STATISTICS_JOBS.recomputeRegion: {
        const { regionCode } = job.data as { regionCode: string };
        await this.calculator.recomputeRegion(regionCode);
        return { regionCode };
      }
      case STATISTICS_JOBS.refreshAll: {
        const compacted = await this.calculator.compactTallies();
        return { ...(await this.calculator.refreshTimeDependent()), compacted };
      }
      case STATISTICS_JOBS.reconcile: {
        const stale = await this.calculator.staleBrands();
        await Promise.all(stale.map((brandId) => this.scheduleBrand(brandId)));
        return { rescheduled: stale.length };
      }
      default:
        throw new Error(`unknown statistics job ${job.name}`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.schedules?.stop();
    await this.worker?.close();
  }
}
