import { Injectable } from '@nestjs/common';
import type { Actor } from '../common/auth/actor';
import type { NewestFirstKey } from '../common/pagination/pagination';
import { appendAuditEntriesSql } from '../audit/audit.fragments';
import { BRANDS_TABLE } from '../brands/brands.fragments';
import { Db, Repository } from '../database/repository';
import { namedStatement, SqlCondition, sqlIn, sqlLiteral, SqlParams } from '../database/sql';
import { appendEventsSql } from '../events/outbox.fragments';
import { lockPlaceableTraineeSql, placeTraineesSql, unplaceTraineesSql } from '../trainees/trainees.fragments';
import { Placement, PlacementSalaryChange } from './placement.entity';
import { PLACEMENT_AGGREGATE, PLACEMENT_AUDIT_DETAILS, PLACEMENT_EVENT_DATA, placementAuditAction } from './placement.events';
import { becomesCurrentSalarySql, jobDateOkSql, PLACEMENT_RULES, type PlacementStatus, type SalaryPeriod } from './placement.rules';

export interface PlacementListFilter {
  brandId?: string;
  employerId?: string;
  traineeId?: string;
  status?: PlacementStatus;
}

/** Column expressions of the list query the access policy filters on. */
export interface PlacementScopeColumns {
  employerId: string;
  operatorId: string;
  regionCode: string;
}

const CONFIRM = PLACEMENT_RULES.confirm;

/**
 * The whole confirmation of a placement as proposed, in one statement: the trainee locked and checked (the
 * trainees module's fragment of canBePlaced), the placement moved, the trainee placed, the event and the audit
 * entry appended through the fragments of the outbox and the audit log. $1 placement, $2 the caller (the named
 * employer), $3 expected version or null, $4 the caller's key. When a rule does not hold, nothing is written.
 */
const CONFIRM_AS_PROPOSED = namedStatement('confirm_as_proposed', `
  WITH trainee AS (${lockPlaceableTraineeSql('SELECT trainee_id FROM placements WHERE id = $1 AND employer_id = $2')}),
  confirmed AS (
    UPDATE placements SET status = ${sqlLiteral(CONFIRM.to)}, confirmed_at = now(), version = version + 1, updated_at = now()
     WHERE id = $1 AND employer_id = $2 AND ${sqlIn('status', CONFIRM.from)} AND ($3::int IS NULL OR version = $3)
       AND trainee_id IN (SELECT id FROM trainee)
    RETURNING *),
  placed AS (${placeTraineesSql('SELECT trainee_id FROM confirmed')}),
  event AS (${appendEventsSql(`SELECT brand_id, ${sqlLiteral(PLACEMENT_AGGREGATE)}, id, ${sqlLiteral(CONFIRM.event)}, ${PLACEMENT_EVENT_DATA.sql('confirmed')}, $2 FROM confirmed`)}),
  audit AS (${appendAuditEntriesSql(`SELECT $2, $4, ${sqlLiteral(placementAuditAction('confirm'))}, ${sqlLiteral(PLACEMENT_AGGREGATE)}, id::text, brand_id, ${PLACEMENT_AUDIT_DETAILS.sql('confirmed')} FROM confirmed`)})
  SELECT * FROM confirmed`);

const CHANGE_SALARY = PLACEMENT_RULES.change_salary;

/** A salary change as the history records it; `annualSalaryFen` computed by annualSalaryFen (placement.rules.ts). */
export interface SalaryChange {
  salaryFen: number;
  salaryPeriod: SalaryPeriod;
  annualSalaryFen: number;
  effectiveDate: string;
}

/** A column set to the change's value when the change becomes current (`before.becomes_current`), else kept. */
const ifCurrent = (column: string, value: string): string => `${column} = CASE WHEN b.becomes_current THEN ${value} ELSE p.${column} END`;

/**
 * A salary change reported by the employer named on the placement, in one statement: the placement locked and
 * checked (version, status, the effective date within the job), the history row inserted, the current salary
 * replaced only when the change becomes current (becomesCurrentSalarySql), the version bumped, the event and the
 * audit entry appended through the fragments of the outbox and the audit log. $1 placement, $2 the caller, $3
 * expected version or null, $4 the caller's key, $5 salary_fen, $6 salary_period, $7 annual_salary_fen, $8
 * effective date, $9 today in China. When a rule does not hold, nothing is written.
 *
 * The latest effective date is read in the statement's snapshot, taken before the row lock is granted. So the
 * update also requires the version that snapshot saw: a change committed while this one waited for the lock bumped
 * it (every history row is written by a transaction that writes the placement's version), and this statement then
 * writes nothing rather than compare with a stale date; the caller's general path decides with a fresh read.
 */
