import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { Actor } from '../common/auth/actor';

export interface DomainEvent {
  type: string;
  aggregateType: string;
  aggregateId: string;
  brandId: string | null;
  data: Record<string, unknown>;
}

/** Postgres channel the relay listens on; NOTIFY is delivered at commit, so the relay never sees uncommitted rows. */
export const OUTBOX_CHANNEL = 'outbox_events';

export interface AppendedEvent {
  id: string;
  seq: string;
  occurredAt: Date;
}

/** The one writer of the outbox. Always called with the transaction of the change the events describe. */
@Injectable()
export class Outbox {
  async append(manager: EntityManager, actor: Actor | null, events: DomainEvent[]): Promise<AppendedEvent[]> {
    if (events.length === 0) return [];
    // One round trip: the rows and the wake-up call together (Postgres folds the identical notifications of a
    // transaction into one, delivered at commit).
    const rows: AppendedEvent[] = await manager.query(
      `WITH appended AS (
         INSERT INTO outbox_events (brand_id, aggregate_type, aggregate_id, type, data, actor_organization_id)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::jsonb[], $6::uuid[])
         RETURNING id, seq, occurred_at)
       SELECT id, seq, occurred_at AS "occurredAt", pg_notify('${OUTBOX_CHANNEL}', '') AS notified FROM appended`,
      [
        events.map((e) => e.brandId),
        events.map((e) => e.aggregateType),
        events.map((e) => e.aggregateId),
        events.map((e) => e.type),
        events.map((e) => JSON.stringify(e.data)),
        events.map(() => actor?.organizationId ?? null),
      ],
    );
    return rows;
  }
}
