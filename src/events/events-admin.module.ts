import { Module } from '@nestjs/common';
import { AdminQueuesController } from './admin-queues.controller';
import { FailedJobs } from './failed-jobs';

/** The api role's view of the queues: the dead-letter routes (the dashboard is mounted in app.factory.ts). */
@Module({ controllers: [AdminQueuesController], providers: [FailedJobs] })
export class EventsAdminModule {}
