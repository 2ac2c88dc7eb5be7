import { Injectable } from '@nestjs/common';
import { BrandsService } from '../brands/brands.service';
import { prefixRange } from '../common/identifiers/region-code';
import { cursorUuid, decodeCursor, encodeCursor, invalidCursor, Page, pageLimit } from '../common/pagination/pagination';
import { searchWords } from '../brands/brands.fragments';
import { effectiveBrandStatus } from '../brands/brand.rules';
import { chinaToday } from '../common/time/china-time';
import { Policy, type Reader } from '../policy/policy';
import { placementsByMonth, salaryDistribution, type MonthCount, type SalaryDistribution } from './distribution.rules';
import type { BrandStatisticsListItem, BrandStatisticsView, ListBrandStatisticsQuery, PublicBrandListItem, RegionStatisticsView, SalaryView } from './dto/statistics.dto';
import type { BrandStatisticsRecord, RegionStatisticsRecord } from './statistics.entity';
import { StatisticsCalculator } from './statistics.calculator';
import { isSuppressed, SUPPRESSION_THRESHOLD } from './statistics.math';
import { BrandFiguresListRow, StatisticsRepository } from './statistics.repository';
import { TALLY_FIGURES } from './tallies.rules';

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

@Injectable()
export class StatisticsService {
  constructor(
    private readonly statistics: StatisticsRepository,
    private readonly brands: BrandsService,
    private readonly calculator: StatisticsCalculator,
  ) {}

  private async brandRecord(brandId: string): Promise<BrandStatisticsRecord> {
    const found = await this.statistics.findBrandStatistics(brandId);
    if (found) return found;
    // A brand no event has reached the workers for yet: its figures are cheap to compute right here.
    await this.calculator.recomputeBrand(brandId);
    return (await this.statistics.findBrandStatistics(brandId)) as BrandStatisticsRecord;
  }

  async forBrand(actor: Reader, brandId: string): Promise<BrandStatisticsView> {
    const brand = await this.brands.getVisible(actor, brandId);
    return presentBrandStatistics(await this.brandRecord(brandId), Policy.seesUnsuppressedBrandFigures(actor, brand));
  }

  async list(actor: Reader, query: ListBrandStatisticsQuery): Promise<Page<BrandStatisticsListItem>> {
    const { rows, records, nextCursor } = await this.figuresPage(query);
    const items = rows.map((row) => {
      const record = records.get(row.brandId) as BrandStatisticsRecord;
      const privileged = Policy.seesUnsuppressedBrandFigures(actor, { operatorId: row.operatorId, regionCode: record.regionCode });
      return { ...presentBrandStatistics(record, privileged), brandName: row.brandName, regionCode: record.regionCode, occupationCode: record.occupationCode };
    });
    return { items, nextCursor };
  }

  /** The public directory: the same list as `list` for a reader without privilege, searchable by name, with the brands' facts. */
  async listPublic(query: ListBrandStatisticsQuery & { q?: string }): Promise<Page<PublicBrandListItem>> {
    const { rows, records, nextCursor } = await this.figuresPage(query, searchWords(query.q));
    const today = chinaToday();
    const items = rows.map((row) => {
      const record = records.get(row.brandId) as BrandStatisticsRecord;
      return {
        ...presentBrandStatistics(record, Policy.seesUnsuppressedBrandFigures(null, { operatorId: row.operatorId, regionCode: record.regionCode })),
        brandName: row.brandName,
        regionCode: record.regionCode,
        occupationCode: record.occupationCode,
        occupationName: row.occupationName,
        status: effectiveBrandStatus(row.status, row.validUntil, today),
        level: row.level,
      } as PublicBrandListItem;
    });
    return { items, nextCursor };
  }

  private async figuresPage(
    query: ListBrandStatisticsQuery,
    words?: string[],
  ): Promise<{ rows: BrandFiguresListRow[]; records: Map<string, BrandStatisticsRecord>; nextCursor: string | null }> {
    const limit = pageLimit(query);
    const cursor = decodeCursor(query.cursor, 2);
    let after: { value: string | number | null; brandId: string } | null = null;
    if (cursor) {
      const [value, id] = cursor;
      if (value !== null && typeof value !== 'number' && !(typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value))) throw invalidCursor();
      after = { value, brandId: cursorUuid(id) };
    }
    const [regionLow, regionHigh] = query.regionCode ? prefixRange(query.regionCode) : [];
    const fetched = await this.statistics.listBrandFigures(
      { regionLow, regionHigh, occupationCode: query.occupationCode, words },
      query.sort ?? 'traineeCount',
      (query.order ?? 'desc') === 'desc',
      SUPPRESSION_THRESHOLD,
      after,
      limit + 1,
    );
    const more = fetched.length > limit;
    const rows = more ? fetched.slice(0, limit) : fetched;
    const records = new Map((await this.statistics.findBrandStatisticsMany(rows.map((r) => r.brandId))).map((r) => [r.brandId, r]));
    const last = rows[rows.length - 1];
    const sortValue = last?.sortValue === null || last?.sortValue === undefined ? null : typeof last.sortValue === 'number' ? last.sortValue : String(last.sortValue);
    return { rows, records, nextCursor: more ? encodeCursor([sortValue, last.brandId]) : null };
  }

  /**
   * A brand's salary distribution from its tallies (CNY 1,000 cells of the active placements' annual salaries),
   * with no bucket of fewer than 5 people: the same for every reader, as the public sees it.
   */
  async salaryDistribution(reader: Reader, brandId: string): Promise<SalaryDistribution> {
    await this.brands.getVisible(reader, brandId);
    const cells = await this.statistics.readCells(brandId, [TALLY_FIGURES.activeSalary]);
    return salaryDistribution(cells[TALLY_FIGURES.activeSalary] ?? []);
  }

  /** Placements confirmed and ended per month (China calendar), from the tallies' day cells. */
  async placementsByMonth(reader: Reader, brandId: string): Promise<MonthCount[]> {
    await this.brands.getVisible(reader, brandId);
    const cells = await this.statistics.readCells(brandId, [TALLY_FIGURES.confirmedOn, TALLY_FIGURES.endedOn]);
    return placementsByMonth(cells[TALLY_FIGURES.confirmedOn] ?? [], cells[TALLY_FIGURES.endedOn] ?? [], chinaToday().slice(0, 7));
  }

  async forRegion(actor: Reader, regionCode: string): Promise<RegionStatisticsView> {
    let record = await this.statistics.findRegionStatistics(regionCode);
    if (!record) {
      await this.calculator.recomputeRegion(regionCode);
      record = (await this.statistics.findRegionStatistics(regionCode)) as RegionStatisticsRecord;
    }
    const privileged = Policy.seesUnsuppressedRegionFigures(actor, regionCode);
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
