import { Injectable } from '@nestjs/common';
import { AuditLog } from '../audit/audit.service';
import type { Actor } from '../common/auth/actor';
import { requireVersion } from '../common/http/if-match';
import { inSequence, newestFirst, newestFirstPageOf, Page, PageQuery, toPage } from '../common/pagination/pagination';
import { notFound, ProblemError } from '../common/problems/problem';
import type { Db } from '../database/repository';
import { Transactions } from '../database/transactions';
import { Outbox } from '../events/outbox.service';
import { Policy, type Reader } from '../policy/policy';
import type { Brand, BrandDecisionRecord } from './brand.entity';
import { BRAND_TRANSITIONS, BrandDecision, BrandStatus, canEditBrand, checkBrandTransition, effectiveBrandStatus } from './brand.rules';
import { chinaToday } from '../common/time/china-time';
import { searchWords } from './brands.fragments';
import { BrandsRepository } from './brands.repository';
import type { BrandDecisionView, BrandView, CertifyBrandDto, CreateBrandDto, ListBrandsQuery, UpdateBrandDto } from './dto/brand.dto';
import { msg } from '../common/i18n/message';

export type BureauDecision = Exclude<BrandDecision, 'expire' | 'submit'>;

/** What other modules need to know of a brand to decide access and rules (its row, as stored). */
export type BrandFacts = Pick<Brand, 'id' | 'name' | 'operatorId' | 'regionCode' | 'occupationCode' | 'occupationName' | 'status' | 'validUntil'>;

const EXPIRY_BATCH = 500;
const HISTORY_CAP = 10_000;

export function presentBrand(b: Brand, today = chinaToday()): BrandView {
  return {
    id: b.id,
    name: b.name,
    occupationCode: b.occupationCode,
    occupationName: b.occupationName,
    sector: b.sector,
    regionCode: b.regionCode,
    operatorId: b.operatorId,
    description: b.description,
    status: effectiveBrandStatus(b.status, b.validUntil, today),
    statusReason: b.statusReason,
    level: b.level,
    certifiedById: b.certifiedById,
    certifiedAt: b.certifiedAt ? b.certifiedAt.toISOString() : null,
    validUntil: b.validUntil,
    version: b.version,
    createdAt: b.createdAt.toISOString(),
    updatedAt: b.updatedAt.toISOString(),
  };
}

function presentDecision(d: BrandDecisionRecord): BrandDecisionView {
  return {
    id: d.id,
    action: d.action,
    fromStatus: d.fromStatus,
    toStatus: d.toStatus,
    actorOrganizationId: d.actorOrganizationId,
    actorApiKeyId: d.actorApiKeyId,
    reason: d.reason,
    at: d.at.toISOString(),
  };
}

@Injectable()
export class BrandsService {
  constructor(
    private readonly transactions: Transactions,
    private readonly brands: BrandsRepository,
    private readonly audit: AuditLog,
    private readonly outbox: Outbox,
  ) {}

  async create(actor: Actor, dto: CreateBrandDto): Promise<BrandView> {
    return this.transactions.run(async (m) => {
      const brand = await this.brands.insert(m, { ...dto, description: dto.description ?? null, operatorId: actor.organizationId, status: 'draft' });
      await this.recordDecision(m, actor, brand, 'create', null, 'draft', null, 'brand.created');
      return presentBrand(brand);
    });
  }

  /**
   * A brand the caller may see, or 404 — the same answer whether it does not exist or is hidden. With `m`, read
   * in that transaction; `lock` as BrandsRepository.findById.
   */
  async getVisible(actor: Reader, id: string, m?: Db, lock?: 'update' | 'share'): Promise<Brand> {
    const brand = await this.brands.findById(id, m, lock);
    if (!brand || !Policy.canSeeBrand(actor, { ...brand, status: effectiveBrandStatus(brand.status, brand.validUntil) })) throw notFound(msg('object.brand'));
    return brand;
  }

  /** A brand's facts whoever asks (the caller has already been allowed to see what refers to it); null if none. */
  facts(id: string, m?: Db, lock?: 'share'): Promise<BrandFacts | null> {
    return this.brands.findById(id, m, lock);
  }

