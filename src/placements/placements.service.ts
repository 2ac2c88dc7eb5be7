import { Injectable } from '@nestjs/common';
import { AuditLog } from '../audit/audit.service';
import { isBrandCertified } from '../brands/brand.rules';
import { chinaToday } from '../common/time/china-time';
import { BrandsService } from '../brands/brands.service';
import type { Actor } from '../common/auth/actor';
import { requireVersion } from '../common/http/if-match';
import { inSequence, newestFirst, newestFirstPageOf, Page, PageQuery, toPage } from '../common/pagination/pagination';
import { notFound, ProblemError, validationFailed } from '../common/problems/problem';
import type { Db } from '../database/repository';
import { isUniqueViolation, pgErrorCode, Transactions } from '../database/transactions';
import { Outbox } from '../events/outbox.service';
import { OrganizationsService } from '../organizations/organizations.service';
import { Policy, type PlacementRole } from '../policy/policy';
import { TraineesService } from '../trainees/trainees.service';
import { canBePlaced } from '../trainees/trainee.rules';
import type { ConfirmPlacementDto, EndPlacementDto, ListPlacementsQuery, PlacementEventView, PlacementView, ProposePlacementDto, SalaryChangeDto } from './dto/placement.dto';
import type { Placement } from './placement.entity';
import { PLACEMENT_AGGREGATE, PLACEMENT_AUDIT_DETAILS, PLACEMENT_EVENT_DATA, placementAuditAction } from './placement.events';
import { ACTIVE_PLACEMENT_STATUS, annualSalaryFen, becomesCurrentSalary, checkPlacementAction, jobDateProblem, PLACEMENT_RULES, PlacementAction, SalaryPeriod } from './placement.rules';
import { PlacementsRepository } from './placements.repository';
import { msg } from '../common/i18n/message';

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

@Injectable()
export class PlacementsService {
  constructor(
    private readonly transactions: Transactions,
    private readonly placements: PlacementsRepository,
    private readonly trainees: TraineesService,
    private readonly brands: BrandsService,
    private readonly organizations: OrganizationsService,
    private readonly audit: AuditLog,
    private readonly outbox: Outbox,
  ) {}

  /** A placement the caller may see and the caller's role in it; 404 for anyone else. */
  private async loadVisible(actor: Actor, id: string, m?: Db, lock = false): Promise<{ placement: Placement; role: PlacementRole }> {
    const placement = await this.placements.findById(id, m, lock);
    if (!placement) throw notFound(msg('object.placement'));
    // An employer acting on its placements (salary changes, ends) is served without reading the brand.
    const brand = Policy.placementRoleNeedsBrand(actor, placement) ? await this.brands.facts(placement.brandId, m) : null;
    const role = Policy.placementRole(actor, placement, brand);
    if (!role) throw notFound(msg('object.placement'));
    return { placement, role };
  }

  async get(actor: Actor, id: string): Promise<PlacementView> {
    return presentPlacement((await this.loadVisible(actor, id)).placement);
  }

  async propose(actor: Actor, dto: ProposePlacementDto): Promise<PlacementView> {
    try {
      return await this.transactions.run(async (m) => {
        // Locking the trainee serialises proposals and confirmations for one person.
        const { trainee, brand } = await this.trainees.getVisible(actor, dto.traineeId, m, true);
        if (!Policy.isBrandOperator(actor, brand)) throw new ProblemError('FORBIDDEN', msg('placement.proposeOperatorOnly'));
        if ((await this.organizations.kindOf(dto.employerId, m)) !== 'employer') {
          throw validationFailed('employerId', 'NOT_AN_EMPLOYER', msg('field.notAnEmployer', { field: 'employerId' }));
        }
        if (!isBrandCertified(brand.status, brand.validUntil)) throw new ProblemError('BRAND_NOT_CERTIFIED', msg('placement.brandNotCertified'));
        if (!canBePlaced(trainee)) {
          if (await this.placements.countWithStatus(m, trainee.id, ACTIVE_PLACEMENT_STATUS)) {
            throw new ProblemError('TRAINEE_HAS_OPEN_PLACEMENT', msg('placement.hasConfirmed'));
          }
          throw new ProblemError('INVALID_TRANSITION', msg('trainee.cannotBePlacedProposal', { status: trainee.erased ? msg('trainee.erasedState') : trainee.status }));
        }
        const placement = await this.placements.insert(m, {
          traineeId: trainee.id,
          brandId: brand.id,
          employerId: dto.employerId,
          proposedById: actor.organizationId,
          jobTitle: dto.jobTitle,
          occupationCode: dto.occupationCode ?? brand.occupationCode,
          workRegionCode: dto.workRegionCode,
          salaryFen: String(dto.salaryFen),
          salaryPeriod: dto.salaryPeriod,
          annualSalaryFen: String(annualSalaryFen(dto.salaryFen, dto.salaryPeriod)),
          startDate: dto.startDate,
          status: 'proposed',
        });
        await this.recordSalary(m, actor, placement, dto.startDate);
        await this.recordChange(m, actor, placement, 'placement.proposed', 'placement.propose');
        return presentPlacement(placement);
      });
    } catch (err) {
      if (isUniqueViolation(err, 'ux_placements_open_per_trainee')) {
        throw new ProblemError('TRAINEE_HAS_OPEN_PLACEMENT', msg('placement.hasOpen'));
      }
      throw err;
    }
  }

