import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { sqlIn } from '../database/sql';
import { ORDERED_FIGURES } from '../statistics/tallies.rules';
import { OPEN_PLACEMENT_STATUSES, PLACEMENT_STATUSES, SALARY_PERIODS, type PlacementStatus, type SalaryPeriod } from './placement.rules';

/**
 * A job offered to a trainee by an employer through the brand's operator. At most one proposed or confirmed
 * placement per trainee, enforced by a partial unique index, not only by code.
 */
@Entity('placements')
@Check('ck_placements_status', sqlIn('status', PLACEMENT_STATUSES))
@Check('ck_placements_salary_period', sqlIn('salary_period', SALARY_PERIODS))
@Check('ck_placements_salary', `salary_fen > 0 AND annual_salary_fen > 0`)
@Index('ux_placements_open_per_trainee', ['traineeId'], { unique: true, where: sqlIn('status', OPEN_PLACEMENT_STATUSES) })
@Index('ix_placements_trainee', ['traineeId', 'createdAt'])
@Index('ix_placements_brand_created', ['brandId', 'createdAt', 'id'])
@Index('ix_placements_employer_created', ['employerId', 'createdAt', 'id'])
@Index('ix_placements_created', ['createdAt', 'id'])
// The statistics' ordered figures (medians, quartiles) are read from these, in order (tallies.rules.ts).
@Index(ORDERED_FIGURES.salary.index, ['brandId', 'annualSalaryFen'], { where: ORDERED_FIGURES.salary.where })
@Index(ORDERED_FIGURES.uplift.index, ['brandId', 'upliftPct'], { where: ORDERED_FIGURES.uplift.where })
@Index(ORDERED_FIGURES.days.index, ['brandId', 'daysToPlacement'], { where: ORDERED_FIGURES.days.where })
export class Placement {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  traineeId: string;

  @ManyToOne('Trainee', { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'trainee_id', foreignKeyConstraintName: 'fk_placements_trainee' })
  trainee?: never;

  @Column({ type: 'uuid' })
  brandId: string;

  @ManyToOne('Brand', { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'brand_id', foreignKeyConstraintName: 'fk_placements_brand' })
  brand?: never;

  @Column({ type: 'uuid' })
  employerId: string;

  @ManyToOne('Organization', { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'employer_id', foreignKeyConstraintName: 'fk_placements_employer' })
  employer?: never;

  @Column({ type: 'uuid' })
  proposedById: string;

  @ManyToOne('Organization', { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'proposed_by_id', foreignKeyConstraintName: 'fk_placements_proposed_by' })
  proposedBy?: never;

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
