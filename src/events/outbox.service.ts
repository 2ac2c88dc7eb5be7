import { Injectable } from '@nestjs/common';
import type { Actor } from '../common/auth/actor';
import type { Db } from '../database/repository';
import { afterCommit } from '../database/transactions';
import type { SqlCondition } from '../database/sql';
import type { EventColumns } from '../policy/policy';
import { OutboxRepository, type FeedFilter, type OutboxPosition, type OutboxRow, type PositionedRow, type SettledScan } from './outbox.repository';

export type { FeedFilter, OutboxPosition, PositionedRow, SettledScan };

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
   * Events of ended transactions after a position, in (xid, seq) order: a reader that resumes from `next` never
   * passes over an event that commits later (see OutboxEvent.xid). For the webhook fan-out's safety net.
   */
  settledAfter(m: Db | undefined, after: OutboxPosition, limit: number): Promise<SettledScan<PositionedRow>> {
    return this.events.settledAfter(m, after, limit);
  }

  /** The event feed (`GET /v1/events`): settled events in (xid, seq) order that `visible` admits. */
  feed(after: OutboxPosition, filter: FeedFilter, visible: SqlCondition<EventColumns>, limit: number, scan: number): Promise<SettledScan<PositionedRow>> {
    return this.events.feed(after, filter, visible, limit, scan);
  }

  /** Events by id, any order. */
  byIds(ids: string[]): Promise<StoredEvent[]> {
    return ids.length ? this.events.byIds(ids) : Promise.resolve([]);
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
