import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditLog } from '../audit/audit-log';
import { Brand } from '../brands/brand.entity';
import { chinaToday, isBrandCertified } from '../brands/brand.rules';
import type { Actor } from '../common/auth/actor';
import { Policy } from '../common/auth/policy';
import { prefixRange } from '../common/identifiers/region-code';
import { requireVersion } from '../common/http/if-match';
import { cursorSeq, cursorTimestamp, cursorUuid, decodeCursor, Page, pageLimit, toPage } from '../common/pagination/pagination';
import { notFound, ProblemError, validationFailed } from '../common/problems/problem';
import { inTransaction, pgConstraint, pgErrorCode } from '../database/transactions';
import { Outbox } from '../events/outbox';
import { Organization } from '../organizations/organization.entity';
import { Trainee } from '../trainees/trainee.entity';
import { canBePlaced } from '../trainees/trainee.rules';
import type { ConfirmPlacementDto, EndPlacementDto, ListPlacementsQuery, PlacementEventView, PlacementView, ProposePlacementDto, SalaryChangeDto } from './dto/placement.dto';
import { Placement, PlacementSalaryChange } from './placement.entity';
import { annualSalaryFen, checkPlacementAction, PLACEMENT_RULES, PlacementAction, SalaryPeriod } from './placement.rules';

