import { Injectable } from '@nestjs/common';
import { JobHandler, QueueJob } from '../../common/queue/job';
import { QUEUES } from '../../common/queue/queues';
import { BrandsService } from '../brands.service';

/** Every 30 s: records `expired` for brands past validUntil (API.md asks for it within a minute). */
@QueueJob({ queue: QUEUES.maintenance, name: 'expire-brands', schedule: { every: 30_000 } })
@Injectable()
export class ExpireBrandsJob implements JobHandler<Record<string, never>> {
  constructor(private readonly brands: BrandsService) {}

  async handle(): Promise<{ expired: number }> {
    return { expired: await this.brands.expireDue() };
  }
}