const CHANGE_SALARY_AS_EMPLOYER = namedStatement('change_salary_as_employer', `
  WITH before AS MATERIALIZED (
    SELECT p.id, p.version,
           ${becomesCurrentSalarySql('$8::date', '(SELECT max(h.effective_date) FROM placement_salary_changes h WHERE h.placement_id = p.id)')} AS becomes_current
      FROM placements p
     WHERE p.id = $1 AND p.employer_id = $2),
  changed AS (
    UPDATE placements p
       SET status = ${sqlLiteral(CHANGE_SALARY.to)}, ${ifCurrent('salary_fen', '$5::bigint')}, ${ifCurrent('salary_period', '$6::text')},
           ${ifCurrent('annual_salary_fen', '$7::bigint')}, version = p.version + 1, updated_at = now()
      FROM before b
     WHERE p.id = b.id AND p.version = b.version AND ${sqlIn('p.status', CHANGE_SALARY.from)} AND ($3::int IS NULL OR p.version = $3)
       AND ${jobDateOkSql('$8::date', 'p.start_date', '$9::date')}
    RETURNING p.*),
  history AS (
    INSERT INTO placement_salary_changes (placement_id, brand_id, salary_fen, salary_period, annual_salary_fen, effective_date, actor_organization_id)
    SELECT id, brand_id, $5::bigint, $6::text, $7::bigint, $8::date, $2 FROM changed),
  event AS (${appendEventsSql(`SELECT brand_id, ${sqlLiteral(PLACEMENT_AGGREGATE)}, id, ${sqlLiteral(CHANGE_SALARY.event)}, ${PLACEMENT_EVENT_DATA.sql('changed')}, $2 FROM changed`)}),
  audit AS (${appendAuditEntriesSql(`SELECT $2, $4, ${sqlLiteral(placementAuditAction('change_salary'))}, ${sqlLiteral(PLACEMENT_AGGREGATE)}, id::text, brand_id, ${PLACEMENT_AUDIT_DETAILS.sql('changed')} FROM changed`)})
  SELECT * FROM changed`);

const END = PLACEMENT_RULES.end;

/**
 * The end of a job reported by the employer named on the placement, in one statement: the placement locked and
 * checked (version, status, the last working day within the job) and ended, the trainee unplaced (the trainees
 * module's fragment of unplace), the event and the audit entry appended. $1 placement, $2 the caller, $3 expected
 * version or null, $4 the caller's key, $5 the last working day, $6 the reason, $7 today in China. When a rule does
 * not hold, nothing is written. Every check is on the placement's own row, which the update re-reads once it holds
 * the lock: a change committed meanwhile is seen.
 */
const END_AS_EMPLOYER = namedStatement('end_as_employer', `
  WITH ended AS (
    UPDATE placements SET status = ${sqlLiteral(END.to)}, end_date = $5::date, end_reason = $6::text, ended_at = now(), closed_at = now(),
           version = version + 1, updated_at = now()
     WHERE id = $1 AND employer_id = $2 AND ${sqlIn('status', END.from)} AND ($3::int IS NULL OR version = $3)
       AND ${jobDateOkSql('$5::date', 'start_date', '$7::date')}
    RETURNING *),
  unplaced AS (${unplaceTraineesSql('SELECT trainee_id FROM ended')}),
  event AS (${appendEventsSql(`SELECT brand_id, ${sqlLiteral(PLACEMENT_AGGREGATE)}, id, ${sqlLiteral(END.event)}, ${PLACEMENT_EVENT_DATA.sql('ended')}, $2 FROM ended`)}),
  audit AS (${appendAuditEntriesSql(`SELECT $2, $4, ${sqlLiteral(placementAuditAction('end'))}, ${sqlLiteral(PLACEMENT_AGGREGATE)}, id::text, brand_id, ${PLACEMENT_AUDIT_DETAILS.sql('ended')} FROM ended`)})
  SELECT * FROM ended`);

/** The only code that reads and writes `placements` and `placement_salary_changes` (besides its fragments). */
@Injectable()
export class PlacementsRepository extends Repository {
  insert(m: Db, placement: Partial<Placement>): Promise<Placement> {
    return m.save(m.create(Placement, placement));
  }