  /** Who operates each brand and where it is (what the access rules read), for many brands at once. */
  async partiesOf(ids: readonly string[]): Promise<Map<string, { operatorId: string; regionCode: string }>> {
    const unique = [...new Set(ids)];
    const rows = unique.length ? await this.brands.partiesOf(unique) : [];
    return new Map(rows.map((r) => [r.id, { operatorId: r.operatorId, regionCode: r.regionCode }]));
  }

  async get(actor: Reader, id: string): Promise<BrandView> {
    return presentBrand(await this.getVisible(actor, id));
  }

  async list(actor: Actor, query: ListBrandsQuery): Promise<Page<BrandView>> {
    const page = newestFirst(query);
    const today = chinaToday();
    const words = searchWords(query.q);
    const rows = await this.brands.list(
      (b, p) => Policy.visibleBrandsSql(actor, b, p),
      { status: query.status, regionPrefix: query.regionCode, occupationCode: query.occupationCode, operatorId: query.operatorId, words },
      today,
      page.after,
      page.fetch,
    );
    return newestFirstPageOf(rows, page, (b) => b.createdAt, (b) => presentBrand(b, today));
  }

  async update(actor: Actor, id: string, dto: UpdateBrandDto, ifMatch: number | undefined): Promise<BrandView> {
    const changes = Object.fromEntries(Object.entries(dto).filter(([, v]) => v !== undefined)) as Partial<Brand>;
    if (Object.keys(changes).length === 0) {
      throw new ProblemError('VALIDATION_FAILED', msg('body.emptyUpdate'), [{ field: '(body)', code: 'EMPTY_UPDATE', message: msg('field.noFieldToChange') }]);
    }
    return this.transactions.run(async (m) => {
      const brand = await this.getVisible(actor, id, m, 'update');
      Policy.requireBrandOperator(actor, brand);
      requireVersion(brand.version, ifMatch, msg('object.brand'));
      const status = effectiveBrandStatus(brand.status, brand.validUntil);
      if (!canEditBrand(status)) throw new ProblemError('INVALID_TRANSITION', msg('brand.notEditable', { status }));
      Object.assign(brand, changes, { version: brand.version + 1, updatedAt: new Date() });
      await this.brands.save(m, id, { ...changes, version: brand.version, updatedAt: brand.updatedAt });
      await this.outbox.append(m, actor, [
        { type: 'brand.updated', aggregateType: 'brand', aggregateId: id, brandId: id, data: { brandId: id, fields: Object.keys(changes), version: brand.version } },
      ]);
      await this.audit.record(m, actor, { action: 'brand.update', objectType: 'brand', objectId: id, brandId: id, details: { fields: Object.keys(changes) } });
      return presentBrand(brand);
    });
  }

  async submit(actor: Actor, id: string, ifMatch: number | undefined): Promise<BrandView> {
    return this.transition(actor, id, 'submit', ifMatch, (brand) => {
      brand.statusReason = null;
    });
  }

  async decide(actor: Actor, id: string, action: BureauDecision, input: { reason?: string } & Partial<CertifyBrandDto>, ifMatch: number | undefined): Promise<BrandView> {
    return this.transition(
      actor,
      id,
      action,
      ifMatch,
      (brand, now) => {
        if (action === 'certify') {
          brand.level = input.level ?? null;
          brand.validUntil = input.validUntil ?? null;
          brand.certifiedById = actor.organizationId;
          brand.certifiedAt = now;
          brand.statusReason = null;
        } else {
          brand.statusReason = input.reason ?? null;
        }
      },
      input.reason ?? null,
    );
  }

