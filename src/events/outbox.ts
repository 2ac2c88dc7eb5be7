import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { afterCommit } from '../database/transactions';
import type { Actor } from '../common/auth/actor';

export interface DomainEvent {
  type: string;
  aggregateType: string;
  aggregateId: string;
  brandId: string | null;
  data: Record<string, unknown>;
}

/** Postgres channel the relays listen on; writers NOTIFY it after their transaction commits. */
export const OUTBOX_CHANNEL = 'outbox_events';

/** Wake-ups of one process are gathered over this many milliseconds into one NOTIFY. */
const WAKE_COALESCE_MS = 2;

export interface AppendedEvent {
  id: string;
  seq: string;
  occurredAt: Date;
}

/** The one writer of the outbox. Always called with the transaction of the change the events describe. */
@Injectable()
export class Outbox {
  private wakePending = false;

  constructor(private readonly dataSource: DataSource) {}

  async append(manager: EntityManager, actor: Actor | null, events: DomainEvent[]): Promise<AppendedEvent[]> {
    if (events.length === 0) return [];
    const rows: AppendedEvent[] = await manager.query(
      `INSERT INTO outbox_events (brand_id, aggregate_type, aggregate_id, type, data, actor_organization_id)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::jsonb[], $6::uuid[])
       RETURNING id, seq, occurred_at AS "occurredAt"`,
      [
        events.map((e) => e.brandId),
        events.map((e) => e.aggregateType),
        events.map((e) => e.aggregateId),
        events.map((e) => e.type),
        events.map((e) => JSON.stringify(e.data)),
        events.map(() => actor?.organizationId ?? null),
      ],
    );
    afterCommit(manager, () => this.wake());
    return rows;
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
      this.dataSource.query(`SELECT pg_notify($1, '')`, [OUTBOX_CHANNEL]).catch(() => undefined);
    }, WAKE_COALESCE_MS).unref();
  }
}
