import { Injectable } from '@nestjs/common';
import { appendAuditEntriesSql } from '../audit/audit.fragments';
import type { Actor } from '../common/auth/actor';
import type { NewestFirstKey } from '../common/pagination/pagination';
import { BRANDS_TABLE, brandTakingNewTraineesSql } from '../brands/brands.fragments';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { Db, Repository } from '../database/repository';
import { namedStatement, SqlCondition, sqlLiteral, SqlParams, snakeCase } from '../database/sql';
import { appendEventsSql } from '../events/outbox.fragments';
import { offeredToSql } from '../placements/placements.fragments';
import type { BrandColumns } from '../policy/policy';
import { Trainee } from './trainee.entity';
import { TRAINEE_AGGREGATE, TRAINEE_REGISTER_ACTION, TRAINEE_REGISTERED_DATA, TRAINEE_REGISTERED_EVENT } from './trainee.events';
import { placeTraineesSql, unplaceTraineesSql } from './trainees.fragments';
import type { Gender } from '../common/identifiers/national-id';
import { REGISTERED_STATUS, type TraineeStatus } from './trainee.rules';

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
    return m.save(m.create(Trainee, { ...registration, brandId, status: REGISTERED_STATUS }));
  }

  /**
   * A whole registration in one autocommitted statement, one round trip: the brand checked (the brands module's
   * fragment: `admits` holds of its row, e.g. the caller operates it, and it takes new trainees on `today`), the
   * trainee inserted, its `trainee.registered` event and audit entry appended through the fragments of the outbox
   * and the audit log. Answers the trainee, or null when the brand check did not hold (nothing written). A person
   * already in the brand fails the statement on `ux_trainees_brand_person` as the transaction's insert does, and
   * nothing is written either.
   */
  async registerInOneStatement(brandId: string, registration: SealedRegistration, actor: Actor, today: string, admits: SqlCondition<BrandColumns>): Promise<Trainee | null> {
    const p = new SqlParams();
    const brand = brandTakingNewTraineesSql(`${p.add(brandId)}::uuid`, `${p.add(today)}::date`, (b) => admits(b, p));
    const caller = `${p.add(actor.organizationId)}::uuid`;
    const apiKey = `${p.add(actor.apiKeyId)}::uuid`;
    const values = SEALED_COLUMNS.map(([property, type]) => `${p.add(registration[property])}::${type}`);
    // Named: the text depends only on the caller's kind (its policy condition), so a connection prepares it once.
    const rows = await this.named(
      namedStatement(
        'register_trainee',
        `WITH brand AS (${brand}),
       registered AS (
         INSERT INTO trainees (brand_id, ${SEALED_COLUMN_NAMES}, status)
         SELECT brand.id, ${values.join(', ')}, ${sqlLiteral(REGISTERED_STATUS)} FROM brand
         RETURNING *),
       event AS (${appendEventsSql(`SELECT brand_id, ${sqlLiteral(TRAINEE_AGGREGATE)}, id, ${sqlLiteral(TRAINEE_REGISTERED_EVENT)}, ${TRAINEE_REGISTERED_DATA.sql('registered')}, ${caller} FROM registered`)}),
       audit AS (${appendAuditEntriesSql(`SELECT ${caller}, ${apiKey}, ${sqlLiteral(TRAINEE_REGISTER_ACTION)}, ${sqlLiteral(TRAINEE_AGGREGATE)}, id::text, brand_id, '{}'::jsonb FROM registered`)})
       SELECT * FROM registered`,
      ),
      p.values,
    );
    return rows.length ? traineeFromRow(rows[0]) : null;
  }

  /**
   * An import batch in two statements whatever its size: the rows COPYed (text format, already encrypted; a
   * TraineeCopyBatch built as they were read) into a temporary staging table, then one INSERT … SELECT into
   * trainees, whose ON CONFLICT skips people already in the brand and whose statement-level tally triggers fire
   * once. Cheaper on both sides than one INSERT of twelve array parameters: no array literals to build in Node nor
   * to parse in Postgres. The staging table lives until the transaction ends (ON COMMIT DROP), so it is safe behind
   * a transaction pooler; it is emptied before each batch of a long import. Answers the ids of the trainees created.
   */
  async insertBatch(m: Db, brandId: string, batch: TraineeCopyBatch): Promise<string[]> {
    if (batch.size === 0) return [];
    await m.query(
      `CREATE TEMPORARY TABLE IF NOT EXISTS trainee_import_staging (
         full_name text, national_id_cipher bytea, national_id_hash bytea, national_id_masked text, phone_cipher bytea,
         phone_masked text, pii_key_id text, birth_date date, gender text, target_groups text[], cohort text,
         expected_monthly_salary_fen bigint) ON COMMIT DROP;
       TRUNCATE trainee_import_staging`,
    );
    const client = (await (m.queryRunner as PostgresQueryRunner).connect()) as PoolClient;
    await pipeline(
      Readable.from([batch.text()]),
      client.query(copyFrom(`COPY trainee_import_staging (${SEALED_COLUMN_NAMES}) FROM STDIN`)),
    );
    const rows: Array<{ id: string }> = await m.query(
      `INSERT INTO trainees (brand_id, ${SEALED_COLUMN_NAMES}, status)
       SELECT $1, ${SEALED_COLUMN_NAMES}, ${sqlLiteral(REGISTERED_STATUS)} FROM trainee_import_staging
       ON CONFLICT (brand_id, national_id_hash) WHERE national_id_hash IS NOT NULL DO NOTHING
       RETURNING id`,
      [brandId],
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
    await m.query(unplaceTraineesSql('$1'), [id]);
  }
}

