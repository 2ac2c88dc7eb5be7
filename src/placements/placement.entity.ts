import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Brand } from '../brands/brand.entity';
import { Organization } from '../organizations/organization.entity';
import { Trainee } from '../trainees/trainee.entity';
import type { PlacementStatus, SalaryPeriod } from './placement.rules';

/**
 * A job offered to a trainee by an employer through the brand's operator. At most one proposed or confirmed
 * placement per trainee, enforced by a partial unique index, not only by code.
 */
@Entity('placements')
@Check('ck_placements_status', `status IN ('proposed', 'confirmed', 'rejected', 'withdrawn', 'ended')`)
@Check('ck_placements_salary_period', `salary_period IN ('monthly', 'annual')`)
@Check('ck_placements_salary', `salary_fen > 0 AND annual_salary_fen > 0`)
@Index('ux_placements_open_per_trainee', ['traineeId'], { unique: true, where: `status IN ('proposed', 'confirmed')` })
@Index('ix_placements_trainee', ['traineeId', 'createdAt'])
@Index('ix_placements_brand_created', ['brandId', 'createdAt', 'id'])
@Index('ix_placements_employer_created', ['employerId', 'createdAt', 'id'])
@Index('ix_placements_created', ['createdAt', 'id'])
// The salary figures are order statistics over a brand's active placements: this index hands them over in order.
@Index('ix_placements_active_salary', ['brandId', 'annualSalaryFen'], { where: `status = 'confirmed'` })
@Index('ix_placements_active_uplift', ['brandId', 'upliftPct'], { where: `status = 'confirmed' AND uplift_pct IS NOT NULL` })
@Index('ix_placements_first_confirmation', ['brandId', 'daysToPlacement'], { where: `days_to_placement IS NOT NULL` })
export class Placement {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  traineeId: string;

  @ManyToOne(() => Trainee, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'trainee_id', foreignKeyConstraintName: 'fk_placements_trainee' })
  trainee?: Trainee;

  @Column({ type: 'uuid' })
  brandId: string;

  @ManyToOne(() => Brand, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'brand_id', foreignKeyConstraintName: 'fk_placements_brand' })
  brand?: Brand;

  @Column({ type: 'uuid' })
  employerId: string;

  @ManyToOne(() => Organization, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'employer_id', foreignKeyConstraintName: 'fk_placements_employer' })
  employer?: Organization;

  @Column({ type: 'uuid' })
  proposedById: string;

  @ManyToOne(() => Organization, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'proposed_by_id', foreignKeyConstraintName: 'fk_placements_proposed_by' })
  proposedBy?: Organization;

  @Column({ type: 'text' })
  jobTitle: string;

  @Column({ type: 'varchar', length: 10, nullable: true })
  occupationCode: string | null;

  @Column({ type: 'char', length: 6 })
  workRegionCode: string;

  /** The current salary as given, with its period; `annualSalaryFen` derived from it. */
  @Column({ type: 'bigint' })
  salaryFen: string;

  @Column({ type: 'text' })
  salaryPeriod: SalaryPeriod;

  @Column({ type: 'bigint' })
  annualSalaryFen: string;

  @Column({ type: 'date' })
  startDate: string;

  @Column({ type: 'text', default: 'proposed' })
  status: PlacementStatus;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  confirmedAt: Date | null;

  /** When the proposal was rejected or withdrawn, or the job ended (recorded time). */
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  closedAt: Date | null;

  @Column({ type: 'text', nullable: true })
  rejectReason: string | null;

  /** Last working day, as reported with the end. */
  @Column({ type: 'date', nullable: true })
  endDate: string | null;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  endedAt: Date | null;

  @Column({ type: 'text', nullable: true })
  endReason: string | null;

  @Column({ type: 'int', default: 1 })
  version: number;

  @Column({ type: 'timestamptz', precision: 3, default: () => 'now()' })
  createdAt: Date;

  @Column({ type: 'timestamptz', precision: 3, default: () => 'now()' })
  updatedAt: Date;

  /**
   * Kept by database triggers for the statistics (migration StatisticsTallies), never written here: the uplift of
   * an active placement over the trainee's expected monthly salary, in percent, and — on the trainee's first
   * confirmed placement only — the days from registration to this confirmation.
   */
  @Column({ type: 'numeric', nullable: true, select: false, insert: false, update: false })
  upliftPct?: string | null;

  @Column({ type: 'numeric', nullable: true, select: false, insert: false, update: false })
  daysToPlacement?: string | null;
}

/** Every salary a placement has had, from the proposal on: the history behind the current figure. */
@Entity('placement_salary_changes')
@Index('ix_placement_salary_changes_placement', ['placementId', 'seq'])
export class PlacementSalaryChange {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  seq: string;

  @Column({ type: 'uuid' })
  placementId: string;

  @ManyToOne(() => Placement, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'placement_id', foreignKeyConstraintName: 'fk_placement_salary_changes_placement' })
  placement?: Placement;

  @Column({ type: 'uuid' })
  brandId: string;

  @Column({ type: 'bigint' })
  salaryFen: string;

  @Column({ type: 'text' })
  salaryPeriod: SalaryPeriod;

  @Column({ type: 'bigint' })
  annualSalaryFen: string;

  @Column({ type: 'date' })
  effectiveDate: string;

  @Column({ type: 'uuid', nullable: true })
  actorOrganizationId: string | null;

  @Column({ type: 'timestamptz', precision: 3, default: () => 'now()' })
  recordedAt: Date;
}
