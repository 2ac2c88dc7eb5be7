import { Injectable } from '@nestjs/common';
import { eventTypeMatches, isEventTypePattern } from './event-types.rules';

export { eventTypeMatches };

/**
 * The payload of a `domain-events` job: one outbox row. The job's name is `type` and its id is `id`, so the
 * queue never holds two jobs for one event. Delivery is at least once (see OutboxRelay), in roughly but not
 * strictly `seq` order, so every handler must be idempotent and must not rely on order alone.
 */
export interface DomainEventJob {
  /** The event id (uuid); also the job id. */
  id: string;
  /** The outbox sequence number (a bigint, as a decimal string): increases with insertion, not with commit. */
  seq: string;
  /** `<aggregate>.<past-tense verb>`, e.g. `placement.confirmed`. */
  type: string;
  aggregateType: string;
  aggregateId: string;
  brandId: string | null;
  /** Ids and facts only, never personal data. */
  data: Record<string, unknown>;
  actorOrganizationId: string | null;
  /** ISO 8601 instant (UTC) the event was written. */
  occurredAt: string;
}

/**
 * Handles one domain event. Must be idempotent: an event can arrive more than once (see OutboxRelay), a failed
 * job is retried with every matching handler run again, and a job whose worker died is run again.
 */
export type DomainEventHandler = (event: DomainEventJob) => Promise<void>;

/**
 * Where modules register what they do with events, in both roles (registering costs nothing where no worker
 * runs), typically in their `onModuleInit`:
 *
 *   constructor(private readonly eventHandlers: EventHandlers) {}
 *   onModuleInit() { this.eventHandlers.register('placement.*', (e) => this.applyPlacementEvent(e)); }
 *
 * The worker role's queue workers start after every onModuleInit, so no event misses a handler.
 */
@Injectable()
export class EventHandlers {
  private readonly entries: Array<{ pattern: string; handler: DomainEventHandler }> = [];
  private readonly relayListeners: Array<(events: DomainEventJob[]) => void> = [];

  /**
   * Also told, in the worker role, of every batch the outbox relay has just moved to the queue (after its commit),
   * before any handler runs it: for work that gains from seeing events together and soon. At most once and best
   * effort (a listener must not throw, and whatever it must not miss it finds in the outbox itself).
   */
  onRelayed(listener: (events: DomainEventJob[]) => void): void {
    this.relayListeners.push(listener);
  }

  /** Called by the outbox relay after a batch committed. */
  relayed(events: DomainEventJob[]): void {
    for (const listener of this.relayListeners) listener(events);
  }

  register(pattern: string, handler: DomainEventHandler): void {
    if (!isEventTypePattern(pattern)) throw new Error(`invalid event pattern "${pattern}": use *, <prefix>.* or an exact type`);
    this.entries.push({ pattern, handler });
  }

  /** The handlers for an event type, in registration order. */
  matching(type: string): DomainEventHandler[] {
    return this.entries.filter((e) => eventTypeMatches(e.pattern, type)).map((e) => e.handler);
  }
}