export function presentPlacement(p: Placement): PlacementView {
  return {
    id: p.id,
    traineeId: p.traineeId,
    brandId: p.brandId,
    employerId: p.employerId,
    proposedById: p.proposedById,
    jobTitle: p.jobTitle,
    occupationCode: p.occupationCode,
    workRegionCode: p.workRegionCode,
    salaryFen: Number(p.salaryFen),
    salaryPeriod: p.salaryPeriod,
    annualSalaryFen: Number(p.annualSalaryFen),
    startDate: p.startDate,
    status: p.status,
    confirmedAt: p.confirmedAt ? p.confirmedAt.toISOString() : null,
    closedAt: p.closedAt ? p.closedAt.toISOString() : null,
    rejectReason: p.rejectReason,
    endDate: p.endDate,
    endedAt: p.endedAt ? p.endedAt.toISOString() : null,
    endReason: p.endReason,
    version: p.version,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

/** The facts every placement event carries: ids, status and money, never a person's name or number. */
function eventData(p: Placement): Record<string, unknown> {
  return {
    placementId: p.id,
    traineeId: p.traineeId,
    brandId: p.brandId,
    employerId: p.employerId,
    status: p.status,
    salaryFen: Number(p.salaryFen),
    salaryPeriod: p.salaryPeriod,
    annualSalaryFen: Number(p.annualSalaryFen),
    startDate: p.startDate,
    confirmedAt: p.confirmedAt ? p.confirmedAt.toISOString() : null,
    endDate: p.endDate,
    version: p.version,
  };
}

type Role = 'employer' | 'operator' | 'bureau' | 'platform';

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

/**
 * $1 placement, $2 the caller (must be the named employer), $3 expected version or null, $4 the caller's key.
 * The trainee is locked first and must still be placeable; the placement must be proposed. The event data is
 * the same document eventData() builds for the general path.
 */
const CONFIRM_AS_PROPOSED = `
  WITH trainee AS (
    SELECT t.id FROM trainees t JOIN placements p ON p.trainee_id = t.id
     WHERE p.id = $1 AND p.employer_id = $2 AND NOT t.erased AND t.status IN ('registered', 'training', 'completed')
       FOR UPDATE OF t),
  confirmed AS (
    UPDATE placements SET status = 'confirmed', confirmed_at = now(), version = version + 1, updated_at = now()
     WHERE id = $1 AND employer_id = $2 AND status = 'proposed' AND ($3::int IS NULL OR version = $3)
       AND trainee_id IN (SELECT id FROM trainee)
    RETURNING *),
  placed AS (
    UPDATE trainees SET status = 'placed', version = version + 1, updated_at = now()
     WHERE id IN (SELECT trainee_id FROM confirmed)),
  event AS (
    INSERT INTO outbox_events (brand_id, aggregate_type, aggregate_id, type, data, actor_organization_id)
    SELECT brand_id, 'placement', id, 'placement.confirmed',
           jsonb_build_object('placementId', id, 'traineeId', trainee_id, 'brandId', brand_id, 'employerId', employer_id,
             'status', status, 'salaryFen', salary_fen, 'salaryPeriod', salary_period, 'annualSalaryFen', annual_salary_fen,
             'startDate', start_date, 'confirmedAt', to_char(confirmed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
             'endDate', end_date, 'version', version),
           $2
      FROM confirmed),
  audit AS (
    INSERT INTO audit_log (actor_organization_id, actor_api_key_id, action, object_type, object_id, brand_id, details)
    SELECT $2, $4, 'placement.confirm', 'placement', id::text, brand_id, jsonb_build_object('status', status) FROM confirmed)
  SELECT * FROM confirmed`;

@Injectable()
export class PlacementsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditLog,
    private readonly outbox: Outbox,
  ) {}

  /** The caller's relation to a placement, or null when it may not see it. */
  private roleIn(actor: Actor, placement: Placement, brand: Pick<Brand, 'operatorId' | 'regionCode'>): Role | null {
    if (actor.organizationId === placement.employerId) return 'employer';
    if (actor.organizationId === brand.operatorId) return 'operator';
    if (Policy.hasJurisdiction(actor, brand.regionCode)) return 'bureau';
    if (Policy.isPlatform(actor)) return 'platform';
    return null;
  }

  private async loadVisible(actor: Actor, id: string, m: EntityManager, lock: boolean): Promise<{ placement: Placement; brand: Brand; role: Role }> {
    const placement = await m.findOne(Placement, { where: { id }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    if (!placement) throw notFound('Placement');
    const brand = await m.findOneByOrFail(Brand, { id: placement.brandId });
    const role = this.roleIn(actor, placement, brand);
    if (!role) throw notFound('Placement');
    return { placement, brand, role };
  }

  async get(actor: Actor, id: string): Promise<PlacementView> {
    return presentPlacement((await this.loadVisible(actor, id, this.dataSource.manager, false)).placement);
  }

  async propose(actor: Actor, dto: ProposePlacementDto): Promise<PlacementView> {
    try {
      return await inTransaction(this.dataSource, async (m) => {
        // Locking the trainee serialises proposals and confirmations for one person.
        const trainee = await m.findOne(Trainee, { where: { id: dto.traineeId }, lock: { mode: 'pessimistic_write' } });
        const brand = trainee ? await m.findOneByOrFail(Brand, { id: trainee.brandId }) : null;
        const canSee = trainee && brand && (Policy.isBrandOperator(actor, brand) || Policy.isPlatform(actor) || Policy.hasJurisdiction(actor, brand.regionCode));
        if (!trainee || !brand || !canSee) throw notFound('Trainee');
        if (!Policy.isBrandOperator(actor, brand)) throw new ProblemError('FORBIDDEN', "Only the operator of the trainee's brand proposes placements");
        const employer = await m.findOneBy(Organization, { id: dto.employerId });
        if (!employer || employer.kind !== 'employer') throw validationFailed('employerId', 'NOT_AN_EMPLOYER', 'employerId must name an employer organization');
        if (!isBrandCertified(brand.status, brand.validUntil)) throw new ProblemError('BRAND_NOT_CERTIFIED', 'Placements are proposed only under a certified brand');
        if (trainee.erased || !canBePlaced(trainee.status)) {
          const open = await m.countBy(Placement, { traineeId: trainee.id, status: 'confirmed' });
          if (open) throw new ProblemError('TRAINEE_HAS_OPEN_PLACEMENT', 'The trainee already has a confirmed placement');
          throw new ProblemError('INVALID_TRANSITION', `A ${trainee.erased ? 'erased' : trainee.status} trainee cannot be placed`);
        }
        const annual = annualSalaryFen(dto.salaryFen, dto.salaryPeriod);
        const placement = await m.save(
          m.create(Placement, {
            traineeId: trainee.id,
            brandId: brand.id,
            employerId: employer.id,
            proposedById: actor.organizationId,
            jobTitle: dto.jobTitle,
            occupationCode: dto.occupationCode ?? brand.occupationCode,
            workRegionCode: dto.workRegionCode,
            salaryFen: String(dto.salaryFen),
            salaryPeriod: dto.salaryPeriod,
            annualSalaryFen: String(annual),
            startDate: dto.startDate,
            status: 'proposed',
          }),
        );
        await this.recordSalary(m, actor, placement, dto.startDate);
        await this.recordChange(m, actor, placement, 'placement.proposed', 'placement.propose');
        return presentPlacement(placement);
      });
    } catch (err) {
      if (pgErrorCode(err) === '23505' && pgConstraint(err) === 'ux_placements_open_per_trainee') {
        throw new ProblemError('TRAINEE_HAS_OPEN_PLACEMENT', 'The trainee already has a proposed or confirmed placement');
      }
      throw err;
    }
  }

  async confirm(actor: Actor, id: string, dto: ConfirmPlacementDto, ifMatch: number | undefined): Promise<PlacementView> {
    const asProposed = dto.salaryFen === undefined && dto.salaryPeriod === undefined && dto.startDate === undefined;
    if (asProposed) {
      const confirmed = await this.confirmInOneStatement(actor, id, ifMatch);
      if (confirmed) return presentPlacement(confirmed);
      // Nothing was written: the general path below finds out why (404, 403, 409) or confirms after a race.
    }
    return this.act(actor, id, 'confirm', ifMatch, async (m, placement, now) => {
      const salaryChanged = dto.salaryFen !== undefined || dto.salaryPeriod !== undefined;
      if (salaryChanged) {
        const period: SalaryPeriod = dto.salaryPeriod ?? placement.salaryPeriod;
        const amount = dto.salaryFen ?? Number(placement.salaryFen);
        placement.salaryFen = String(amount);
        placement.salaryPeriod = period;
        placement.annualSalaryFen = String(annualSalaryFen(amount, period));
      }
      if (dto.startDate !== undefined) placement.startDate = dto.startDate;
      placement.confirmedAt = now;
      if (salaryChanged || dto.startDate !== undefined) await this.recordSalary(m, actor, placement, placement.startDate);
      // The trainee works now: `placed` while this placement is active.
      const trainees: Array<{ status: string; erased: boolean }> = await m.query(`SELECT status, erased FROM trainees WHERE id = $1 FOR UPDATE`, [placement.traineeId]);
      const trainee = trainees[0];
      if (!trainee || trainee.erased || !canBePlaced(trainee.status as Trainee['status'])) {
        throw new ProblemError('INVALID_TRANSITION', `The trainee is ${trainee?.erased ? 'erased' : trainee?.status} and cannot be placed`);
      }
      await m.query(`UPDATE trainees SET status = 'placed', version = version + 1, updated_at = now() WHERE id = $1`, [placement.traineeId]);
    });
  }

  /**
   * The hot path of the product (employers confirming offers): the whole confirmation — the trainee locked and
   * checked, the placement moved, the trainee placed, the event and the audit entry — in one autocommitted
   * statement, one round trip instead of nine. Every rule of the general path is in its WHERE clauses; when one
   * does not hold, nothing is written and null is answered.
   */
  private async confirmInOneStatement(actor: Actor, id: string, ifMatch: number | undefined): Promise<Placement | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        const rows: Array<Record<string, unknown>> = await this.dataSource.query(CONFIRM_AS_PROPOSED, [id, actor.organizationId, ifMatch ?? null, actor.apiKeyId]);
        if (!rows.length) return null;
        this.outbox.wake();
        return placementFromRow(rows[0]);
      } catch (err) {
        // Lock order differs from the general path (trainee first): a rare deadlock is retried, as inTransaction does.
        if (pgErrorCode(err) === '40P01' && attempt < 4) continue;
        throw err;
      }
    }
  }

  async reject(actor: Actor, id: string, reason: string, ifMatch: number | undefined): Promise<PlacementView> {
    return this.act(actor, id, 'reject', ifMatch, async (_m, placement, now) => {
      placement.rejectReason = reason;
      placement.closedAt = now;
    });
  }

  async withdraw(actor: Actor, id: string, ifMatch: number | undefined): Promise<PlacementView> {
    return this.act(actor, id, 'withdraw', ifMatch, async (_m, placement, now) => {
      placement.closedAt = now;
    });
  }

  async end(actor: Actor, id: string, dto: EndPlacementDto, ifMatch: number | undefined): Promise<PlacementView> {
    return this.act(actor, id, 'end', ifMatch, async (m, placement, now) => {
      if (dto.endDate < placement.startDate) throw validationFailed('endDate', 'BEFORE_START', `endDate may not be before the start date ${placement.startDate}`);
      if (dto.endDate > chinaToday()) throw validationFailed('endDate', 'IN_FUTURE', 'endDate may not be in the future; report the end once it has happened');
      placement.endDate = dto.endDate;
      placement.endReason = dto.reason;
      placement.endedAt = now;
      placement.closedAt = now;
      await m.query(`UPDATE trainees SET status = 'completed', version = version + 1, updated_at = now() WHERE id = $1 AND status = 'placed'`, [placement.traineeId]);
    });
  }

  async changeSalary(actor: Actor, id: string, dto: SalaryChangeDto, ifMatch: number | undefined): Promise<PlacementView> {
    return this.act(actor, id, 'change_salary', ifMatch, async (m, placement) => {
      if (dto.effectiveDate < placement.startDate) throw validationFailed('effectiveDate', 'BEFORE_START', `effectiveDate may not be before the start date ${placement.startDate}`);
      if (dto.effectiveDate > chinaToday()) throw validationFailed('effectiveDate', 'IN_FUTURE', 'effectiveDate may not be in the future');
      const [latest] = await m.query(`SELECT max(effective_date)::text AS d FROM placement_salary_changes WHERE placement_id = $1`, [placement.id]);
      // A back-dated correction goes into the history; the current salary is the one with the latest effective date.
      if (!latest?.d || dto.effectiveDate >= latest.d) {
        placement.salaryFen = String(dto.salaryFen);
        placement.salaryPeriod = dto.salaryPeriod;
        placement.annualSalaryFen = String(annualSalaryFen(dto.salaryFen, dto.salaryPeriod));
      }
      await m.insert(PlacementSalaryChange, {
        placementId: placement.id,
        brandId: placement.brandId,
        salaryFen: String(dto.salaryFen),
        salaryPeriod: dto.salaryPeriod,
        annualSalaryFen: String(annualSalaryFen(dto.salaryFen, dto.salaryPeriod)),
        effectiveDate: dto.effectiveDate,
        actorOrganizationId: actor.organizationId,
      });
    });
  }

  /**
   * One transition: lock the placement, check who may act, the version and the state, apply, write the event and
   * the audit entry. The row lock queues concurrent transitions; each later one sees the first's result and gets 409.
   */
  private async act(
    actor: Actor,
    id: string,
    action: PlacementAction,
    ifMatch: number | undefined,
    apply: (m: EntityManager, placement: Placement, now: Date) => Promise<void>,
  ): Promise<PlacementView> {
    return inTransaction(this.dataSource, async (m) => {
      const { placement, role } = await this.loadVisible(actor, id, m, true);
      const rule = PLACEMENT_RULES[action];
      const allowed = rule.by === 'employer_or_operator' ? role === 'employer' || role === 'operator' : role === rule.by;
      if (!allowed) {
        const who = rule.by === 'employer' ? 'the named employer' : rule.by === 'operator' ? "the brand's operator" : "the employer or the brand's operator";
        throw new ProblemError('FORBIDDEN', `Only ${who} may ${action.replace('_', ' ')} this placement`);
      }
      requireVersion(placement.version, ifMatch, 'The placement');
      const check = checkPlacementAction(placement.status, action);
      if (!check.ok) throw new ProblemError('INVALID_TRANSITION', `Cannot ${action.replace('_', ' ')}: ${check.reason}`);
      const now = new Date();
      await apply(m, placement, now);
      placement.status = check.to;
      placement.version += 1;
      placement.updatedAt = now;
      await m.update(Placement, { id }, {
        status: placement.status,
        salaryFen: placement.salaryFen,
        salaryPeriod: placement.salaryPeriod,
        annualSalaryFen: placement.annualSalaryFen,
        startDate: placement.startDate,
        confirmedAt: placement.confirmedAt,
        closedAt: placement.closedAt,
        rejectReason: placement.rejectReason,
        endDate: placement.endDate,
        endedAt: placement.endedAt,
        endReason: placement.endReason,
        version: placement.version,
        updatedAt: now,
      });
      await this.recordChange(m, actor, placement, rule.event, `placement.${action}`);
      return presentPlacement(placement);
    });
  }

  private async recordSalary(m: EntityManager, actor: Actor, p: Placement, effectiveDate: string): Promise<void> {
    await m.insert(PlacementSalaryChange, {
      placementId: p.id,
      brandId: p.brandId,
      salaryFen: p.salaryFen,
      salaryPeriod: p.salaryPeriod,
      annualSalaryFen: p.annualSalaryFen,
      effectiveDate,
      actorOrganizationId: actor.organizationId,
    });
  }

  private async recordChange(m: EntityManager, actor: Actor, p: Placement, eventType: string, auditAction: string): Promise<void> {
    await this.outbox.append(m, actor, [{ type: eventType, aggregateType: 'placement', aggregateId: p.id, brandId: p.brandId, data: eventData(p) }]);
    await this.audit.record(m, actor, { action: auditAction, objectType: 'placement', objectId: p.id, brandId: p.brandId, details: { status: p.status } });
  }

  /** Scoped lists: an HR firm sees its brands' placements, an employer those naming it, a bureau those in its jurisdiction. */
  async list(actor: Actor, query: ListPlacementsQuery): Promise<Page<PlacementView>> {
    const limit = pageLimit(query);
    const after = decodeCursor(query.cursor, 2);
    const qb = this.dataSource.getRepository(Placement).createQueryBuilder('p').orderBy('p.created_at', 'DESC').addOrderBy('p.id', 'DESC').limit(limit + 1);
    if (actor.kind === 'employer') {
      qb.andWhere('p.employer_id = :me', { me: actor.organizationId });
    } else if (actor.kind === 'hr_firm') {
      qb.andWhere('p.brand_id IN (SELECT b.id FROM brands b WHERE b.operator_id = :me)', { me: actor.organizationId });
    } else if (actor.kind === 'bureau') {
      const [low, high] = prefixRange(Policy.jurisdictionPrefix(actor) ?? '');
      qb.andWhere('p.brand_id IN (SELECT b.id FROM brands b WHERE b.region_code BETWEEN :low AND :high)', { low, high });
    }
    if (query.brandId) qb.andWhere('p.brand_id = :brandId', { brandId: query.brandId });
    if (query.employerId) qb.andWhere('p.employer_id = :employerId', { employerId: query.employerId });
    if (query.traineeId) qb.andWhere('p.trainee_id = :traineeId', { traineeId: query.traineeId });
    if (query.status) qb.andWhere('p.status = :status', { status: query.status });
    if (after) qb.andWhere('(p.created_at, p.id) < (:at, :id)', { at: cursorTimestamp(after[0]), id: cursorUuid(after[1]) });
    const rows = await qb.getMany();
    return toPage(rows, limit, (p) => [p.createdAt.toISOString(), p.id], presentPlacement);
  }

  /** The placement's domain events from the outbox, oldest first. */
  async events(actor: Actor, id: string, query: { limit?: number; cursor?: string }): Promise<Page<PlacementEventView>> {
    await this.loadVisible(actor, id, this.dataSource.manager, false);
    const limit = pageLimit(query);
    const after = decodeCursor(query.cursor, 1);
    const rows: Array<{ id: string; seq: string; type: string; occurred_at: Date; actor_organization_id: string | null; data: Record<string, unknown> }> = await this.dataSource.query(
      `SELECT id, seq, type, occurred_at, actor_organization_id, data FROM outbox_events
        WHERE aggregate_id = $1 AND aggregate_type = 'placement' AND seq > $2 ORDER BY seq LIMIT $3`,
      [id, after ? cursorSeq(after[0]) : '0', limit + 1],
    );
    return toPage(rows, limit, (r) => [r.seq], (r) => ({ id: r.id, type: r.type, occurredAt: r.occurred_at.toISOString(), actorOrganizationId: r.actor_organization_id, data: r.data }));
  }
}
