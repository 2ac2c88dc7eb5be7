import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { WRITING_TRANSACTION_SQL } from './outbox.fragments';

/**
 * The transactional outbox: every domain event is inserted in the transaction of the change it describes, and
 * the relay moves undelivered rows to BullMQ. `seq` orders events; `id` is the public event id and the job id.
 * Partitioned by month of `occurred_at` (migration MonthPartitions), so the key is (id, occurred_at) and `seq`'s
 * index is not unique: a unique index across partitions must include the partition key.
 */
@Entity('outbox_events')
@Index('ix_outbox_undelivered', ['seq'], { where: 'delivered_at IS NULL' })
@Index('ix_outbox_aggregate', ['aggregateId', 'seq'])
// The statistics stamp each brand's figures with its newest event.
@Index('ix_outbox_brand', ['brandId', 'seq'])
// The event feed and the webhook fan-out read in (transaction, seq) order.
@Index('ix_outbox_xid', ['xid', 'seq'])
export class OutboxEvent {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('ix_outbox_seq')
  @Column({ type: 'bigint', generated: 'increment' })
  seq: string;

  /** Kept on every event so a sharded deployment can route by brand. */
  @Column({ type: 'uuid', nullable: true })
  brandId: string | null;

  @Column({ type: 'text' })
  aggregateType: string;

  @Column({ type: 'uuid' })
  aggregateId: string;

  /** `<aggregate>.<past-tense verb>`, e.g. `brand.certified`, `placement.confirmed`. */
  @Column({ type: 'text' })
  type: string;

  /** Ids and facts only, never personal data. */
  @Column({ type: 'jsonb', default: {} })
  data: Record<string, unknown>;

  @Column({ type: 'uuid', nullable: true })
  actorOrganizationId: string | null;

  /** The partition key: whole months of events are archived and dropped together (`npm run archive`). */
  @PrimaryColumn({ type: 'timestamptz', precision: 3, default: () => 'clock_timestamp()' })
  occurredAt: Date;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  deliveredAt: Date | null;

  /**
   * The id of the transaction that wrote the event (`pg_current_xact_id()`, an xid8, kept as a bigint), set by
   * the column default so every writer, the one-statement confirmation included, records it. `seq` is taken
   * before commit and transactions commit out of order; the feed and the webhook fan-out read in (xid, seq)
   * order and never past the oldest transaction still running, so no event is passed over before it commits.
   */
  @Column({ type: 'bigint', default: () => WRITING_TRANSACTION_SQL, insert: false, update: false, select: false })
  xid?: string;
}
