import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { QueueWorkers } from './queue-workers';

/** Worker role: runs the `@QueueJob` classes of every module (BullQueues, the producers, come from CommonModule). */
@Module({ imports: [DiscoveryModule], providers: [QueueWorkers] })
export class QueueWorkersModule {}
