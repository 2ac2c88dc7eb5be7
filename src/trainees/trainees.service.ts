import { Inject, Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { DataSource, EntityManager } from 'typeorm';
import { AuditLog } from '../audit/audit-log';
import { Brand } from '../brands/brand.entity';
import { effectiveBrandStatus } from '../brands/brand.rules';
import { BrandsService } from '../brands/brands.service';
import type { Actor } from '../common/auth/actor';
import { Policy } from '../common/auth/policy';
import { maskPhone, PiiCipher } from '../common/crypto/pii-cipher';
import { PII_CIPHER } from '../common/crypto/pii.provider';
import { maskNationalId } from '../common/identifiers/national-id';
import { requireVersion } from '../common/http/if-match';
import { cursorTimestamp, cursorUuid, decodeCursor, Page, pageLimit, toPage } from '../common/pagination/pagination';
import { notFound, ProblemError } from '../common/problems/problem';
import { validationProblem } from '../common/validation/validation';
import { inTransaction, pgConstraint, pgErrorCode } from '../database/transactions';
import { Outbox } from '../events/outbox';
import type { ImportErrorView, ImportResultView, ListTraineesQuery, RegisterTraineeDto, TraineeView, UpdateTraineeDto } from './dto/trainee.dto';
import { ImportFileError, readImportRows } from './import/row-reader';
import { normaliseNationalId, parseRegistration, Registration, REGISTRATION_FIELDS, REQUIRED_REGISTRATION_FIELDS } from './registration';
import { Trainee } from './trainee.entity';
import { checkOperatorStatusChange } from './trainee.rules';

/** Blind-index purposes: one HMAC domain per kind of value, so equal strings of different kinds never match. */
const NATIONAL_ID = 'national_id';
const PHONE = 'phone';

const IMPORT_BATCH_SIZE = 2000;
const MAX_LISTED_IMPORT_ERRORS = 1000;

/** How much of a trainee a caller sees: the operator also sees the phone number in full. */
type Viewer = 'operator' | 'other';

@Injectable()
export class TraineesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly brands: BrandsService,
    private readonly audit: AuditLog,
    private readonly outbox: Outbox,
    @Inject(PII_CIPHER) private readonly cipher: PiiCipher,
  ) {}

  present(t: Trainee, viewer: Viewer): TraineeView {
    return {
      id: t.id,
      brandId: t.brandId,
      fullName: t.fullName,
      nationalIdMasked: t.nationalIdMasked,
      birthDate: t.birthDate,
      gender: t.gender,
      phone: viewer === 'operator' && t.phoneCipher ? this.cipher.decrypt(t.phoneCipher, PHONE) : null,
      phoneMasked: t.phoneMasked,
      targetGroups: t.targetGroups,
      cohort: t.cohort,
      expectedMonthlySalaryFen: t.expectedMonthlySalaryFen === null ? null : Number(t.expectedMonthlySalaryFen),
      status: t.status,
      registeredAt: t.registeredAt.toISOString(),
      erased: t.erased,
      version: t.version,
    };
  }

  /** The brand, when the caller operates it: 404 when the brand is hidden from the caller, 403 when merely visible. */
  private async operatedBrand(actor: Actor, brandId: string, manager?: EntityManager): Promise<Brand> {
    const brand = await this.brands.getVisible(actor, brandId, manager);
    Policy.requireBrandOperator(actor, brand);
    return brand;
  }

  /** New people may join a brand until it is revoked or expired. */
  private requireOpenBrand(brand: Brand): void {
    const status = effectiveBrandStatus(brand.status, brand.validUntil);
    if (status === 'revoked' || status === 'expired') throw new ProblemError('INVALID_TRANSITION', `The brand is ${status}; it takes no new trainees`);
  }

  private encryptRegistration(r: Registration): Partial<Trainee> {
    const nationalIdCipher = this.cipher.encrypt(r.nationalId, NATIONAL_ID);
    return {
      fullName: r.fullName,
      nationalIdCipher,
      nationalIdHash: this.cipher.blindIndex(r.nationalId, NATIONAL_ID),
      nationalIdMasked: maskNationalId(r.nationalId),
      phoneCipher: r.phone ? this.cipher.encrypt(r.phone, PHONE) : null,
      phoneMasked: r.phone ? maskPhone(r.phone) : null,
      piiKeyId: this.cipher.keyIdOf(nationalIdCipher),
      birthDate: r.birthDate,
      gender: r.gender,
      targetGroups: r.targetGroups,
      cohort: r.cohort,
      expectedMonthlySalaryFen: r.expectedMonthlySalaryFen === null ? null : String(r.expectedMonthlySalaryFen),
    };
  }

  async register(actor: Actor, brandId: string, dto: RegisterTraineeDto): Promise<TraineeView> {
    const parsed = parseRegistration({ ...dto });
    if (!parsed.ok) throw validationProblem([parsed.error]);
    try {
      return await inTransaction(this.dataSource, async (m) => {
        const brand = await this.operatedBrand(actor, brandId, m);
        this.requireOpenBrand(brand);
        const trainee = await m.save(m.create(Trainee, { ...this.encryptRegistration(parsed.value), brandId, status: 'registered' }));
        await this.outbox.append(m, actor, [
          { type: 'trainee.registered', aggregateType: 'trainee', aggregateId: trainee.id, brandId, data: { traineeId: trainee.id, brandId, status: trainee.status } },
        ]);
        await this.audit.record(m, actor, { action: 'trainee.register', objectType: 'trainee', objectId: trainee.id, brandId });
        return this.present(trainee, 'operator');
      });
    } catch (err) {
      if (pgErrorCode(err) === '23505' && pgConstraint(err) === 'ux_trainees_brand_person') {
        throw new ProblemError('DUPLICATE_TRAINEE', 'A trainee with this identity number is already registered under the brand');
      }
      throw err;
    }
  }

  async list(actor: Actor, brandId: string, query: ListTraineesQuery): Promise<Page<TraineeView>> {
    const brand = await this.brands.getVisible(actor, brandId);
    const operator = Policy.isBrandOperator(actor, brand);
    if (!operator && !Policy.isPlatform(actor) && !Policy.hasJurisdiction(actor, brand.regionCode)) {
      throw new ProblemError('FORBIDDEN', "Only the brand's operator and bureaus with jurisdiction list its trainees");
    }
    const limit = pageLimit(query);
    const after = decodeCursor(query.cursor, 2);
    const qb = this.dataSource
      .getRepository(Trainee)
      .createQueryBuilder('t')
      .where('t.brand_id = :brandId', { brandId })
      .orderBy('t.registered_at', 'DESC')
      .addOrderBy('t.id', 'DESC')
      .limit(limit + 1);
    if (query.status) qb.andWhere('t.status = :status', { status: query.status });
    if (query.cohort) qb.andWhere('t.cohort = :cohort', { cohort: query.cohort });
    if (after) qb.andWhere('(t.registered_at, t.id) < (:at, :id)', { at: cursorTimestamp(after[0]), id: cursorUuid(after[1]) });
    const rows = await qb.getMany();
    return toPage(rows, limit, (t) => [t.registeredAt.toISOString(), t.id], (t) => this.present(t, operator ? 'operator' : 'other'));
  }

  /**
   * A trainee the caller may see — the brand's operator, a bureau whose jurisdiction covers the brand, an employer
   * named in one of the trainee's placements, the platform — or 404 for everyone else.
   */
  async getVisible(actor: Actor, id: string, manager: EntityManager = this.dataSource.manager, lock = false): Promise<{ trainee: Trainee; brand: Brand; viewer: Viewer }> {
    const trainee = await manager.findOne(Trainee, { where: { id }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    if (!trainee) throw notFound('Trainee');
    const brand = await manager.findOneByOrFail(Brand, { id: trainee.brandId });
    if (Policy.isBrandOperator(actor, brand)) return { trainee, brand, viewer: 'operator' };
    if (Policy.isPlatform(actor) || Policy.hasJurisdiction(actor, brand.regionCode)) return { trainee, brand, viewer: 'other' };
    if (actor.kind === 'employer' && (await this.employerHasPlacement(manager, actor.organizationId, id))) return { trainee, brand, viewer: 'other' };
    throw notFound('Trainee');
  }

  private async employerHasPlacement(manager: EntityManager, employerId: string, traineeId: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(`SELECT 1 FROM placements WHERE trainee_id = $1 AND employer_id = $2 LIMIT 1`, [traineeId, employerId]);
    return rows.length > 0;
  }

  async get(actor: Actor, id: string): Promise<TraineeView> {
    const { trainee, viewer } = await this.getVisible(actor, id);
    return this.present(trainee, viewer);
  }

  async update(actor: Actor, id: string, dto: UpdateTraineeDto, ifMatch: number | undefined): Promise<TraineeView> {
    const fields = Object.keys(dto).filter((k) => (dto as Record<string, unknown>)[k] !== undefined);
    if (fields.length === 0) throw new ProblemError('VALIDATION_FAILED', 'Send at least one field to change', [{ field: '(body)', code: 'EMPTY_UPDATE', message: 'no field to change' }]);
    return inTransaction(this.dataSource, async (m) => {
      const { trainee, brand } = await this.getVisible(actor, id, m, true);
      Policy.requireBrandOperator(actor, brand);
      requireVersion(trainee.version, ifMatch, 'The trainee');
      if (trainee.erased) throw new ProblemError('INVALID_TRANSITION', 'The trainee was erased; nothing about them can change');
      const fromStatus = trainee.status;
      if (dto.status !== undefined) {
        const check = checkOperatorStatusChange(trainee.status, dto.status);
        if (!check.ok) throw new ProblemError('INVALID_TRANSITION', `Cannot change status: ${check.reason}`);
        trainee.status = dto.status;
      }
      if (dto.fullName !== undefined) trainee.fullName = dto.fullName;
      if (dto.phone !== undefined) {
        trainee.phoneCipher = dto.phone === null ? null : this.cipher.encrypt(dto.phone, PHONE);
        trainee.phoneMasked = dto.phone === null ? null : maskPhone(dto.phone);
      }
      if (dto.targetGroups !== undefined) trainee.targetGroups = dto.targetGroups;
      if (dto.cohort !== undefined) trainee.cohort = dto.cohort;
      if (dto.expectedMonthlySalaryFen !== undefined) trainee.expectedMonthlySalaryFen = dto.expectedMonthlySalaryFen === null ? null : String(dto.expectedMonthlySalaryFen);
      trainee.version += 1;
      trainee.updatedAt = new Date();
      await m.update(Trainee, { id }, {
        status: trainee.status,
        fullName: trainee.fullName,
        phoneCipher: trainee.phoneCipher,
        phoneMasked: trainee.phoneMasked,
        targetGroups: trainee.targetGroups,
        cohort: trainee.cohort,
        expectedMonthlySalaryFen: trainee.expectedMonthlySalaryFen,
        version: trainee.version,
        updatedAt: trainee.updatedAt,
      });
      await this.outbox.append(m, actor, [
        {
          type: fromStatus !== trainee.status ? 'trainee.status_changed' : 'trainee.updated',
          aggregateType: 'trainee',
          aggregateId: id,
          brandId: brand.id,
          data: { traineeId: id, brandId: brand.id, fields, fromStatus, toStatus: trainee.status, version: trainee.version },
        },
      ]);
      await this.audit.record(m, actor, { action: 'trainee.update', objectType: 'trainee', objectId: id, brandId: brand.id, details: { fields } });
      return this.present(trainee, 'operator');
    });
  }

  /** The caller's own trainees with this identity number, across its brands, found through the blind index. */
  async lookup(actor: Actor, nationalId: string): Promise<{ items: TraineeView[] }> {
    const hash = this.cipher.blindIndex(normaliseNationalId(nationalId), NATIONAL_ID);
    const rows = await this.dataSource
      .getRepository(Trainee)
      .createQueryBuilder('t')
      .innerJoin(Brand, 'b', 'b.id = t.brand_id')
      .where('t.national_id_hash = :hash AND b.operator_id = :me', { hash, me: actor.organizationId })
      .orderBy('t.registered_at', 'DESC')
      .getMany();
    await this.audit.recordNow(actor, { action: 'trainee.lookup', objectType: 'trainee', objectId: null, details: { matches: rows.length } });
    return { items: rows.map((t) => this.present(t, 'operator')) };
  }

  /**
   * Erasure for good: name, identity number, phone and the blind index are nulled; status, dates, groups and
   * salary expectation stay as anonymous facts so the brand's figures do not move.
   */
  async erase(actor: Actor, id: string): Promise<TraineeView> {
    return inTransaction(this.dataSource, async (m) => {
      const { trainee, brand, viewer } = await this.getVisible(actor, id, m, true);
      if (viewer !== 'operator' && !Policy.isPlatform(actor)) throw new ProblemError('FORBIDDEN', "Only the brand's operator or the platform may erase a trainee");
      if (trainee.erased) return this.present(trainee, viewer);
      const now = new Date();
      const erasure: Partial<Trainee> = {
        fullName: null,
        nationalIdCipher: null,
        nationalIdHash: null,
        nationalIdMasked: null,
        phoneCipher: null,
        phoneMasked: null,
        piiKeyId: null,
        erased: true,
        erasedAt: now,
        version: trainee.version + 1,
        updatedAt: now,
      };
      await m.update(Trainee, { id }, erasure);
      Object.assign(trainee, erasure);
      // Responses kept for Idempotency-Key replays may show this person: they go too.
      await m.query(`DELETE FROM idempotency_keys WHERE resource_ids @> ARRAY[$1]::uuid[]`, [id]);
      await this.outbox.append(m, actor, [{ type: 'trainee.erased', aggregateType: 'trainee', aggregateId: id, brandId: brand.id, data: { traineeId: id, brandId: brand.id } }]);
      await this.audit.record(m, actor, { action: 'trainee.erase', objectType: 'trainee', objectId: id, brandId: brand.id });
      return this.present(trainee, viewer);
    });
  }

  /**
   * Bulk registration from a streamed CSV or NDJSON body, in one transaction: invalid rows are reported and
   * skipped, people already in the brand count as duplicates (so a re-import creates nothing), and a file that
   * cannot be read at all writes nothing. Rows are encrypted and inserted in batches with one statement each.
   */
  async import(actor: Actor, brandId: string, body: Readable, format: 'csv' | 'ndjson'): Promise<ImportResultView> {
    const result: ImportResultView = { received: 0, created: 0, duplicates: 0, rejected: 0, errors: [] };
    const reject = (error: ImportErrorView): void => {
      result.rejected++;
      if (result.errors.length < MAX_LISTED_IMPORT_ERRORS) result.errors.push(error);
    };
    const today = new Date();
    try {
      await inTransaction(this.dataSource, async (m) => {
        const brand = await this.operatedBrand(actor, brandId, m);
        this.requireOpenBrand(brand);
        let batch: Registration[] = [];
        // One batch is in the database while the next is parsed, validated and encrypted: Node and Postgres work
        // at the same time. Only one at a time, since the transaction has a single connection.
        let inFlight: Promise<void> = Promise.resolve();
        const flush = async (): Promise<void> => {
          if (batch.length === 0) return;
          const rows = batch;
          batch = [];
          await inFlight;
          inFlight = this.writeImportBatch(m, actor, brandId, rows, result);
          // Observed when awaited next; until then a failure must not count as an unhandled rejection.
          inFlight.catch(() => undefined);
        };
        try {
          for await (const row of readImportRows(body, format, { requiredColumns: [...REQUIRED_REGISTRATION_FIELDS], knownColumns: [...REGISTRATION_FIELDS] })) {
            result.received++;
            if ('error' in row) {
              reject({ row: row.row, ...row.error });
              continue;
            }
            const parsed = parseRegistration(row.fields, today);
            if (!parsed.ok) {
              reject({ row: row.row, ...parsed.error });
              continue;
            }
            batch.push(parsed.value);
            if (batch.length >= IMPORT_BATCH_SIZE) await flush();
          }
          await flush();
          await inFlight;
        } catch (err) {
          // Nothing may touch the connection after the rollback this error triggers: let the batch in flight end.
          await inFlight.catch(() => undefined);
          throw err;
        }
        await this.audit.record(m, actor, {
          action: 'trainee.import',
          objectType: 'brand',
          objectId: brandId,
          brandId,
          details: { format, received: result.received, created: result.created, duplicates: result.duplicates, rejected: result.rejected },
        });
      });
    } catch (err) {
      if (err instanceof ImportFileError) throw new ProblemError('INVALID_IMPORT_FILE', err.message);
      throw err;
    }
    return result;
  }

  private async writeImportBatch(m: EntityManager, actor: Actor, brandId: string, rows: Registration[], result: ImportResultView): Promise<void> {
    const ids = await this.insertBatch(m, brandId, rows);
    result.created += ids.length;
    result.duplicates += rows.length - ids.length;
    if (ids.length) {
      await this.outbox.append(m, actor, [
        { type: 'trainee.imported', aggregateType: 'brand', aggregateId: brandId, brandId, data: { brandId, traineeIds: ids, count: ids.length } },
      ]);
    }
  }

  /** One INSERT … SELECT FROM unnest for the whole batch; ON CONFLICT skips people already in the brand. */
  private async insertBatch(m: EntityManager, brandId: string, batch: Registration[]): Promise<string[]> {
    const cols = {
      fullName: [] as string[],
      idCipher: [] as Buffer[],
      idHash: [] as Buffer[],
      idMasked: [] as string[],
      phoneCipher: [] as Array<Buffer | null>,
      phoneMasked: [] as Array<string | null>,
      keyId: [] as string[],
      birthDate: [] as string[],
      gender: [] as string[],
      groups: [] as string[],
      cohort: [] as Array<string | null>,
      salary: [] as Array<string | null>,
    };
    for (const r of batch) {
      const e = this.encryptRegistration(r);
      cols.fullName.push(r.fullName);
      cols.idCipher.push(e.nationalIdCipher as Buffer);
      cols.idHash.push(e.nationalIdHash as Buffer);
      cols.idMasked.push(e.nationalIdMasked as string);
      cols.phoneCipher.push(e.phoneCipher ?? null);
      cols.phoneMasked.push(e.phoneMasked ?? null);
      cols.keyId.push(e.piiKeyId as string);
      cols.birthDate.push(r.birthDate);
      cols.gender.push(r.gender);
      // A text[] per row cannot ride in a 2-D array of ragged rows; pass each as its array literal.
      cols.groups.push(`{${r.targetGroups.join(',')}}`);
      cols.cohort.push(r.cohort);
      cols.salary.push(e.expectedMonthlySalaryFen ?? null);
    }
    const rows: Array<{ id: string }> = await m.query(
      `INSERT INTO trainees (brand_id, full_name, national_id_cipher, national_id_hash, national_id_masked, phone_cipher, phone_masked,
                             pii_key_id, birth_date, gender, target_groups, cohort, expected_monthly_salary_fen, status)
       SELECT $1, u.full_name, u.id_cipher, u.id_hash, u.id_masked, u.phone_cipher, u.phone_masked, u.key_id, u.birth_date, u.gender,
              u.groups::text[], u.cohort, u.salary, 'registered'
         FROM unnest($2::text[], $3::bytea[], $4::bytea[], $5::text[], $6::bytea[], $7::text[], $8::text[], $9::date[], $10::text[], $11::text[], $12::text[], $13::bigint[])
           AS u(full_name, id_cipher, id_hash, id_masked, phone_cipher, phone_masked, key_id, birth_date, gender, groups, cohort, salary)
       ON CONFLICT (brand_id, national_id_hash) WHERE national_id_hash IS NOT NULL DO NOTHING
       RETURNING id`,
      [brandId, cols.fullName, cols.idCipher, cols.idHash, cols.idMasked, cols.phoneCipher, cols.phoneMasked, cols.keyId, cols.birthDate, cols.gender, cols.groups, cols.cohort, cols.salary],
    );
    return rows.map((r) => r.id);
  }
}
