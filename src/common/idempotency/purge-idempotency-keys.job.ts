import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { JobHandler, QueueJob } from '../queue/job';
import { QUEUES } from '../queue/queues';
import { IdempotencyRepository } from './idempotency.repository';

const BATCH = 5000;

/** Hourly: deletes records past their replay window, in small batches so the purge never holds long locks. */
@QueueJob({ queue: QUEUES.maintenance, name: 'purge-idempotency-keys', schedule: { every: 3_600_000 } })
@Injectable()
export class PurgeIdempotencyKeysJob implements JobHandler<Record<string, never>> {
  constructor(
    private readonly records: IdempotencyRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async handle(): Promise<{ purged: number }> {
    let purged = 0;
    for (;;) {
      const n = await this.records.purgeExpired(this.config.idempotencyTtlHours, BATCH);
      purged += n;
      if (n < BATCH) return { purged };
    }
  }
}
