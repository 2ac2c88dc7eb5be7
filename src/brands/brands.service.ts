import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditLog } from '../audit/audit-log';
import type { Actor } from '../common/auth/actor';
import { Policy } from '../common/auth/policy';
import { prefixRange } from '../common/identifiers/region-code';
import { requireVersion } from '../common/http/if-match';
import { cursorSeq, cursorTimestamp, cursorUuid, decodeCursor, Page, pageLimit, toPage } from '../common/pagination/pagination';
import { notFound, ProblemError } from '../common/problems/problem';
import { inTransaction, returnedRows } from '../database/transactions';
import { Outbox } from '../events/outbox';
import { Brand, BrandDecisionRecord } from './brand.entity';
import { BRAND_TRANSITIONS, BrandDecision, BrandStatus, canEditBrand, checkBrandTransition, chinaToday, effectiveBrandStatus } from './brand.rules';
import type { BrandDecisionView, BrandView, CertifyBrandDto, CreateBrandDto, ListBrandsQuery, UpdateBrandDto } from './dto/brand.dto';

export type BureauDecision = Exclude<BrandDecision, 'expire' | 'submit'>;

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

/** `%`, `_` and `\` are wildcards to LIKE; a search for them must find them literally. */
const likeEscape = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

@Injectable()
export class BrandsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditLog,
    private readonly outbox: Outbox,
  ) {}

  async create(actor: Actor, dto: CreateBrandDto): Promise<BrandView> {
    return inTransaction(this.dataSource, async (m) => {
      const brand = await m.save(m.create(Brand, { ...dto, description: dto.description ?? null, operatorId: actor.organizationId, status: 'draft' }));
      await this.recordDecision(m, actor, brand, 'create', null, 'draft', null, 'brand.created');
      return presentBrand(brand);
    });
  }

  /** A brand the caller may see, or 404 — the same answer whether it does not exist or is hidden. */
  async getVisible(actor: Actor, id: string, manager: EntityManager = this.dataSource.manager, lock = false): Promise<Brand> {
    const brand = await manager.findOne(Brand, { where: { id }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    if (!brand || !Policy.canSeeBrand(actor, { ...brand, status: effectiveBrandStatus(brand.status, brand.validUntil) })) throw notFound('Brand');
    return brand;
  }

  async get(actor: Actor, id: string): Promise<BrandView> {
    return presentBrand(await this.getVisible(actor, id));
  }

  async list(actor: Actor, query: ListBrandsQuery): Promise<Page<BrandView>> {
    const limit = pageLimit(query);
    const after = decodeCursor(query.cursor, 2);
    const today = chinaToday();
    const qb = this.dataSource.getRepository(Brand).createQueryBuilder('b').orderBy('b.created_at', 'DESC').addOrderBy('b.id', 'DESC').limit(limit + 1);

    if (!Policy.isPlatform(actor)) {
      const prefix = Policy.jurisdictionPrefix(actor);
      const covered = prefix === null ? 'FALSE' : prefix === '' ? 'TRUE' : 'b.region_code BETWEEN :jLow AND :jHigh';
      const [jLow, jHigh] = prefixRange(prefix ?? '');
      qb.andWhere(`(b.status NOT IN ('draft', 'submitted') OR b.operator_id = :me OR ${covered})`, { me: actor.organizationId, jLow, jHigh });
    }
    if (query.status === 'expired') {
      qb.andWhere(`(b.status = 'expired' OR (b.status IN ('certified', 'suspended') AND b.valid_until < :today))`, { today });
    } else if (query.status === 'certified' || query.status === 'suspended') {
      qb.andWhere('b.status = :status AND (b.valid_until IS NULL OR b.valid_until >= :today)', { status: query.status, today });
    } else if (query.status) {
      qb.andWhere('b.status = :status', { status: query.status });
    }
    if (query.regionCode) {
      const [low, high] = prefixRange(query.regionCode);
      qb.andWhere('b.region_code BETWEEN :low AND :high', { low, high });
    }
    if (query.occupationCode) qb.andWhere('b.occupation_code = :occupationCode', { occupationCode: query.occupationCode });
    if (query.operatorId) qb.andWhere('b.operator_id = :operatorId', { operatorId: query.operatorId });
    if (query.q) {
      query.q
        .split(/\s+/)
        .filter(Boolean)
        .slice(0, 8)
        .forEach((word, i) => qb.andWhere(`b.name ILIKE :w${i}`, { [`w${i}`]: `%${likeEscape(word)}%` }));
    }
    if (after) qb.andWhere('(b.created_at, b.id) < (:at, :id)', { at: cursorTimestamp(after[0]), id: cursorUuid(after[1]) });
    const rows = await qb.getMany();
    return toPage(rows, limit, (b) => [b.createdAt.toISOString(), b.id], (b) => presentBrand(b, today));
  }

  async update(actor: Actor, id: string, dto: UpdateBrandDto, ifMatch: number | undefined): Promise<BrandView> {
    const changes = Object.fromEntries(Object.entries(dto).filter(([, v]) => v !== undefined)) as Partial<Brand>;
    if (Object.keys(changes).length === 0) {
      throw new ProblemError('VALIDATION_FAILED', 'Send at least one field to change', [{ field: '(body)', code: 'EMPTY_UPDATE', message: 'no field to change' }]);
    }
    return inTransaction(this.dataSource, async (m) => {
      const brand = await this.getVisible(actor, id, m, true);
      Policy.requireBrandOperator(actor, brand);
      requireVersion(brand.version, ifMatch, 'The brand');
      const status = effectiveBrandStatus(brand.status, brand.validUntil);
      if (!canEditBrand(status)) throw new ProblemError('INVALID_TRANSITION', `Only draft brands can be edited; this one is ${status}`);
      Object.assign(brand, changes, { version: brand.version + 1, updatedAt: new Date() });
      await m.update(Brand, { id }, { ...changes, version: brand.version, updatedAt: brand.updatedAt });
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
    return this.transition(actor, id, action, ifMatch, (brand, now) => {
      if (action === 'certify') {
        brand.level = input.level ?? null;
        brand.validUntil = input.validUntil ?? null;
        brand.certifiedById = actor.organizationId;
        brand.certifiedAt = now;
        brand.statusReason = null;
      } else {
        brand.statusReason = input.reason ?? null;
      }
    }, input.reason ?? null);
  }

  private async transition(
    actor: Actor,
    id: string,
    action: Exclude<BrandDecision, 'expire'>,
    ifMatch: number | undefined,
    apply: (brand: Brand, now: Date) => void,
    reason: string | null = null,
  ): Promise<BrandView> {
    return inTransaction(this.dataSource, async (m) => {
      // The row lock makes concurrent decisions on one brand queue up: the first wins, the rest see its result.
      const brand = await this.getVisible(actor, id, m, true);
      const rule = BRAND_TRANSITIONS[action];
      if (rule.by === 'operator') Policy.requireBrandOperator(actor, brand);
      else Policy.requireJurisdiction(actor, brand.regionCode);
      requireVersion(brand.version, ifMatch, 'The brand');
      const from = effectiveBrandStatus(brand.status, brand.validUntil);
      const check = checkBrandTransition(from, action);
      if (!check.ok) throw new ProblemError('INVALID_TRANSITION', `Cannot ${action}: ${check.reason}`);

      const now = new Date();
      apply(brand, now);
      brand.status = check.to;
      brand.version += 1;
      brand.updatedAt = now;
      await m.update(
        Brand,
        { id },
        {
          status: brand.status,
          statusReason: brand.statusReason,
          level: brand.level,
          validUntil: brand.validUntil,
          certifiedById: brand.certifiedById,
          certifiedAt: brand.certifiedAt,
          version: brand.version,
          updatedAt: now,
        },
      );
      await this.recordDecision(m, actor, brand, action, from, check.to, reason, rule.event);
      return presentBrand(brand);
    });
  }

  /** History row, domain event and audit entry of one decision, in the decision's transaction. */
  private async recordDecision(
    m: EntityManager,
    actor: Actor | null,
    brand: Brand,
    action: string,
    from: BrandStatus | null,
    to: BrandStatus,
    reason: string | null,
    eventType: string,
  ): Promise<void> {
    await m.insert(BrandDecisionRecord, {
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

  async history(actor: Actor, id: string, query: { limit?: number; cursor?: string }): Promise<Page<BrandDecisionView>> {
    await this.getVisible(actor, id);
    const limit = pageLimit(query);
    const after = decodeCursor(query.cursor, 1);
    const qb = this.dataSource.getRepository(BrandDecisionRecord).createQueryBuilder('d').where('d.brand_id = :id', { id }).orderBy('d.seq', 'ASC').limit(limit + 1);
    if (after) qb.andWhere('d.seq > :seq', { seq: cursorSeq(after[0]) });
    const rows = await qb.getMany();
    return toPage(rows, limit, (d) => [d.seq], presentDecision);
  }

  /**
   * Records the expiry of every certified or suspended brand whose validity ended, in batches; run by the
   * scheduler. SKIP LOCKED lets two workers share the work and never waits on a bureau's decision in progress.
   */
  async expireDue(today = chinaToday()): Promise<number> {
    let total = 0;
    for (;;) {
      const expired = await inTransaction(this.dataSource, async (m) => {
        const rows = returnedRows<Record<string, unknown>>(await m.query(
          `WITH due AS (
             SELECT id, status FROM brands
              WHERE status IN ('certified', 'suspended') AND valid_until < $1
              ORDER BY valid_until LIMIT 500 FOR UPDATE SKIP LOCKED)
           UPDATE brands b SET status = 'expired', version = b.version + 1, updated_at = now()
             FROM due WHERE b.id = due.id
           RETURNING b.id, b.region_code, b.occupation_code, b.operator_id, b.level, b.valid_until::text AS valid_until, b.version, due.status AS from_status`,
          [today],
        ));
        for (const row of rows) {
          const brand = Object.assign(new Brand(), {
            id: row.id as string,
            regionCode: row.region_code as string,
            occupationCode: row.occupation_code as string,
            operatorId: row.operator_id as string,
            level: row.level as Brand['level'],
            validUntil: row.valid_until as string,
            version: row.version as number,
          });
          await this.recordDecision(m, null, brand, 'expire', row.from_status as BrandStatus, 'expired', `validity ended on ${String(row.valid_until)}`, 'brand.expired');
        }
        return rows.length;
      });
      total += expired;
      if (expired < 500) return total;
    }
  }
}
