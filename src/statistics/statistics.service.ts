import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BrandsService } from '../brands/brands.service';
import type { Actor } from '../common/auth/actor';
import { Policy } from '../common/auth/policy';
import { prefixRange, regionCovers } from '../common/identifiers/region-code';
import { cursorUuid, decodeCursor, encodeCursor, invalidCursor, Page, pageLimit } from '../common/pagination/pagination';
import type { BrandStatisticsListItem, BrandStatisticsView, ListBrandStatisticsQuery, RegionStatisticsView, SalaryView, StatisticsSort } from './dto/statistics.dto';
import { BrandStatisticsRecord, RegionStatisticsRecord } from './statistics.entity';
import { StatisticsCalculator } from './statistics.calculator';
import { isSuppressed } from './statistics.math';

const num = (v: string | null): number | null => (v === null ? null : Number(v));

function salaryView(r: { salarySampleSize: number; medianAnnualFen: string | null; p25AnnualFen: string | null; p75AnnualFen: string | null; meanAnnualFen: string | null }, privileged: boolean): SalaryView {
  const hide = isSuppressed(r.salarySampleSize) && !privileged;
  return {
    sampleSize: r.salarySampleSize,
    medianAnnualFen: hide ? null : num(r.medianAnnualFen),
    p25AnnualFen: hide ? null : num(r.p25AnnualFen),
    p75AnnualFen: hide ? null : num(r.p75AnnualFen),
    meanAnnualFen: hide ? null : num(r.meanAnnualFen),
    suppressed: hide,
  };
}

export function presentBrandStatistics(r: BrandStatisticsRecord, privileged: boolean): BrandStatisticsView {
  const salary = salaryView(r, privileged);
  return {
    brandId: r.brandId,
    traineeCount: r.traineeCount,
    traineesByStatus: { registered: 0, training: 0, completed: 0, placed: 0, withdrawn: 0, ...r.traineesByStatus },
    certifiedTraineeCount: r.certifiedTraineeCount,
    certificationRate: r.certificationRate,
    placedTraineeCount: r.placedTraineeCount,
    placementRate: r.placementRate,
    activePlacementCount: r.activePlacementCount,
    endedPlacementCount: r.endedPlacementCount,
    employerCount: r.employerCount,
    salary,
    medianSalaryUpliftPct: salary.suppressed ? null : r.medianSalaryUpliftPct,
    medianDaysToPlacement: r.medianDaysToPlacement,
    retention6mRate: r.retention6mRate,
    retention12mRate: r.retention12mRate,
    asOf: r.asOf ? r.asOf.toISOString() : null,
    computedAt: r.computedAt.toISOString(),
    lastEventId: r.lastEventId,
  };
}

/** The sort key as SQL: suppressed medians sort as unknown, so the order reveals nothing a reader may not see. */
const SORT_SQL: Record<StatisticsSort, string> = {
  medianAnnualFen: `CASE WHEN s.salary_sample_size >= 5 THEN s.median_annual_fen END`,
  placementRate: `s.placement_rate`,
  traineeCount: `s.trainee_count`,
  placedTraineeCount: `s.placed_trainee_count`,
};

