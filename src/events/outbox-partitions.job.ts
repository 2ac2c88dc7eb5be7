import { Inject, Injectable, Logger } from '@nestjs/common';
import { JobHandler, QueueJob } from '../common/queue/job';
import { QUEUES } from '../common/queue/queues';
import { APP_CONFIG, AppConfig } from '../config/config';
import { comingMonths } from '../database/month-partitions';
import { archiveCutoff } from '../database/months';
import { OutboxRepository } from './outbox.repository';

/**
 * Every six hours: the outbox's partitions for this month and the next two, so the turn of a month never writes
 * into the default partition. Months past OUTBOX_RETENTION_MONTHS are reported, not archived: the archive writes
 * files that must land on storage an operator chose and keeps, which a worker's own disk is not (`npm run archive`).
 */
@QueueJob({ queue: QUEUES.maintenance, name: 'prepare-outbox-partitions', schedule: { every: 6 * 3_600_000 } })
@Injectable()
export class PrepareOutboxPartitionsJob implements JobHandler<Record<string, never>> {
  private readonly logger = new Logger(PrepareOutboxPartitionsJob.name);

  constructor(
    private readonly events: OutboxRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async handle(): Promise<{ made: string[]; pastRetention: string[] }> {
    const made = await this.events.prepareMonths(comingMonths());
    const cutoff = archiveCutoff(new Date(), this.config.outboxRetentionMonths);
    const pastRetention = (await this.events.months()).filter((m) => m < cutoff);
    if (pastRetention.length) this.logger.log(`outbox months past retention, to archive (npm run archive): ${pastRetention.join(', ')}`);
    return { made, pastRetention };
  }
}
