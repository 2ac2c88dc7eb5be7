import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { sqlIn, sqlLiteral } from '../database/sql';
import { CERTIFICATION_STATUSES, REVOKED_CERTIFICATION_STATUS, type CertificationStatus } from './certification.rules';
import { STATUS_LIST_LENGTH } from './status-list';

/** The counter that hands out status list positions, in order (from 0); the n-th goes to statusListSlot(n). */
export const CERTIFICATION_STATUS_ENTRY_SEQUENCE = 'certification_status_entries';

/**
 * A revocation status list (W3C Bitstring Status List): its number, as in its URL, and the random key of the
 * permutation that turns the order in which its positions were handed out into the published indexes
 * (status-list.ts). Created with its first certificate.
 */
@Entity('certification_status_lists')
export class CertificationStatusList {
  /** 1, 2, …: the n-th list of STATUS_LIST_LENGTH positions. */
  @PrimaryColumn({ type: 'int' })
  list: number;

  /** 32 random bytes; never published (an index must not tell when its certificate was issued). */
  @Column({ type: 'bytea' })
  permutationKey: Buffer;

  @Column({ type: 'timestamptz', precision: 3, default: () => 'now()' })
  createdAt: Date;
}

/**
 * A trainee's skill certificate under a brand, with the signed Verifiable Credential that describes it.
 * Everything the public verification route shows is on this row or the brand's (the masked holder name is kept
 * here at issue), so verification never reads the trainee and keeps working after the trainee is erased.
 */
@Entity('certifications')
@Check('ck_certifications_level', 'level BETWEEN 1 AND 5')
@Check('ck_certifications_status', sqlIn('status', CERTIFICATION_STATUSES))
@Check('ck_certifications_revocation', `(status = 'revoked') = (revoked_at IS NOT NULL)`)
@Index('ux_certifications_serial', ['serial'], { unique: true })
@Index('ix_certifications_trainee_issued', ['traineeId', 'issuedAt', 'id'])
// Brand statistics count the distinct trainees with an active, unexpired certificate of a brand.
@Index('ix_certifications_brand_status', ['brandId', 'status'])
// Each certificate its own bit: a list and an index in it, both or neither (certificates issued before status lists).
@Check('ck_certifications_status_list_entry', `(status_list IS NULL) = (status_list_index IS NULL) AND status_list_index BETWEEN 0 AND ${STATUS_LIST_LENGTH - 1}`)
@Index('ux_certifications_status_list_entry', ['statusList', 'statusListIndex'], { unique: true })
// Building a status list reads the revoked certificates' indexes of that list, and no other row.
@Index('ix_certifications_revoked_entries', ['statusList', 'statusListIndex'], { where: `status = ${sqlLiteral(REVOKED_CERTIFICATION_STATUS)}` })
export class Certification {
  /** Chosen by the service before the insert: the signed credential names it. */
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Public, human-typable serial (`LB-XXXX-XXXX-XXXX-XXXC`, random): the key of the public verification route. */
  @Column({ type: 'text' })
  serial: string;

  @Column({ type: 'uuid' })
  traineeId: string;

  @ManyToOne('Trainee', { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'trainee_id', foreignKeyConstraintName: 'fk_certifications_trainee' })
  trainee?: never;

  @Column({ type: 'uuid' })
  brandId: string;

  @ManyToOne('Brand', { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'brand_id', foreignKeyConstraintName: 'fk_certifications_brand' })
  brand?: never;

  /** The brand's occupation at the time of issue, as certified. */
  @Column({ type: 'varchar', length: 10 })
  occupationCode: string;

  @Column({ type: 'text' })
  occupationName: string;

  /** 1 (高级技师, the highest) to 5 (初级工). */
  @Column({ type: 'int' })
  level: number;

  /** The brand's operator or a bureau with jurisdiction. */
  @Column({ type: 'uuid' })
  issuerId: string;

  @ManyToOne('Organization', { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'issuer_id', foreignKeyConstraintName: 'fk_certifications_issuer' })
  issuer?: never;

  @Column({ type: 'timestamptz', precision: 3 })
  issuedAt: Date;

  /** Last day of validity (inclusive, a civil date in China); null: no end. */
  @Column({ type: 'date', nullable: true })
  validUntil: string | null;

  @Column({ type: 'text', default: 'active' })
  status: CertificationStatus;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  revokedAt: Date | null;

  @Column({ type: 'text', nullable: true })
  revocationReason: string | null;

  @Column({ type: 'uuid', nullable: true })
  revokedById: string | null;

  @ManyToOne('Organization', { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'revoked_by_id', foreignKeyConstraintName: 'fk_certifications_revoked_by' })
  revokedBy?: never;

  /** The compact JWS (EdDSA, `typ: vc+jwt`) of the Verifiable Credential. */
  @Column({ type: 'text' })
  credential: string;

  /** `kid` of the key that signed the credential, so a key rotation can find what it signed. */
  @Column({ type: 'text' })
  credentialKeyId: string;

  /** The revocation status list the credential's `credentialStatus` names; null for certificates issued before them. */
  @Column({ type: 'int', nullable: true })
  statusList: number | null;

  @ManyToOne(() => CertificationStatusList, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'status_list', foreignKeyConstraintName: 'fk_certifications_status_list' })
  statusListRow?: never;

  /** The credential's `statusListIndex`: its bit in that list (set once the certificate is revoked). */
  @Column({ type: 'int', nullable: true })
  statusListIndex: number | null;

  /** The holder's name as shown to verifiers (张*), fixed at issue. */
  @Column({ type: 'text' })
  holderNameMasked: string;

  @Column({ type: 'int', default: 1 })
  version: number;

  @Column({ type: 'timestamptz', precision: 3, default: () => 'now()' })
  createdAt: Date;
}
