import { Inject, Injectable, Logger } from '@nestjs/common';
import { JobHandler, QueueJob } from '../common/queue/job';
import { QUEUES } from '../common/queue/queues';
import { APP_CONFIG, AppConfig } from '../config/config';
import { comingMonths } from '../database/month-partitions';
import { archiveCutoff } from '../database/months';
import { AuditRepository } from './audit.repository';

/**
 * Every six hours: the audit log's partitions for this month and the next two. Months past AUDIT_RETENTION_MONTHS
 * are reported, not archived (see PrepareOutboxPartitionsJob: the archive is `npm run archive`, run where its files
 * are kept).
 */
@QueueJob({ queue: QUEUES.maintenance, name: 'prepare-audit-partitions', schedule: { every: 6 * 3_600_000 } })
@Injectable()
export class PrepareAuditPartitionsJob implements JobHandler<Record<string, never>> {
  private readonly logger = new Logger(PrepareAuditPartitionsJob.name);

  constructor(
    private readonly entries: AuditRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async handle(): Promise<{ made: string[]; pastRetention: string[] }> {
    const made = await this.entries.prepareMonths(comingMonths());
    const cutoff = archiveCutoff(new Date(), this.config.auditRetentionMonths);
    const pastRetention = (await this.entries.months()).filter((m) => m < cutoff);
    if (pastRetention.length) this.logger.log(`audit log months past retention, to archive (npm run archive): ${pastRetention.join(', ')}`);
    return { made, pastRetention };
  }
}
