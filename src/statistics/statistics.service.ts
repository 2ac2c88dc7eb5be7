import { Injectable } from '@nestjs/common';
import { BrandsService } from '../brands/brands.service';
import { searchWords } from '../brands/brands.fragments';
import { effectiveBrandStatus } from '../brands/brand.rules';
import { coverPrefix, prefixRange } from '../common/identifiers/region-code';
import { cursorNumber, cursorUuid, decodeCursor, encodeCursor, MAX_PAGE_SIZE, Page, pageLimit } from '../common/pagination/pagination';
import { startedIterable } from '../common/tabular/tabular-stream';
import { chinaToday } from '../common/time/china-time';
import { Policy, type Reader } from '../policy/policy';
import { placementsByMonth, salaryDistribution, type MonthCount, type SalaryDistribution } from './distribution.rules';
import type { BrandStatisticsListItem, BrandStatisticsView, ExportBrandStatisticsQuery, ListBrandStatisticsQuery, PublicBrandListItem, RegionStatisticsView, SalaryView } from './dto/statistics.dto';
import type { BrandStatisticsRecord, RegionStatisticsRecord } from './statistics.entity';
import { publicMeanFen, regionSalaryShown } from './disclosure.rules';
import { StatisticsCalculator } from './statistics.calculator';
import { isSuppressed, SUPPRESSION_THRESHOLD } from './statistics.math';
import { BrandFiguresListRow, SORT_KINDS, StatisticsRepository } from './statistics.repository';
import { TALLY_FIGURES } from './tallies.rules';

const num = (v: string | null): number | null => (v === null ? null : Number(v));

interface SalaryFigures {
  salarySampleSize: number;
  medianAnnualFen: string | null;
  p25AnnualFen: string | null;
  p75AnnualFen: string | null;
  meanAnnualFen: string | null;
}

/**
 * Salary figures as a reader sees them: privileged readers the exact figures; others nothing when the sample is too
 * small or `disclosive` (complementary suppression), and the mean only to the whole CNY 1,000 (disclosure.rules.ts).
 */
function salaryView(r: SalaryFigures, privileged: boolean, disclosive = false): SalaryView {
  const hide = !privileged && (isSuppressed(r.salarySampleSize) || disclosive);
  const mean = num(r.meanAnnualFen);
  return {
    sampleSize: r.salarySampleSize,
    medianAnnualFen: hide ? null : num(r.medianAnnualFen),
    p25AnnualFen: hide ? null : num(r.p25AnnualFen),
    p75AnnualFen: hide ? null : num(r.p75AnnualFen),
    meanAnnualFen: hide ? null : privileged ? mean : publicMeanFen(mean),
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

  /**
   * Every page of `list` for an export, read as the file is written: the same rows, filters, order and suppression
   * as the JSON route, since they are its items. The first page is read before the answer starts.
   */
  exportPages(actor: Reader, query: ExportBrandStatisticsQuery): Promise<AsyncIterable<BrandStatisticsListItem[]>> {
    return startedIterable(this.pagesOfList(actor, query));
  }

  private async *pagesOfList(actor: Reader, query: ExportBrandStatisticsQuery): AsyncGenerator<BrandStatisticsListItem[]> {
    let cursor: string | undefined;
    do {
      const page = await this.list(actor, { ...query, limit: MAX_PAGE_SIZE, cursor });
      if (page.items.length > 0) yield page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
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
    const sort = query.sort ?? 'traineeCount';
    const cursor = decodeCursor(query.cursor, 2);
    let after: { value: string | number | null; brandId: string } | null = null;
    if (cursor) {
      const [value, id] = cursor;
      after = { value: value === null ? null : cursorNumber(value, SORT_KINDS[sort]), brandId: cursorUuid(id) };
    }
    const [regionLow, regionHigh] = query.regionCode ? prefixRange(query.regionCode) : [];
    const fetched = await this.statistics.listBrandFigures(
      { regionLow, regionHigh, occupationCode: query.occupationCode, words },
      sort,
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
    // Decided with the figures when they were computed; rows from before that was kept are decided now.
    const disclosive = !privileged && !isSuppressed(record.salarySampleSize) && !(record.salaryDisclosable ?? (await this.regionSalaryShown(regionCode)));
    return {
      regionCode: record.regionCode,
      brandCount: record.brandCount,
      traineeCount: record.traineeCount,
      placedTraineeCount: record.placedTraineeCount,
      activePlacementCount: record.activePlacementCount,
      salary: salaryView(record, privileged, disclosive),
      asOf: record.asOf ? record.asOf.toISOString() : null,
      computedAt: record.computedAt.toISOString(),
    };
  }

  private async regionSalaryShown(regionCode: string): Promise<boolean> {
    const [low, high] = prefixRange(coverPrefix(regionCode));
    return regionSalaryShown(regionCode, await this.statistics.regionSamples(low, high, SUPPRESSION_THRESHOLD));
  }
}
