import { Check, Column, Entity, Generated, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { sqlIn } from '../database/sql';
import { BRAND_LEVELS, BRAND_STATUSES, EXPIRING_STATUSES, type BrandLevel, type BrandStatus } from './brand.rules';

@Entity('brands')
@Check('ck_brands_status', sqlIn('status', BRAND_STATUSES))
@Check('ck_brands_level', `level IS NULL OR ${sqlIn('level', BRAND_LEVELS)}`)
@Index('ix_brands_created', ['createdAt', 'id'])
@Index('ix_brands_status_created', ['status', 'createdAt', 'id'])
@Index('ix_brands_region', ['regionCode', 'createdAt'])
@Index('ix_brands_operator', ['operatorId', 'createdAt'])
@Index('ix_brands_occupation', ['occupationCode', 'createdAt'])
@Index('ix_brands_expiry', ['validUntil'], { where: sqlIn('status', EXPIRING_STATUSES) })
// A trigram GIN index on name serves `q` (Chinese included); created by hand in the migration.
@Index('ix_brands_name_trgm', { synchronize: false })
export class Brand {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  name: string;

  /** National occupational classification code, `D-DD-DD-DD`. */
  @Column({ type: 'varchar', length: 10 })
  occupationCode: string;

  @Column({ type: 'text' })
  occupationName: string;

  @Column({ type: 'text' })
  sector: string;

  @Column({ type: 'char', length: 6 })
  regionCode: string;

  /** The HR firm that created and runs the brand. */
  @Column({ type: 'uuid' })
  operatorId: string;

  @ManyToOne('Organization', { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'operator_id', foreignKeyConstraintName: 'fk_brands_operator' })
  operator?: never;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  /** As recorded; readers see `effectiveBrandStatus` (expiry applies before the scheduled job records it). */
  @Column({ type: 'text', default: 'draft' })
  status: BrandStatus;

  /** Reason given with the latest reject, suspend, reinstate or revoke; cleared on submit. */
  @Column({ type: 'text', nullable: true })
  statusReason: string | null;

  @Column({ type: 'text', nullable: true })
  level: BrandLevel | null;

  @Column({ type: 'uuid', nullable: true })
  certifiedById: string | null;

  @ManyToOne('Organization', { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'certified_by_id', foreignKeyConstraintName: 'fk_brands_certified_by' })
  certifiedBy?: never;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  certifiedAt: Date | null;

  /** Last day of validity (inclusive), a civil date in China. */
  @Column({ type: 'date', nullable: true })
  validUntil: string | null;

  @Column({ type: 'int', default: 1 })
  version: number;

  @Column({ type: 'timestamptz', precision: 3, default: () => 'now()' })
  createdAt: Date;

  @Column({ type: 'timestamptz', precision: 3, default: () => 'now()' })
  updatedAt: Date;
}

/** One decision in a brand's life: the history `GET /v1/brands/:id/history` shows. */
@Entity('brand_decisions')
@Index('ix_brand_decisions_brand', ['brandId', 'seq'])
export class BrandDecisionRecord {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  seq: string;

  @Index('ux_brand_decisions_id', { unique: true })
  @Column({ type: 'uuid' })
  @Generated('uuid')
  id: string;

  @Column({ type: 'uuid' })
  brandId: string;

  @ManyToOne('Brand', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'brand_id', foreignKeyConstraintName: 'fk_brand_decisions_brand' })
  brand?: never;

  @Column({ type: 'text' })
  action: string;

  @Column({ type: 'text', nullable: true })
  fromStatus: BrandStatus | null;

  @Column({ type: 'text' })
  toStatus: BrandStatus;

  /** Null for the system (expiry). */
  @Column({ type: 'uuid', nullable: true })
  actorOrganizationId: string | null;

  @Column({ type: 'uuid', nullable: true })
  actorApiKeyId: string | null;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ type: 'timestamptz', precision: 3, default: () => 'now()' })
  at: Date;
}
