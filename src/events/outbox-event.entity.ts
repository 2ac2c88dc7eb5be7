import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The transactional outbox: every domain event is inserted in the transaction of the change it describes, and
 * the relay moves undelivered rows to BullMQ. `seq` orders events; `id` is the public event id and the job id.
 */
@Entity('outbox_events')
@Index('ix_outbox_undelivered', ['seq'], { where: 'delivered_at IS NULL' })
@Index('ix_outbox_aggregate', ['aggregateId', 'seq'])
// The statistics stamp each brand's figures with its newest event.
@Index('ix_outbox_brand', ['brandId', 'seq'])
export class OutboxEvent {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index('ux_outbox_seq', { unique: true })
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

  @Column({ type: 'timestamptz', precision: 3, default: () => 'clock_timestamp()' })
  occurredAt: Date;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  deliveredAt: Date | null;
}
