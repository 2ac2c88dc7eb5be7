import { Inject, Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { AuditLog } from '../audit/audit.service';
import { effectiveBrandStatus, takesNewTrainees } from '../brands/brand.rules';
import { BrandsService, type BrandFacts } from '../brands/brands.service';
import type { Actor } from '../common/auth/actor';
import { maskPhone, PiiCipher } from '../common/crypto/pii-cipher';
import { PII_CIPHER } from '../common/crypto/pii.provider';
import { requireVersion } from '../common/http/if-match';
import { IdempotencyRepository } from '../common/idempotency/idempotency.repository';
import { maskNationalId } from '../common/identifiers/national-id';
import { newestFirst, newestFirstPageOf, Page } from '../common/pagination/pagination';
import { startedIterable } from '../common/tabular/tabular-stream';
import { chinaToday } from '../common/time/china-time';
import { notFound, ProblemError } from '../common/problems/problem';
import { validationProblem } from '../common/validation/validation';
import type { Db } from '../database/repository';
import { isTimingFailure, isUniqueViolation, Transactions } from '../database/transactions';
import { Outbox } from '../events/outbox.service';
import { Policy, type TraineeViewer } from '../policy/policy';
import type { ListTraineesQuery, RegisterTraineeDto, TraineeView, UpdateTraineeDto } from './dto/trainee.dto';
import { ImportFileError } from './import/row-reader';
import { readRoster, type RosterFile } from './import/roster-reader';
import { normaliseNationalId, parseRegistration, Registration } from './registration';
import type { Trainee } from './trainee.entity';
import { TRAINEE_AGGREGATE, TRAINEE_REGISTER_ACTION, TRAINEE_REGISTERED_DATA, TRAINEE_REGISTERED_EVENT } from './trainee.events';
import { canBePlaced, checkOperatorStatusChange } from './trainee.rules';
import { type SealedRegistration, TraineeCopyBatch, type TraineeExportRow, type TraineeListFilter, TraineesRepository } from './trainees.repository';
import { msg, type Message } from '../common/i18n/message';
import { NATIONAL_ID_CONTEXT, PHONE_CONTEXT } from './trainees.fragments';

/** Blind-index purposes: one HMAC domain per kind of value, so equal strings of different kinds never match. */

const IMPORT_BATCH_SIZE = 2000;
const MAX_LISTED_IMPORT_ERRORS = 1000;
/** Rows per read of an export: large enough that a million rows take few round trips, small enough to stay flat in memory. */
const EXPORT_BATCH_SIZE = 2000;

/** A rejected row of an import: the data row (from 1), the field, a machine code and a message for a person. */
export interface ImportError {
  row: number;
  field: string;
  code: string;
  message: Message;
}

export interface ImportResult {
  received: number;
  created: number;
  duplicates: number;
  rejected: number;
  errors: ImportError[];
}

/** A trainee the caller may see, its brand, and how much of it the caller sees. */
export interface VisibleTrainee {
  trainee: Trainee;
  brand: BrandFacts;
  viewer: TraineeViewer;
}

@Injectable()
export class TraineesService {
  constructor(
    private readonly transactions: Transactions,
    private readonly trainees: TraineesRepository,
    private readonly brands: BrandsService,
    private readonly idempotency: IdempotencyRepository,
    private readonly audit: AuditLog,
    private readonly outbox: Outbox,
    @Inject(PII_CIPHER) private readonly cipher: PiiCipher,
  ) {}

  present(t: Trainee, viewer: TraineeViewer): TraineeView {
    return {
      id: t.id,
      brandId: t.brandId,
      fullName: t.fullName,
      nationalIdMasked: t.nationalIdMasked,
      birthDate: t.birthDate,
      gender: t.gender,
      phone: viewer === 'operator' && t.phoneCipher ? this.cipher.decrypt(t.phoneCipher, PHONE_CONTEXT) : null,
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
  private async operatedBrand(actor: Actor, brandId: string, m?: Db): Promise<BrandFacts> {
    const brand = await this.brands.getVisible(actor, brandId, m);
    Policy.requireBrandOperator(actor, brand);
    return brand;
  }

  private requireOpenBrand(brand: BrandFacts): void {
    const status = effectiveBrandStatus(brand.status, brand.validUntil);
    if (!takesNewTrainees(status)) throw new ProblemError('INVALID_TRANSITION', msg('brand.closed', { status }));
  }

  private seal(r: Registration): SealedRegistration {
    const nationalIdCipher = this.cipher.encrypt(r.nationalId, NATIONAL_ID_CONTEXT);
    return {
      fullName: r.fullName,
      nationalIdCipher,
      nationalIdHash: this.cipher.blindIndex(r.nationalId, NATIONAL_ID_CONTEXT),
      nationalIdMasked: maskNationalId(r.nationalId),
      phoneCipher: r.phone ? this.cipher.encrypt(r.phone, PHONE_CONTEXT) : null,
      phoneMasked: r.phone ? maskPhone(r.phone) : null,
      piiKeyId: this.cipher.keyIdOf(nationalIdCipher),
      birthDate: r.birthDate,
      gender: r.gender,
      targetGroups: r.targetGroups,
      cohort: r.cohort,
      expectedMonthlySalaryFen: r.expectedMonthlySalaryFen === null ? null : String(r.expectedMonthlySalaryFen),
    };
  }

  private async visibleBrandOf(trainee: Trainee, m?: Db): Promise<BrandFacts> {
    const brand = await this.brands.facts(trainee.brandId, m);
    if (!brand) throw new Error(`trainee ${trainee.id} has no brand ${trainee.brandId}`);
    return brand;
  }

  async register(actor: Actor, brandId: string, dto: RegisterTraineeDto): Promise<TraineeView> {
    const parsed = parseRegistration({ ...dto });
    if (!parsed.ok) throw validationProblem([parsed.error]);
    const sealed = this.seal(parsed.value);
    try {
      const registered = await this.registerInOneStatement(actor, brandId, sealed);
      if (registered) return this.present(registered, 'operator');
      // Nothing was written: the transaction below finds out why (404, 403, 409), or registers after a deadlock.
      return await this.transactions.run(async (m) => {
        const brand = await this.operatedBrand(actor, brandId, m);
        this.requireOpenBrand(brand);
        const trainee = await this.trainees.insert(m, brandId, sealed);
        await this.outbox.append(m, actor, [
          { type: TRAINEE_REGISTERED_EVENT, aggregateType: TRAINEE_AGGREGATE, aggregateId: trainee.id, brandId, data: TRAINEE_REGISTERED_DATA.of(trainee) },
        ]);
        await this.audit.record(m, actor, { action: TRAINEE_REGISTER_ACTION, objectType: TRAINEE_AGGREGATE, objectId: trainee.id, brandId });
        return this.present(trainee, 'operator');
      });
    } catch (err) {
      if (isUniqueViolation(err, 'ux_trainees_brand_person')) {
        throw new ProblemError('DUPLICATE_TRAINEE', msg('trainee.duplicate'));
      }
      throw err;
    }
  }

  /**
   * The common case of a registration (the operator, a brand that takes trainees) in one autocommitted statement,
   * one round trip instead of six (TraineesRepository.registerInOneStatement, composed of the brands module's
   * fragment, the outbox's and the audit log's). Null when nothing was written: the brand is unknown or hidden, the
   * caller does not operate it, it is closed, or the statement met a deadlock (timing, not the request; the
   * transaction retries). A person already in the brand throws the unique violation the transaction's insert would.
   *
   * A brand id not in Postgres's spelling (upper-case hex) is left to the transaction, whose answer and event repeat
   * the id as the path gives it, where this statement's would give the stored one.
   */
  private async registerInOneStatement(actor: Actor, brandId: string, sealed: SealedRegistration): Promise<Trainee | null> {
    if (brandId !== brandId.toLowerCase()) return null;
    try {
      const trainee = await this.trainees.registerInOneStatement(brandId, sealed, actor, chinaToday(), (b, p) => Policy.operatesBrandSql(actor, b, p));
      if (trainee) this.outbox.wake();
      return trainee;
    } catch (err) {
      if (isTimingFailure(err)) return null;
      throw err;
    }
  }

  async list(actor: Actor, brandId: string, query: ListTraineesQuery): Promise<Page<TraineeView>> {
    const brand = await this.brands.getVisible(actor, brandId);
    if (!Policy.mayListTrainees(actor, brand)) {
      throw new ProblemError('FORBIDDEN', msg('trainee.listForbidden'));
    }
    const viewer: TraineeViewer = Policy.relationToBrand(actor, brand) === 'operator' ? 'operator' : 'reader';
    const page = newestFirst(query);
    const rows = await this.trainees.listByBrand(brandId, { status: query.status, cohort: query.cohort }, page.after, page.fetch);
    return newestFirstPageOf(rows, page, (t) => t.registeredAt, (t) => this.present(t, viewer));
  }

  /**
   * A brand's roster for an export (its insiders, as for the list; the same filters), read in keyset batches as the
   * file is written. The first batch is read here, so that a failure to read surfaces as a problem before the
   * answer starts. Audited: a whole roster leaves the service, even masked.
   */
  async exportRoster(actor: Actor, brandId: string, filter: TraineeListFilter): Promise<{ brand: BrandFacts; batches: AsyncIterable<TraineeExportRow[]> }> {
    const brand = await this.brands.getVisible(actor, brandId);
    if (!Policy.mayListTrainees(actor, brand)) {
      throw new ProblemError('FORBIDDEN', msg('trainee.listForbidden'));
    }
    const batches = await startedIterable(this.exportBatches(brandId, { status: filter.status, cohort: filter.cohort }));
    await this.audit.recordNow(actor, { action: 'trainee.export', objectType: 'brand', objectId: brandId, brandId, details: { status: filter.status ?? null, cohort: filter.cohort ?? null } });
    return { brand, batches };
  }

  /**
   * The keyset batches of an export. The next batch is asked for as soon as this one has arrived, so the database
   * reads it while this one is written out; never more than one ahead, so the client's pace still sets the reading's.
   */
  private async *exportBatches(brandId: string, filter: TraineeListFilter): AsyncGenerator<TraineeExportRow[]> {
    let next: Promise<TraineeExportRow[]> = this.trainees.exportBatch(brandId, filter, null, EXPORT_BATCH_SIZE);
    for (;;) {
      const rows = await next;
      const more = rows.length === EXPORT_BATCH_SIZE;
      if (more) {
        const last = rows[rows.length - 1];
        next = this.trainees.exportBatch(brandId, filter, { at: last.registeredAt, id: last.id }, EXPORT_BATCH_SIZE);
        // Observed when awaited; if the client goes away first, its failure must not count as unhandled.
        next.catch(() => undefined);
      }
      if (rows.length > 0) yield rows;
      if (!more) return;
    }
  }

  /**
   * A trainee the caller may see (Policy.traineeViewer), with its brand, or 404 for everyone else. With `m`, read
   * in that transaction, the trainee locked when `lock`.
   */
  async getVisible(actor: Actor, id: string, m?: Db, lock = false): Promise<VisibleTrainee> {
    const trainee = await this.trainees.findById(id, m, lock);
    if (!trainee) throw notFound(msg('object.trainee'));
    const brand = await this.visibleBrandOf(trainee, m);
    const offered = Policy.asksForOffers(actor) ? await this.trainees.offeredTo(id, actor.organizationId, m) : false;
    const viewer = Policy.traineeViewer(actor, brand, offered);
    if (!viewer) throw notFound(msg('object.trainee'));
    return { trainee, brand, viewer };
  }

  async get(actor: Actor, id: string): Promise<TraineeView> {
    const { trainee, viewer } = await this.getVisible(actor, id);
    return this.present(trainee, viewer);
  }

  async update(actor: Actor, id: string, dto: UpdateTraineeDto, ifMatch: number | undefined): Promise<TraineeView> {
    const fields = Object.keys(dto).filter((k) => (dto as Record<string, unknown>)[k] !== undefined);
    if (fields.length === 0) throw new ProblemError('VALIDATION_FAILED', msg('body.emptyUpdate'), [{ field: '(body)', code: 'EMPTY_UPDATE', message: msg('field.noFieldToChange') }]);
    return this.transactions.run(async (m) => {
      const { trainee, brand } = await this.getVisible(actor, id, m, true);
      Policy.requireBrandOperator(actor, brand);
      requireVersion(trainee.version, ifMatch, msg('object.trainee'));
      if (trainee.erased) throw new ProblemError('INVALID_TRANSITION', msg('trainee.erased'));
      const fromStatus = trainee.status;
      if (dto.status !== undefined) {
        const check = checkOperatorStatusChange(trainee.status, dto.status);
        if (!check.ok) throw new ProblemError('INVALID_TRANSITION', msg('trainee.cannotChangeStatus', { reason: check.reason }));
        trainee.status = dto.status;
      }
      if (dto.fullName !== undefined) trainee.fullName = dto.fullName;
      if (dto.phone !== undefined) {
        trainee.phoneCipher = dto.phone === null ? null : this.cipher.encrypt(dto.phone, PHONE_CONTEXT);
        trainee.phoneMasked = dto.phone === null ? null : maskPhone(dto.phone);
      }
      // `null` clears the groups, as an empty list does.
      if (dto.targetGroups !== undefined) trainee.targetGroups = dto.targetGroups ?? [];
      if (dto.cohort !== undefined) trainee.cohort = dto.cohort;
      if (dto.expectedMonthlySalaryFen !== undefined) trainee.expectedMonthlySalaryFen = dto.expectedMonthlySalaryFen === null ? null : String(dto.expectedMonthlySalaryFen);
      trainee.version += 1;
      trainee.updatedAt = new Date();
      await this.trainees.save(m, id, {
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
    const hash = this.cipher.blindIndex(normaliseNationalId(nationalId), NATIONAL_ID_CONTEXT);
    const rows = await this.trainees.findByHashUnderOperator(hash, actor.organizationId);
    await this.audit.recordNow(actor, { action: 'trainee.lookup', objectType: 'trainee', objectId: null, details: { matches: rows.length } });
    return { items: rows.map((t) => this.present(t, 'operator')) };
  }

  /**
   * Erasure for good: name, identity number, phone and the blind index are nulled; status, dates, groups and
   * salary expectation stay as anonymous facts so the brand's figures do not move.
   */
  async erase(actor: Actor, id: string): Promise<TraineeView> {
    return this.transactions.run(async (m) => {
      const { trainee, brand, viewer } = await this.getVisible(actor, id, m, true);
      if (viewer !== 'operator' && !Policy.isPlatform(actor)) throw new ProblemError('FORBIDDEN', msg('trainee.eraseForbidden'));
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
      await this.trainees.save(m, id, erasure);
      Object.assign(trainee, erasure);
      // Responses kept for Idempotency-Key replays may show this person: they go too.
      await this.idempotency.forgetResponsesShowing(m, id);
      await this.outbox.append(m, actor, [{ type: 'trainee.erased', aggregateType: 'trainee', aggregateId: id, brandId: brand.id, data: { traineeId: id, brandId: brand.id } }]);
      await this.audit.record(m, actor, { action: 'trainee.erase', objectType: 'trainee', objectId: id, brandId: brand.id });
      return this.present(trainee, viewer);
    });
  }

  /**
   * Bulk registration from a streamed roster file (CSV, .xlsx or NDJSON; readRoster), in one transaction: invalid rows are reported and
   * skipped, people already in the brand count as duplicates (so a re-import creates nothing), and a file that
   * cannot be read at all writes nothing. Rows are encrypted and inserted in batches with one statement each.
   */
  async import(actor: Actor, brandId: string, body: Readable, file: RosterFile): Promise<ImportResult> {
    const result: ImportResult = { received: 0, created: 0, duplicates: 0, rejected: 0, errors: [] };
    const reject = (error: ImportError): void => {
      result.rejected++;
      if (result.errors.length < MAX_LISTED_IMPORT_ERRORS) result.errors.push(error);
    };
    const today = new Date();
    try {
      await this.transactions.runLong(async (m) => {
        const brand = await this.operatedBrand(actor, brandId, m);
        this.requireOpenBrand(brand);
        let batch = new TraineeCopyBatch();
        // One batch is in the database while the next is parsed, validated, encrypted and written as COPY lines:
        // Node and Postgres work at the same time. Only one at a time, since the transaction has a single connection.
        let inFlight: Promise<void> = Promise.resolve();
        const flush = async (): Promise<void> => {
          if (batch.size === 0) return;
          const rows = batch;
          batch = new TraineeCopyBatch();
          await inFlight;
          inFlight = this.writeImportBatch(m, actor, brandId, rows, result);
          // Observed when awaited next; until then a failure must not count as an unhandled rejection.
          inFlight.catch(() => undefined);
        };
        try {
          for await (const row of readRoster(body, file)) {
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
            this.importBatchRow(batch, parsed.value);
            if (batch.size >= IMPORT_BATCH_SIZE) await flush();
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
          details: { format: file.format, received: result.received, created: result.created, duplicates: result.duplicates, rejected: result.rejected },
        });
      });
    } catch (err) {
      if (err instanceof ImportFileError) throw new ProblemError('INVALID_IMPORT_FILE', err.reason);
      throw err;
    }
    return result;
  }

  private async writeImportBatch(m: Db, actor: Actor, brandId: string, rows: TraineeCopyBatch, result: ImportResult): Promise<void> {
    const { created, duplicates } = await this.registerImported(m, actor, brandId, rows);
    result.created += created;
    result.duplicates += duplicates;
  }

  /**
   * An import batch, its rows added (importBatchRow) as they were read, written in the caller's transaction (also
   * the import jobs' writer): people already in the brand skipped as duplicates, one outbox event for the batch.
   */
  async registerImported(m: Db, actor: Actor, brandId: string, rows: TraineeCopyBatch): Promise<{ created: number; duplicates: number }> {
    if (rows.size === 0) return { created: 0, duplicates: 0 };
    const ids = await this.trainees.insertBatch(m, brandId, rows);
    if (ids.length) {
      await this.outbox.append(m, actor, [
        { type: 'trainee.imported', aggregateType: 'brand', aggregateId: brandId, brandId, data: { brandId, traineeIds: ids, count: ids.length } },
      ]);
    }
    return { created: ids.length, duplicates: rows.size - ids.length };
  }

  /** A checked registration added to an import batch, encrypted as it is read (the import jobs' reader too). */
  importBatchRow(batch: TraineeCopyBatch, r: Registration): void {
    batch.add(this.seal(r));
  }

  /** The brand, when the caller operates it and it takes new trainees (the import jobs' check before storing a file). */
  async operatedOpenBrand(actor: Actor, brandId: string, m?: Db): Promise<BrandFacts> {
    const brand = await this.operatedBrand(actor, brandId, m);
    this.requireOpenBrand(brand);
    return brand;
  }

  /** The brand, when the caller operates it (404 hidden, 403 merely visible). */
  async requireOperator(actor: Actor, brandId: string): Promise<BrandFacts> {
    return this.operatedBrand(actor, brandId);
  }

  /**
   * For a confirmation (the placements module): locks the trainee, checks that they may be placed
   * (canBePlaced; else 409 INVALID_TRANSITION) and places them, in the caller's transaction.
   */
  async place(m: Db, traineeId: string): Promise<void> {
    const trainee = await this.trainees.lockState(m, traineeId);
    if (!trainee || !canBePlaced(trainee)) {
      throw new ProblemError('INVALID_TRANSITION', msg('trainee.cannotBePlaced', { status: trainee?.erased ? msg('trainee.erasedState') : String(trainee?.status) }));
    }
    await this.trainees.markPlaced(m, traineeId);
  }

  /** When a placement ends (the placements module): a placed trainee is back to `completed`. */
  async unplace(m: Db, traineeId: string): Promise<void> {
    await this.trainees.markUnplaced(m, traineeId);
  }

  /**
   * For a certificate's credential (the certifications module): the trainee's identity number, normalised (18
   * characters, a final x upper-cased), which the caller hashes with a salt into the credential's identifier and
   * then drops. Decrypted here, where the trainee's personal data is kept; it is neither logged nor returned by any
   * route. Null when the trainee has been erased.
   */
  identityNumberOf(trainee: Trainee): string | null {
    if (!trainee.nationalIdCipher) return null;
    return normaliseNationalId(this.cipher.decrypt(trainee.nationalIdCipher, NATIONAL_ID_CONTEXT));
  }
}
