import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One row per change (and per platform read): append-only, enforced by triggers in the database. Partitioned by
 * month of `occurred_at`; a month leaves only as a whole, archived first (`npm run archive`).
 */
@Entity('audit_log')
@Index('ix_audit_log_object', ['objectType', 'objectId', 'id'])
@Index('ix_audit_log_actor', ['actorOrganizationId', 'id'])
export class AuditEntry {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  /** The partition key, hence part of the primary key. */
  @PrimaryColumn({ type: 'timestamptz', precision: 3, default: () => 'now()' })
  occurredAt: Date;

  /** Null for the system itself (scheduled jobs, bootstrap). */
  @Column({ type: 'uuid', nullable: true })
  actorOrganizationId: string | null;

  @Column({ type: 'uuid', nullable: true })
  actorApiKeyId: string | null;

  /** Dotted verb, e.g. `organization.create`, `brand.certify`, `trainee.erase`, `read`. */
  @Column({ type: 'text' })
  action: string;

  @Column({ type: 'text' })
  objectType: string;

  @Column({ type: 'text', nullable: true })
  objectId: string | null;

  @Column({ type: 'uuid', nullable: true })
  brandId: string | null;

  /** Facts about the change; never personal data (names, identity numbers, phones). */
  @Column({ type: 'jsonb', default: {} })
  details: Record<string, unknown>;
}
