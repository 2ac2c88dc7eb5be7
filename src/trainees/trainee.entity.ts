import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { GENDERS, type Gender } from '../common/identifiers/national-id';
import { sqlIn } from '../database/sql';
import { TRAINEE_STATUSES, type TargetGroup, type TraineeStatus } from './trainee.rules';

/**
 * A person trained under a brand. The identity number and phone are stored only encrypted (AES-256-GCM, the key
 * id beside each ciphertext) with a keyed hash of the number for uniqueness and look-up; reads show masks.
 * Erasure nulls every personal field and keeps the anonymous facts the statistics count.
 */
@Entity('trainees')
@Check('ck_trainees_status', sqlIn('status', TRAINEE_STATUSES))
@Check('ck_trainees_gender', `gender IS NULL OR ${sqlIn('gender', GENDERS)}`)
@Index('ux_trainees_brand_person', ['brandId', 'nationalIdHash'], { unique: true, where: 'national_id_hash IS NOT NULL' })
@Index('ix_trainees_person', ['nationalIdHash'], { where: 'national_id_hash IS NOT NULL' })
@Index('ix_trainees_brand_registered', ['brandId', 'registeredAt', 'id'])
export class Trainee {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'uuid' })
  brandId: string;

  @ManyToOne('Brand', { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'brand_id', foreignKeyConstraintName: 'fk_trainees_brand' })
  brand?: never;

  @Column({ type: 'text', nullable: true })
  fullName: string | null;

  @Column({ type: 'bytea', nullable: true })
  nationalIdCipher: Buffer | null;

  /** HMAC-SHA-256 blind index of the normalised number: uniqueness per brand and look-up, never reversible. */
  @Column({ type: 'bytea', nullable: true })
  nationalIdHash: Buffer | null;

  @Column({ type: 'text', nullable: true })
  nationalIdMasked: string | null;

  @Column({ type: 'bytea', nullable: true })
  phoneCipher: Buffer | null;

  @Column({ type: 'text', nullable: true })
  phoneMasked: string | null;

  /** Id of the encryption key of the ciphertexts above, so keys can rotate and old rows be found and re-encrypted. */
  @Column({ type: 'text', nullable: true })
  piiKeyId: string | null;

  @Column({ type: 'date', nullable: true })
  birthDate: string | null;

  @Column({ type: 'text', nullable: true })
  gender: Gender | null;

  @Column({ type: 'text', array: true, default: () => `'{}'` })
  targetGroups: TargetGroup[];

  @Column({ type: 'text', nullable: true })
  cohort: string | null;

  @Column({ type: 'bigint', nullable: true })
  expectedMonthlySalaryFen: string | null;

  @Column({ type: 'text', default: 'registered' })
  status: TraineeStatus;

  @Column({ type: 'boolean', default: false })
  erased: boolean;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  erasedAt: Date | null;

  @Column({ type: 'int', default: 1 })
  version: number;

  @Column({ type: 'timestamptz', precision: 3, default: () => 'now()' })
  registeredAt: Date;

  @Column({ type: 'timestamptz', precision: 3, default: () => 'now()' })
  updatedAt: Date;

  /** Kept by a database trigger for the statistics: the latest validity among the active certificates ('infinity' for none ending). */
  @Column({ type: 'date', nullable: true, select: false, insert: false, update: false })
  certifiedUntil?: string | null;
}