  private async transition(
    actor: Actor,
    id: string,
    action: Exclude<BrandDecision, 'expire'>,
    ifMatch: number | undefined,
    apply: (brand: Brand, now: Date) => void,
    reason: string | null = null,
  ): Promise<BrandView> {
    return this.transactions.run(async (m) => {
      // The row lock makes concurrent decisions on one brand queue up: the first wins, the rest see its result.
      const brand = await this.getVisible(actor, id, m, 'update');
      const rule = BRAND_TRANSITIONS[action];
      if (rule.by === 'operator') Policy.requireBrandOperator(actor, brand);
      else Policy.requireJurisdiction(actor, brand.regionCode);
      requireVersion(brand.version, ifMatch, msg('object.brand'));
      const from = effectiveBrandStatus(brand.status, brand.validUntil);
      const check = checkBrandTransition(from, action);
      if (!check.ok) throw new ProblemError('INVALID_TRANSITION', msg('brand.cannot', { action, reason: check.reason }));

      const now = new Date();
      apply(brand, now);
      brand.status = check.to;
      brand.version += 1;
      brand.updatedAt = now;
      await this.brands.save(m, id, {
        status: brand.status,
        statusReason: brand.statusReason,
        level: brand.level,
        validUntil: brand.validUntil,
        certifiedById: brand.certifiedById,
        certifiedAt: brand.certifiedAt,
        version: brand.version,
        updatedAt: now,
      });
      await this.recordDecision(m, actor, brand, action, from, check.to, reason, rule.event);
      return presentBrand(brand);
    });
  }

  /** History row, domain event and audit entry of one decision, in the decision's transaction. */
  private async recordDecision(
    m: Db,
    actor: Actor | null,
    brand: Brand,
    action: string,
    from: BrandStatus | null,
    to: BrandStatus,
    reason: string | null,
    eventType: string,
  ): Promise<void> {
    await this.brands.insertDecision(m, {
      brandId: brand.id,
      action,
      fromStatus: from,
      toStatus: to,
      actorOrganizationId: actor?.organizationId ?? null,
      actorApiKeyId: actor?.apiKeyId ?? null,
      reason,
    });
    await this.outbox.append(m, actor, [
      {
        type: eventType,
        aggregateType: 'brand',
        aggregateId: brand.id,
        brandId: brand.id,
        data: {
          brandId: brand.id,
          fromStatus: from,
          toStatus: to,
          regionCode: brand.regionCode,
          occupationCode: brand.occupationCode,
          operatorId: brand.operatorId,
          level: brand.level,
          validUntil: brand.validUntil,
          version: brand.version,
        },
      },
    ]);
    await this.audit.record(m, actor, { action: `brand.${action}`, objectType: 'brand', objectId: brand.id, brandId: brand.id, details: { fromStatus: from, toStatus: to } });
  }

  async history(actor: Reader, id: string, query: PageQuery): Promise<Page<BrandDecisionView>> {
    await this.getVisible(actor, id);
    const page = inSequence(query);
    const rows = await this.brands.history(id, page.afterSeq, page.fetch);
    return toPage(rows, page.limit, (d) => [d.seq], presentDecision);
  }

  /** A brand's whole history, oldest first (a brand has a handful of decisions; at most HISTORY_CAP are read). */
  async wholeHistory(actor: Reader, id: string): Promise<BrandDecisionView[]> {
    await this.getVisible(actor, id);
    return (await this.brands.history(id, '0', HISTORY_CAP)).map(presentDecision);
  }

  /** The occupations of the public brands, with how many brands each, the commonest first. */
  publicOccupations(): Promise<Array<{ occupationCode: string; occupationName: string; brandCount: number }>> {
    return this.brands.publicOccupations();
  }

  /** Records the expiry of every certified or suspended brand whose validity ended, in batches (the scheduler's job). */
  async expireDue(today = chinaToday()): Promise<number> {
    let total = 0;
    for (;;) {
      const expired = await this.transactions.run(async (m) => {
        const rows = await this.brands.expireDue(m, today, EXPIRY_BATCH);
        for (const { brand, fromStatus } of rows) {
          await this.recordDecision(m, null, brand, 'expire', fromStatus, 'expired', `validity ended on ${String(brand.validUntil)}`, 'brand.expired');
        }
        return rows.length;
      });
      total += expired;
      if (expired < EXPIRY_BATCH) return total;
    }
  }

  /** The ids and regions of the given brands, or of every brand (the statistics rebuild). */
  regionsOf(ids?: string[]): Promise<Array<{ id: string; regionCode: string }>> {
    return this.brands.regionsOf(ids);
  }

  /** The public brands whose region code lies in [low, high] (a region's figures). */
  publicIdsInRegion(low: string, high: string): Promise<string[]> {
    return this.brands.publicIdsInRegion(low, high);
  }
}
