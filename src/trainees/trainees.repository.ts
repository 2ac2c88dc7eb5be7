import { Injectable } from '@nestjs/common';
import type { NewestFirstKey } from '../common/pagination/pagination';
import { BRANDS_TABLE } from '../brands/brands.fragments';
import { Db, Repository } from '../database/repository';
import { sqlLiteral } from '../database/sql';
import { offeredToSql } from '../placements/placements.fragments';
import { Trainee } from './trainee.entity';
import { placeTraineesSql } from './trainees.fragments';
import type { Gender } from '../common/identifiers/national-id';
import { AFTER_PLACEMENT_STATUS, PLACED_STATUS, type TraineeStatus } from './trainee.rules';

/** A trainee as stored at registration: personal data already encrypted, masked and hashed. */
export type SealedRegistration = Pick<
  Trainee,
  | 'fullName'
  | 'nationalIdCipher'
  | 'nationalIdHash'
  | 'nationalIdMasked'
  | 'phoneCipher'
  | 'phoneMasked'
  | 'piiKeyId'
  | 'birthDate'
  | 'gender'
  | 'targetGroups'
  | 'cohort'
  | 'expectedMonthlySalaryFen'
>;

/** The list's filters (`GET /v1/brands/:brandId/trainees`), which the export takes too. */
export interface TraineeListFilter {
  status?: TraineeStatus;
  cohort?: string;
}

/** A trainee as an export shows it: masked personal data only. */
export interface TraineeExportRow {
  id: string;
  fullName: string | null;
  nationalIdMasked: string | null;
  gender: Gender | null;
  birthDate: string | null;
  phoneMasked: string | null;
  /** The groups joined by ';' (codes). */
  targetGroups: string;
  cohort: string | null;
  expectedMonthlySalaryFen: string | null;
  status: TraineeStatus;
  /** ISO 8601 in UTC with milliseconds, as `Date#toISOString` writes it (and a keyset cursor takes it). */
  registeredAt: string;
}

/** The only code that reads and writes `trainees` (besides the fragments it exports). */
@Injectable()
export class TraineesRepository extends Repository {
  insert(m: Db, brandId: string, registration: SealedRegistration): Promise<Trainee> {
    return m.save(m.create(Trainee, { ...registration, brandId, status: 'registered' }));
  }

  /**
   * One INSERT … SELECT FROM unnest for a whole import batch; ON CONFLICT skips people already in the brand.
   * Answers the ids of the trainees it created.
   */
  async insertBatch(m: Db, brandId: string, batch: SealedRegistration[]): Promise<string[]> {
    const column = <K extends keyof SealedRegistration>(key: K): Array<SealedRegistration[K]> => batch.map((r) => r[key]);
    const rows: Array<{ id: string }> = await m.query(
      `INSERT INTO trainees (brand_id, full_name, national_id_cipher, national_id_hash, national_id_masked, phone_cipher, phone_masked,
                             pii_key_id, birth_date, gender, target_groups, cohort, expected_monthly_salary_fen, status)
       SELECT $1, u.full_name, u.id_cipher, u.id_hash, u.id_masked, u.phone_cipher, u.phone_masked, u.key_id, u.birth_date, u.gender,
              u.groups::text[], u.cohort, u.salary, 'registered'
         FROM unnest($2::text[], $3::bytea[], $4::bytea[], $5::text[], $6::bytea[], $7::text[], $8::text[], $9::date[], $10::text[], $11::text[], $12::text[], $13::bigint[])
           AS u(full_name, id_cipher, id_hash, id_masked, phone_cipher, phone_masked, key_id, birth_date, gender, groups, cohort, salary)
       ON CONFLICT (brand_id, national_id_hash) WHERE national_id_hash IS NOT NULL DO NOTHING
       RETURNING id`,
      [
        brandId,
        column('fullName'),
        column('nationalIdCipher'),
        column('nationalIdHash'),
        column('nationalIdMasked'),
        column('phoneCipher'),
        column('phoneMasked'),
        column('piiKeyId'),
        column('birthDate'),
        column('gender'),
        // A text[] per row cannot ride in a 2-D array of ragged rows; pass each as its array literal.
        batch.map((r) => `{${r.targetGroups.join(',')}}`),
        column('cohort'),
        column('expectedMonthlySalaryFen'),
      ],
    );
    return rows.map((r) => r.id);
  }