/** The columns of a sealed registration, in the order of the staging table and its COPY lines, with their types. */
const SEALED_COLUMNS: ReadonlyArray<readonly [keyof SealedRegistration, string]> = [
  ['fullName', 'text'],
  ['nationalIdCipher', 'bytea'],
  ['nationalIdHash', 'bytea'],
  ['nationalIdMasked', 'text'],
  ['phoneCipher', 'bytea'],
  ['phoneMasked', 'text'],
  ['piiKeyId', 'text'],
  ['birthDate', 'date'],
  ['gender', 'text'],
  ['targetGroups', 'text[]'],
  ['cohort', 'text'],
  ['expectedMonthlySalaryFen', 'bigint'],
];

const SEALED_COLUMN_NAMES = SEALED_COLUMNS.map(([property]) => snakeCase(property)).join(', ');

/**
 * A trainees row as SQL returns it (snake_case, bigints as text) in entity form, as the entity reads it:
 * without `certified_until`, which the statistics keep and the entity does not select.
 */
function traineeFromRow(r: Record<string, unknown>): Trainee {
  return Object.assign(new Trainee(), {
    id: r.id,
    brandId: r.brand_id,
    fullName: r.full_name,
    nationalIdCipher: r.national_id_cipher,
    nationalIdHash: r.national_id_hash,
    nationalIdMasked: r.national_id_masked,
    phoneCipher: r.phone_cipher,
    phoneMasked: r.phone_masked,
    piiKeyId: r.pii_key_id,
    birthDate: r.birth_date,
    gender: r.gender,
    targetGroups: r.target_groups,
    cohort: r.cohort,
    expectedMonthlySalaryFen: r.expected_monthly_salary_fen === null ? null : String(r.expected_monthly_salary_fen),
    status: r.status,
    erased: r.erased,
    erasedAt: r.erased_at,
    version: r.version,
    registeredAt: r.registered_at,
    updatedAt: r.updated_at,
  } as Partial<Trainee>);
}

/**
 * An import batch as the lines of a COPY … FROM STDIN (text format) into the staging table, each line written as
 * its row is read, so that the work is done while the previous batch is in the database rather than after it.
 */
export class TraineeCopyBatch {
  private lines: string[] = [];

  get size(): number {
    return this.lines.length;
  }

  add(r: SealedRegistration): void {
    this.lines.push(
      [
        copyText(r.fullName),
        copyBytes(r.nationalIdCipher),
        copyBytes(r.nationalIdHash),
        copyText(r.nationalIdMasked),
        copyBytes(r.phoneCipher),
        copyText(r.phoneMasked),
        copyText(r.piiKeyId),
        copyText(r.birthDate),
        copyText(r.gender),
        // Target groups are codes (TARGET_GROUPS): nothing in them needs quoting inside an array literal.
        copyText(`{${r.targetGroups.join(',')}}`),
        copyText(r.cohort),
        copyText(r.expectedMonthlySalaryFen),
      ].join('\t') + '\n',
    );
  }

  text(): string {
    return this.lines.join('');
  }
}

/** A value in COPY's text format: \N for NULL; backslash, tab, newline and carriage return escaped. */
function copyText(value: string | null): string {
  if (value === null) return '\\N';
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]) : value;
}

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A bytea in COPY's text format: its hex form, whose backslash COPY itself unescapes. */
function copyBytes(value: Buffer | null): string {
  return value === null ? '\\N' : `\\\\x${value.toString('hex')}`;
}
