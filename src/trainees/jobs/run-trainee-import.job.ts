import { Injectable } from '@nestjs/common';
import { BullQueues } from '../../common/queue/bull-queues';
import { JobHandler, QueueJob } from '../../common/queue/job';
import { QUEUES } from '../../common/queue/queues';
import { TraineeImportsService, type ImportRuns } from '../imports/trainee-imports.service';

export interface RunTraineeImportData {
  importId: string;
}

/**
 * Runs an import to its end (TraineeImportsService.run). Job id = the import's id, so an import is queued once
 * at a time; a run killed mid-import is put back by BullMQ's stalled check and resumes from its checkpoint.
 */
@QueueJob({ queue: QUEUES.traineeImports, name: 'run' })
@Injectable()
export class RunTraineeImportJob implements JobHandler<RunTraineeImportData> {
  constructor(private readonly imports: TraineeImportsService) {}

  async handle({ importId }: RunTraineeImportData): Promise<void> {
    await this.imports.run(importId);
  }
}

/** Unfinished imports nobody has moved for a minute (their job lost with Redis, or dead-lettered) are queued again. */
@QueueJob({ queue: QUEUES.traineeImports, name: 'requeue-stalled', schedule: { every: 30_000 } })
@Injectable()
export class RequeueStalledImportsJob implements JobHandler<Record<string, never>> {
  constructor(private readonly imports: TraineeImportsService) {}

  async handle(): Promise<{ requeued: number }> {
    return { requeued: await this.imports.requeueStalled(60) };
  }
}

/** How the imports service queues a run: one job per import (by id); a failed or finished job is replaced. */
@Injectable()
export class BullImportRuns implements ImportRuns {
  constructor(private readonly queues: BullQueues) {}

  async queue(importId: string): Promise<void> {
    const kind = RunTraineeImportJob;
    const queue = this.queues.get<RunTraineeImportData>(QUEUES.traineeImports);
    const existing = await queue.getJob(importId);
    if (existing) {
      const state = await existing.getState();
      if (state !== 'failed' && state !== 'completed') return;
      await existing.remove().catch(() => undefined);
    }
    await this.queues.add(kind, { importId }, { jobId: importId, attempts: 20, backoff: { type: 'exponential', delay: 1000 } });
  }
}
