import { Global, Module } from '@nestjs/common';
import { AdminQueuesController } from './admin-queues.controller';
import { DomainEventsJob } from './domain-events.job';
import { EventHandlers } from './event-handlers.service';
import { FailedJobs } from './failed-jobs';
import { OutboxMetrics } from './outbox-metrics';
import { PrepareOutboxPartitionsJob } from './outbox-partitions.job';
import { OutboxRelay } from './outbox-relay';
import { OutboxRepository } from './outbox.repository';
import { Outbox } from './outbox.service';

/**
 * The event backbone: the outbox every module writes its events to (in the change's transaction), and the
 * registry of what modules do with them. Global, since every module writes events.
 */
@Global()
@Module({
  providers: [OutboxRepository, Outbox, EventHandlers, DomainEventsJob, OutboxMetrics, PrepareOutboxPartitionsJob],
  exports: [OutboxRepository, Outbox, EventHandlers],
})
export class EventsModule {}

/** Worker role: the relay that moves committed events to the `domain-events` queue. */
@Module({ providers: [OutboxRelay], exports: [OutboxRelay] })
export class EventsWorkerModule {}

/** API role: the dead letters of the queues as JSON (the dashboard is mounted in app.factory.ts). */
@Module({ controllers: [AdminQueuesController], providers: [FailedJobs] })
export class EventsAdminModule {}