@Injectable()
export class StatisticsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly brands: BrandsService,
    private readonly calculator: StatisticsCalculator,
  ) {}

  private async brandRecord(brandId: string): Promise<BrandStatisticsRecord> {
    const repo = this.dataSource.getRepository(BrandStatisticsRecord);
    const found = await repo.findOneBy({ brandId });
    if (found) return found;
    // A brand no event has reached the workers for yet: its figures are cheap to compute right here.
    await this.calculator.recomputeBrand(brandId);
    return repo.findOneByOrFail({ brandId });
  }

  async forBrand(actor: Actor, brandId: string): Promise<BrandStatisticsView> {
    const brand = await this.brands.getVisible(actor, brandId);
    const privileged = Policy.isBrandOperator(actor, brand) || Policy.isPlatform(actor) || Policy.hasJurisdiction(actor, brand.regionCode);
    return presentBrandStatistics(await this.brandRecord(brandId), privileged);
  }

  async list(actor: Actor, query: ListBrandStatisticsQuery): Promise<Page<BrandStatisticsListItem>> {
    const limit = pageLimit(query);
    const sort = query.sort ?? 'traineeCount';
    const desc = (query.order ?? 'desc') === 'desc';
    const key = SORT_SQL[sort];
    const params: unknown[] = [];
    const p = (v: unknown): string => {
      params.push(v);
      return `$${params.length}`;
    };
    const where = [`b.status NOT IN ('draft', 'submitted')`];
    if (query.regionCode) {
      const [low, high] = prefixRange(query.regionCode);
      where.push(`s.region_code BETWEEN ${p(low)} AND ${p(high)}`);
    }
    if (query.occupationCode) where.push(`s.occupation_code = ${p(query.occupationCode)}`);
    const cursor = decodeCursor(query.cursor, 2);
    if (cursor) {
      const [value, id] = cursor;
      const cid = p(cursorUuid(id));
      if (value === null) {
        where.push(`(${key}) IS NULL AND s.brand_id ${desc ? '<' : '>'} ${cid}`);
      } else {
        if (typeof value !== 'number' && !(typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value))) {
          throw invalidCursor();
        }
        const cv = p(value);
        const cmp = desc ? '<' : '>';
        where.push(`((${key}) IS NULL OR (${key}) ${cmp} ${cv} OR ((${key}) = ${cv} AND s.brand_id ${cmp} ${cid}))`);
      }
    }
    const dir = desc ? 'DESC' : 'ASC';
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT s.brand_id, b.name AS brand_name, b.operator_id, (${key}) AS sort_value
         FROM brand_statistics s JOIN brands b ON b.id = s.brand_id
        WHERE ${where.join(' AND ')}
        ORDER BY (${key}) IS NULL, (${key}) ${dir}, s.brand_id ${dir}
        LIMIT ${p(limit + 1)}`,
      params,
    );
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    const records = page.length ? await this.dataSource.getRepository(BrandStatisticsRecord).findBy(page.map((r) => ({ brandId: r.brand_id as string }))) : [];
    const byId = new Map(records.map((r) => [r.brandId, r]));
    const items = page.map((row) => {
      const record = byId.get(row.brand_id as string) as BrandStatisticsRecord;
      const privileged = Policy.isPlatform(actor) || actor.organizationId === row.operator_id || Policy.hasJurisdiction(actor, record.regionCode);
      return { ...presentBrandStatistics(record, privileged), brandName: row.brand_name as string, regionCode: record.regionCode, occupationCode: record.occupationCode };
    });
    const last = page[page.length - 1];
    const sortValue = last?.sort_value === null || last?.sort_value === undefined ? null : typeof last.sort_value === 'number' ? last.sort_value : String(last.sort_value);
    return { items, nextCursor: more ? encodeCursor([sortValue, last.brand_id as string]) : null };
  }

  async forRegion(actor: Actor, regionCode: string): Promise<RegionStatisticsView> {
    const repo = this.dataSource.getRepository(RegionStatisticsRecord);
    let record = await repo.findOneBy({ regionCode });
    if (!record) {
      await this.calculator.recomputeRegion(regionCode);
      record = await repo.findOneByOrFail({ regionCode });
    }
    const privileged = Policy.isPlatform(actor) || (actor.kind === 'bureau' && regionCovers(actor.regionCode, regionCode));
    return {
      regionCode: record.regionCode,
      brandCount: record.brandCount,
      traineeCount: record.traineeCount,
      placedTraineeCount: record.placedTraineeCount,
      activePlacementCount: record.activePlacementCount,
      salary: salaryView(record, privileged),
      asOf: record.asOf ? record.asOf.toISOString() : null,
      computedAt: record.computedAt.toISOString(),
    };
  }
}
