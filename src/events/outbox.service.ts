import { Injectable } from '@nestjs/common';
import type { Actor } from '../common/auth/actor';
import type { Db } from '../database/repository';
import { afterCommit } from '../database/transactions';
import { OutboxRepository, type OutboxRow } from './outbox.repository';

export interface DomainEvent {
  type: string;
  aggregateType: string;
  aggregateId: string;
  brandId: string | null;
  /** Ids and facts only, never personal data. */
  data: Record<string, unknown>;
}

export interface AppendedEvent {
  id: string;
  seq: string;
  occurredAt: Date;
}

export type StoredEvent = OutboxRow;

/** Wake-ups of one process are gathered over this many milliseconds into one NOTIFY. */
const WAKE_COALESCE_MS = 2;

/** The one writer of the outbox. Always called with the transaction of the change the events describe. */
@Injectable()
export class Outbox {
  private wakePending = false;

  constructor(private readonly events: OutboxRepository) {}

  async append(m: Db, actor: Actor | null, events: DomainEvent[]): Promise<AppendedEvent[]> {
    if (events.length === 0) return [];
    const rows = await this.events.append(m, events.map((e) => ({ ...e, actorOrganizationId: actor?.organizationId ?? null })));
    afterCommit(m, () => this.wake());
    return rows;
  }

  /** One aggregate's events after an outbox position (`seq`), oldest first: the timelines of the API. */
  timeline(aggregateType: string, aggregateId: string, afterSeq: string, limit: number): Promise<StoredEvent[]> {
    return this.events.timeline(aggregateType, aggregateId, afterSeq, limit);
  }

  /**
   * Tells the relays that events are waiting. A NOTIFY inside the writing transaction would serialise every
   * commit on Postgres's notification queue lock (a quarter of the confirmation throughput, measured); sent
   * after the commit, at most one per WAKE_COALESCE_MS from this process, it costs next to nothing. A lost
   * wake-up only delays delivery to the relay's next poll. Writers outside `inTransaction` call it themselves
   * after their statement.
   */
  wake(): void {
    if (this.wakePending) return;
    this.wakePending = true;
    setTimeout(() => {
      this.wakePending = false;
      this.events.notify().catch(() => undefined);
    }, WAKE_COALESCE_MS).unref();
  }
}