  async confirm(actor: Actor, id: string, dto: ConfirmPlacementDto, ifMatch: number | undefined): Promise<PlacementView> {
    const asProposed = dto.salaryFen === undefined && dto.salaryPeriod === undefined && dto.startDate === undefined;
    // The statement checks that the caller is the employer named on the placement: nobody else tries it.
    if (asProposed && actor.kind === 'employer') {
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
      await this.trainees.place(m, placement.traineeId);
    });
  }

  /**
   * The hot path of the product (employers confirming offers): the whole confirmation — the trainee locked and
   * checked, the placement moved, the trainee placed, the event and the audit entry — in one autocommitted
   * statement, one round trip instead of nine (PlacementsRepository.confirmAsProposed, composed of the fragments
   * of the trainees module, the outbox and the audit log). When a rule does not hold, nothing is written and null
   * is answered.
   */
  private confirmInOneStatement(actor: Actor, id: string, ifMatch: number | undefined): Promise<Placement | null> {
    return this.inOneStatement(() => this.placements.confirmAsProposed(id, actor, ifMatch ?? null));
  }

  /**
   * Runs an autocommitted one-statement write (null: nothing written) and wakes the relays after it. Its lock
   * order may differ from the general path's (the confirmation locks the trainee first): a rare deadlock is
   * retried, as inTransaction does.
   */
  private async inOneStatement(write: () => Promise<Placement | null>): Promise<Placement | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        const written = await write();
        if (written) this.outbox.wake();
        return written;
      } catch (err) {
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
    // The named employer in one statement (PlacementsRepository.endAsEmployer); the brand's operator needs the brand
    // read to be recognised, so it takes the general path at once (an operator is never an employer organization).
    if (actor.kind === 'employer' && Policy.mayActOnPlacement('end', 'employer')) {
      const ended = await this.inOneStatement(() => this.placements.endAsEmployer(id, actor, ifMatch ?? null, dto.endDate, dto.reason, chinaToday()));
      if (ended) return presentPlacement(ended);
      // Nothing was written: the general path below finds out why (404, 403, 409, 400).
    }
    return this.act(actor, id, 'end', ifMatch, async (m, placement, now) => {
      const problem = jobDateProblem(dto.endDate, placement.startDate, chinaToday());
      if (problem === 'BEFORE_START') throw validationFailed('endDate', problem, msg('field.beforeStart', { field: 'endDate', startDate: placement.startDate }));
      if (problem === 'IN_FUTURE') throw validationFailed('endDate', problem, msg('field.endInFuture', { field: 'endDate' }));
      placement.endDate = dto.endDate;
      placement.endReason = dto.reason;
      placement.endedAt = now;
      placement.closedAt = now;
      await this.trainees.unplace(m, placement.traineeId);
    });
  }

  async changeSalary(actor: Actor, id: string, dto: SalaryChangeDto, ifMatch: number | undefined): Promise<PlacementView> {
    const change = { salaryFen: dto.salaryFen, salaryPeriod: dto.salaryPeriod, annualSalaryFen: annualSalaryFen(dto.salaryFen, dto.salaryPeriod), effectiveDate: dto.effectiveDate };
    // The employer named on the placement needs no brand read (Policy.placementRoleNeedsBrand), so its report (the
    // only one the rules admit today) is one statement: PlacementsRepository.changeSalaryAsEmployer.
    if (actor.kind === 'employer' && Policy.mayActOnPlacement('change_salary', 'employer')) {
      const changed = await this.inOneStatement(() => this.placements.changeSalaryAsEmployer(id, actor, ifMatch ?? null, change, chinaToday()));
      if (changed) return presentPlacement(changed);
      // Nothing was written: the general path below finds out why (404, 403, 409, 400) or changes after a race.
    }
    return this.act(actor, id, 'change_salary', ifMatch, async (m, placement) => {
      const problem = jobDateProblem(dto.effectiveDate, placement.startDate, chinaToday());
      if (problem === 'BEFORE_START') throw validationFailed('effectiveDate', problem, msg('field.beforeStart', { field: 'effectiveDate', startDate: placement.startDate }));
      if (problem === 'IN_FUTURE') throw validationFailed('effectiveDate', problem, msg('field.inFuture', { field: 'effectiveDate' }));
      if (becomesCurrentSalary(dto.effectiveDate, await this.placements.latestSalaryDate(m, placement.id))) {
        placement.salaryFen = String(change.salaryFen);
        placement.salaryPeriod = change.salaryPeriod;
        placement.annualSalaryFen = String(change.annualSalaryFen);
      }
      await this.placements.insertSalaryChange(m, {
        placementId: placement.id,
        brandId: placement.brandId,
        salaryFen: String(change.salaryFen),
        salaryPeriod: change.salaryPeriod,
        annualSalaryFen: String(change.annualSalaryFen),
        effectiveDate: change.effectiveDate,
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
    apply: (m: Db, placement: Placement, now: Date) => Promise<void>,
  ): Promise<PlacementView> {
    return this.transactions.run(async (m) => {
      const { placement, role } = await this.loadVisible(actor, id, m, true);
      const rule = PLACEMENT_RULES[action];
      if (!Policy.mayActOnPlacement(action, role)) {
        const who = rule.by === 'employer' ? msg('placement.whoEmployer') : rule.by === 'operator' ? msg('placement.whoOperator') : msg('placement.whoEither');
        throw new ProblemError('FORBIDDEN', msg('placement.actorOnly', { who, action }));
      }
      requireVersion(placement.version, ifMatch, msg('object.placement'));
      const check = checkPlacementAction(placement.status, action);
      if (!check.ok) throw new ProblemError('INVALID_TRANSITION', msg('placement.cannot', { action, reason: check.reason }));
      const now = new Date();
      await apply(m, placement, now);
      placement.status = check.to;
      placement.version += 1;
      placement.updatedAt = now;
      await this.placements.save(m, id, {
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
      await this.recordChange(m, actor, placement, rule.event, placementAuditAction(action));
      return presentPlacement(placement);
    });
  }

  private async recordSalary(m: Db, actor: Actor, p: Placement, effectiveDate: string): Promise<void> {
    await this.placements.insertSalaryChange(m, {
      placementId: p.id,
      brandId: p.brandId,
      salaryFen: p.salaryFen,
      salaryPeriod: p.salaryPeriod,
      annualSalaryFen: p.annualSalaryFen,
      effectiveDate,
      actorOrganizationId: actor.organizationId,
    });
  }

  /** The event and the audit entry of a change; the one-statement paths (PlacementsRepository) write the same two in SQL. */
  private async recordChange(m: Db, actor: Actor, p: Placement, eventType: string, auditAction: string): Promise<void> {
    await this.outbox.append(m, actor, [{ type: eventType, aggregateType: PLACEMENT_AGGREGATE, aggregateId: p.id, brandId: p.brandId, data: PLACEMENT_EVENT_DATA.of(p) }]);
    await this.audit.record(m, actor, { action: auditAction, objectType: PLACEMENT_AGGREGATE, objectId: p.id, brandId: p.brandId, details: PLACEMENT_AUDIT_DETAILS.of(p) });
  }

  /** Scoped lists (Policy.visiblePlacementsSql): an HR firm sees its brands' placements, an employer those naming it, a bureau those in its jurisdiction. */
  async list(actor: Actor, query: ListPlacementsQuery): Promise<Page<PlacementView>> {
    const page = newestFirst(query);
    const rows = await this.placements.list(
      (c, p) => Policy.visiblePlacementsSql(actor, c, p),
      { brandId: query.brandId, employerId: query.employerId, traineeId: query.traineeId, status: query.status },
      page.after,
      page.fetch,
    );
    return newestFirstPageOf(rows, page, (p) => p.createdAt, presentPlacement);
  }

  /** The placement's domain events from the outbox, oldest first. */
  async events(actor: Actor, id: string, query: PageQuery): Promise<Page<PlacementEventView>> {
    await this.loadVisible(actor, id);
    const page = inSequence(query);
    const rows = await this.outbox.timeline(PLACEMENT_AGGREGATE, id, page.afterSeq, page.fetch);
    return toPage(rows, page.limit, (r) => [r.seq], (r) => ({ id: r.id, type: r.type, occurredAt: r.occurredAt.toISOString(), actorOrganizationId: r.actorOrganizationId, data: r.data }));
  }
}