  findById(id: string, m?: Db, lock = false): Promise<Placement | null> {
    return this.db(m).findOne(Placement, { where: { id }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
  }

  async save(m: Db, id: string, fields: Partial<Placement>): Promise<void> {
    await m.update(Placement, { id }, fields);
  }

  /** Autocommitted; answers the confirmed placement, or null when any rule did not hold (nothing written). */
  async confirmAsProposed(id: string, actor: Actor, expectedVersion: number | null): Promise<Placement | null> {
    const rows = await this.named(CONFIRM_AS_PROPOSED, [id, actor.organizationId, expectedVersion, actor.apiKeyId]);
    return rows.length ? placementFromRow(rows[0]) : null;
  }

  /** Autocommitted; answers the changed placement, or null when any rule did not hold (nothing written). */
  async changeSalaryAsEmployer(id: string, actor: Actor, expectedVersion: number | null, change: SalaryChange, today: string): Promise<Placement | null> {
    const rows = await this.named(CHANGE_SALARY_AS_EMPLOYER, [
      id,
      actor.organizationId,
      expectedVersion,
      actor.apiKeyId,
      String(change.salaryFen),
      change.salaryPeriod,
      String(change.annualSalaryFen),
      change.effectiveDate,
      today,
    ]);
    return rows.length ? placementFromRow(rows[0]) : null;
  }

  /** Autocommitted; answers the ended placement, or null when any rule did not hold (nothing written). */
  async endAsEmployer(id: string, actor: Actor, expectedVersion: number | null, endDate: string, reason: string, today: string): Promise<Placement | null> {
    const rows = await this.named(END_AS_EMPLOYER, [id, actor.organizationId, expectedVersion, actor.apiKeyId, endDate, reason, today]);
    return rows.length ? placementFromRow(rows[0]) : null;
  }

  async insertSalaryChange(m: Db, change: Omit<PlacementSalaryChange, 'seq' | 'recordedAt' | 'placement'>): Promise<void> {
    await m.insert(PlacementSalaryChange, change);
  }

  /** The latest effective date in a placement's salary history (null without history). */
  async latestSalaryDate(m: Db, placementId: string): Promise<string | null> {
    const [row] = await m.query(`SELECT max(effective_date)::text AS d FROM placement_salary_changes WHERE placement_id = $1`, [placementId]);
    return row?.d ?? null;
  }

  async countWithStatus(m: Db, traineeId: string, status: PlacementStatus): Promise<number> {
    return m.countBy(Placement, { traineeId, status });
  }

  /** A newest-first page of the placements `visible` admits (rendered over the employer and the brand's row). */
  async list(visible: SqlCondition<PlacementScopeColumns>, filter: PlacementListFilter, after: NewestFirstKey | null, fetch: number): Promise<Placement[]> {
    const p = new SqlParams();
    const where = [visible({ employerId: 'p.employer_id', operatorId: 'b.operator_id', regionCode: 'b.region_code' }, p)];
    if (filter.brandId) where.push(`p.brand_id = ${p.add(filter.brandId)}`);
    if (filter.employerId) where.push(`p.employer_id = ${p.add(filter.employerId)}`);
    if (filter.traineeId) where.push(`p.trainee_id = ${p.add(filter.traineeId)}`);
    if (filter.status) where.push(`p.status = ${p.add(filter.status)}`);
    if (after) where.push(`(p.created_at, p.id) < (${p.add(after.at)}, ${p.add(after.id)})`);
    const rows: Array<Record<string, unknown>> = await this.db().query(
      `SELECT p.* FROM placements p JOIN ${BRANDS_TABLE} b ON b.id = p.brand_id
        WHERE ${where.join(' AND ')} ORDER BY p.created_at DESC, p.id DESC LIMIT ${p.add(fetch)}`,
      p.values,
    );
    return rows.map(placementFromRow);
  }
}

/** A placements row as SQL returns it (snake_case, bigints as text) in entity form. */
function placementFromRow(r: Record<string, unknown>): Placement {
  return Object.assign(new Placement(), {
    id: r.id,
    traineeId: r.trainee_id,
    brandId: r.brand_id,
    employerId: r.employer_id,
    proposedById: r.proposed_by_id,
    jobTitle: r.job_title,
    occupationCode: r.occupation_code,
    workRegionCode: r.work_region_code,
    salaryFen: String(r.salary_fen),
    salaryPeriod: r.salary_period,
    annualSalaryFen: String(r.annual_salary_fen),
    startDate: r.start_date,
    status: r.status,
    confirmedAt: r.confirmed_at,
    closedAt: r.closed_at,
    rejectReason: r.reject_reason,
    endDate: r.end_date,
    endedAt: r.ended_at,
    endReason: r.end_reason,
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  } as Partial<Placement>);
}