  findById(id: string, m?: Db, lock = false): Promise<Trainee | null> {
    return this.db(m).findOne(Trainee, { where: { id }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
  }

  /** A brand's trainees matching the list's filters, newest first, strictly after `after`: the one query of the list and the export. */
  private newestFirstOfBrand(brandId: string, filter: TraineeListFilter, after: NewestFirstKey | null, fetch: number) {
    const qb = this.db()
      .createQueryBuilder(Trainee, 't')
      .where('t.brand_id = :brandId', { brandId })
      .orderBy('t.registered_at', 'DESC')
      .addOrderBy('t.id', 'DESC')
      .limit(fetch);
    if (filter.status) qb.andWhere('t.status = :status', { status: filter.status });
    if (filter.cohort) qb.andWhere('t.cohort = :cohort', { cohort: filter.cohort });
    if (after) qb.andWhere('(t.registered_at, t.id) < (:at, :id)', after);
    return qb;
  }

  listByBrand(brandId: string, filter: TraineeListFilter, after: NewestFirstKey | null, fetch: number): Promise<Trainee[]> {
    return this.newestFirstOfBrand(brandId, filter, after, fetch).getMany();
  }

  /**
   * One keyset batch of an export: the list's rows and order, only the columns a file shows (never a ciphertext),
   * as plain rows rather than entities, which a million-row export would spend most of its time building.
   */
  exportBatch(brandId: string, filter: TraineeListFilter, after: NewestFirstKey | null, fetch: number): Promise<TraineeExportRow[]> {
    return this.newestFirstOfBrand(brandId, filter, after, fetch)
      .select('t.id', 'id')
      .addSelect('t.full_name', 'fullName')
      .addSelect('t.national_id_masked', 'nationalIdMasked')
      .addSelect('t.gender', 'gender')
      .addSelect('t.birth_date::text', 'birthDate')
      .addSelect('t.phone_masked', 'phoneMasked')
      // Text rather than a text[] and a timestamptz: parsing arrays and dates for a million rows is most of the reading.
      .addSelect(`array_to_string(t.target_groups, ';')`, 'targetGroups')
      .addSelect('t.cohort', 'cohort')
      .addSelect('t.expected_monthly_salary_fen::text', 'expectedMonthlySalaryFen')
      .addSelect('t.status', 'status')
      .addSelect(`to_char(t.registered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`, 'registeredAt')
      .getRawMany<TraineeExportRow>();
  }

  /** The trainees with this identity-number hash under the brands an organization operates, newest first. */
  findByHashUnderOperator(hash: Buffer, operatorId: string): Promise<Trainee[]> {
    return this.db()
      .createQueryBuilder(Trainee, 't')
      .innerJoin(BRANDS_TABLE, 'b', 'b.id = t.brand_id')
      .where('t.national_id_hash = :hash AND b.operator_id = :operatorId', { hash, operatorId })
      .orderBy('t.registered_at', 'DESC')
      .getMany();
  }

  /** Whether the employer has (or had) a placement for the trainee. */
  async offeredTo(traineeId: string, employerId: string, m?: Db): Promise<boolean> {
    const [row] = await this.db(m).query(`SELECT ${offeredToSql('$1', '$2')} AS offered`, [traineeId, employerId]);
    return row.offered === true;
  }

  async save(m: Db, id: string, fields: Partial<Trainee>): Promise<void> {
    await m.update(Trainee, { id }, fields);
  }

  /** The trainee's status and erasure, locked for the rest of the caller's transaction; null when there is none. */
  async lockState(m: Db, id: string): Promise<{ status: TraineeStatus; erased: boolean } | null> {
    const rows: Array<{ status: TraineeStatus; erased: boolean }> = await m.query(`SELECT status, erased FROM trainees WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0] ?? null;
  }

  async markPlaced(m: Db, id: string): Promise<void> {
    await m.query(placeTraineesSql('$1'), [id]);
  }

  /** A placed trainee whose job ended is back to AFTER_PLACEMENT_STATUS; anyone else is left as they are. */
  async markUnplaced(m: Db, id: string): Promise<void> {
    await m.query(
      `UPDATE trainees SET status = ${sqlLiteral(AFTER_PLACEMENT_STATUS)}, version = version + 1, updated_at = now()
        WHERE id = $1 AND status = ${sqlLiteral(PLACED_STATUS)}`,
      [id],
    );
  }
}
