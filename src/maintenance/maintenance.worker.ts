import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Job, Worker } from 'bullmq';
import { DataSource } from 'typeorm';
import { BrandsService } from '../brands/brands.service';
import { APP_CONFIG, AppConfig } from '../config/config';
import { returnedRows } from '../database/transactions';
import { BullQueues } from '../events/bull-queues';
import { workerOptions } from '../events/bullmq';
import { JobSchedules, throttledWarning } from '../events/schedules';
import { MAINTENANCE_JOBS, MaintenanceJobData, QUEUES } from '../events/queues';

const HOUR_MS = 3_600_000;
const BRAND_EXPIRY_EVERY_MS = 30_000;

/** Worker role: runs scheduled housekeeping. Shutdown waits for the job in hand to finish. */
@Injectable()
export class MaintenanceWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MaintenanceWorker.name);
  private schedules?: JobSchedules;
  private worker?: Worker<MaintenanceJobData>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly brands: BrandsService,
    private readonly queues: BullQueues,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.schedules = new JobSchedules(
      this.queues.get(QUEUES.maintenance),
      [
        { name: MAINTENANCE_JOBS.purgeIdempotencyKeys, repeat: { every: HOUR_MS } },
        { name: MAINTENANCE_JOBS.expireBrands, repeat: { every: BRAND_EXPIRY_EVERY_MS } },
      ],
      this.logger,
    );
    this.schedules.start();
    this.worker = new Worker(QUEUES.maintenance, (job) => this.process(job), workerOptions(this.config, 1));
    this.worker.on('error', throttledWarning(this.logger, 'maintenance worker'));
  }

  async process(job: Job<MaintenanceJobData>): Promise<unknown> {
    switch (job.name) {
      case MAINTENANCE_JOBS.purgeIdempotencyKeys:
        return this.purgeIdempotencyKeys();
      case MAINTENANCE_JOBS.expireBrands:
        return { expired: await this.brands.expireDue() };
      default:
        throw new Error(`unknown maintenance job ${job.name}`);
    }
  }

  /** Deletes records past their replay window in small batches so the purge never holds long locks. */
  async purgeIdempotencyKeys(): Promise<{ purged: number }> {
    let purged = 0;
    for (;;) {
      const rows = returnedRows<unknown>(await this.dataSource.query(
        `DELETE FROM idempotency_keys WHERE ctid IN (
           SELECT ctid FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1) LIMIT 5000)
         RETURNING 1`,
        [this.config.idempotencyTtlHours],
      ));
      purged += rows.length;
      if (rows.length < 5000) return { purged };
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.schedules?.stop();
    await this.worker?.close();
  }
}
