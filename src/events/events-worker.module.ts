import { Module } from '@nestjs/common';
import { DomainEventsWorker } from './event-processing';
import { OutboxRelay } from './outbox-relay';

/**
 * The worker role's event backbone: the outbox relay and the domain-events worker. EventHandlers and BullQueues
 * come from CommonModule (global), so domain modules register handlers without importing this module.
 */
@Module({ providers: [OutboxRelay, DomainEventsWorker], exports: [OutboxRelay, DomainEventsWorker] })
export class EventsWorkerModule {}
