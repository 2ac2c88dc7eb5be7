import { Injectable, Logger } from '@nestjs/common';
import { isPublicBrandStatus } from '../brands/brand.rules';
import { BrandsService } from '../brands/brands.service';
import { coverPrefix, prefixRange, prefixRegion, regionCovers, regionsHolding } from '../common/identifiers/region-code';
import { chinaToday } from '../common/time/china-time';
import { interpolateQuantile, quantileRanks, rate, roundFen } from './statistics.math';
import { Sql, StatisticsRepository } from './statistics.repository';
import { BucketCount, countOf, locateRanks, ORDERED_FIGURES, OrderedFigure, ranksFor, TRAINEE_STATUS_ORDER } from './tallies.rules';
import { safeMessage } from '../common/logging/logger';
import { brandSample, regionSalaryShown } from './disclosure.rules';

const QUARTILES = [0.25, 0.5, 0.75] as const;
/** A whole rebuild refreshes the tallies' planner statistics after this many brands. */
const ANALYZE_EVERY_BRANDS = 100;
/** The reconcile job looks at this many of the newest events. */
const RECONCILE_WINDOW = 100_000;

/** The tallies promised a value the rows do not hold. */
class TalliesDrifted extends Error {}

/** A money figure to the whole fen; null stays null. */
function fen(value: number | null): number | null {
  return value === null ? null : roundFen(value);
}

/** The p-quantile of an ordered figure (null when it has no values), from the values read at its ranks. */
type Quantiles = (figure: OrderedFigure, p: number) => number | null;

/** The region codes whose figures a brand's change can move: its district, city, province and the nation. */
export function coveringRegions(regionCode: string): string[] {
  return regionsHolding(regionCode).filter((c) => regionCovers(c, regionCode));
}

/**
 * Computes the figures in one REPEATABLE READ snapshot, so every figure and the event position they are stamped
 * with describe the same instant. Exact, and cheap however large the brand: counts come from the tallies the
 * triggers keep with every write, and each median or quartile from one short read inside the bucket that holds
 * its rank (tallies.rules.ts). Nothing scans the brand's placements or trainees.
 */
@Injectable()
export class StatisticsCalculator {
  private readonly logger = new Logger(StatisticsCalculator.name);

  constructor(
    private readonly statistics: StatisticsRepository,
    private readonly brands: BrandsService,
  ) {}

  /** Moves the brands' appended deltas into their tallies (see StatisticsRepository.fold). */
  fold(brandIds: readonly string[], sql?: Sql): Promise<void> {
    return this.statistics.fold(brandIds, sql);
  }

  /**
   * Daily upkeep: folds the deltas of brands no event has recomputed since (rows written by hand, say) and drops
   * cells that have come back to zero, so reads stay short.
   */
  async compactTallies(): Promise<{ folded: number; dropped: number }> {
    const brands = await this.statistics.brandsWithDeltas();
    if (brands.length) await this.statistics.fold(brands);
    return { folded: brands.length, dropped: await this.statistics.dropEmptyCells() };
  }

  /**
   * Rebuilds a brand's tallies and derived columns from its source rows (after drift), and the region tallies: a
   * brand's tallies changed by hand were never added to its regions, so only a sum over the brands repairs them.
   */
  async rebuildTallies(brandId: string): Promise<void> {
    await this.rebuildBrandTallies([brandId]);
  }

  private async rebuildBrandTallies(brandIds: readonly string[]): Promise<void> {
    for (const id of brandIds) await this.statistics.rebuildTallies(id);
    await this.statistics.rebuildRegionTallies();
  }

  /**
   * The wanted quantiles of ordered figures, from their bucket counts and one read per deciding rank inside its
   * bucket.
   */
  private async readQuantiles(
    sql: Sql,
    brandIds: string[],
    wanted: Partial<Record<OrderedFigure, { buckets: BucketCount[]; quantiles: readonly number[] }>>,
  ): Promise<Quantiles> {
    const counts = new Map<OrderedFigure, number>();
    const reads = (Object.entries(wanted) as Array<[OrderedFigure, { buckets: BucketCount[]; quantiles: readonly number[] }]>).flatMap(([figure, { buckets, quantiles }]) => {
      const n = countOf(buckets);
      counts.set(figure, n);
      if (n === 0) return [];
      return locateRanks(buckets, ORDERED_FIGURES[figure].width, ranksFor(n, quantiles)).map((r) => ({ figure, rank: r.rank, low: r.low, high: r.high, skip: r.offset }));
    });
    const values = new Map<string, string>();
    for (const row of await this.statistics.readRanks(sql, brandIds, reads)) {
      // The tallies said a value is there; if it is not, they have drifted from the rows (which only a hand edit
      // bypassing the triggers can cause): the caller rebuilds them.
      if (row.value === null) throw new TalliesDrifted(`${row.figure} rank ${row.rank}`);
      values.set(`${row.figure}:${row.rank}`, row.value);
    }
    return (figure, p) => {
      const n = counts.get(figure) ?? 0;
      if (n === 0) return null;
      const [lo, hi] = quantileRanks(n, p);
      return interpolateQuantile(n, p, Number(values.get(`${figure}:${lo}`)), Number(values.get(`${figure}:${hi}`)));
    };
  }

  /** Recomputes one brand; answers its region code (null when the brand does not exist). */
  async recomputeBrand(brandId: string, today = chinaToday()): Promise<string | null> {
    return this.repairingDrift(`brand ${brandId}`, async () => [brandId], () => this.computeBrand(brandId, today));
  }

  /** Runs `compute`; if the tallies turn out to disagree with the rows, rebuilds the brands' tallies and runs it again. */
  private async repairingDrift<T>(what: string, brandIds: () => Promise<readonly string[]>, compute: () => Promise<T>): Promise<T> {
    try {
      return await compute();
    } catch (err) {
      if (!(err instanceof TalliesDrifted)) throw err;
      this.logger.warn(`${what}: tallies disagree with the rows (${safeMessage(err)}); rebuilding them`);
      await this.rebuildBrandTallies(await brandIds());
      return compute();
    }
  }

  private async computeBrand(brandId: string, today: string): Promise<string | null> {
    return this.statistics.onOneConnection(async (sql) => {
      await this.statistics.fold([brandId], sql);
      const figures = await this.statistics.inSnapshot(sql, () => this.readBrandFigures(sql, brandId, today));
      if (!figures) return null;
      // Written outside the snapshot: two recomputations of one brand at once must not fail on the row they both
      // write; the last_event_seq guard keeps the fresher figures whichever commits last.
      await this.statistics.upsertBrandStatistics(sql, figures.row);
      return figures.regionCode;
    });
  }

  /** The brand's figures as a brand_statistics row, read in the caller's snapshot; null when there is no such brand. */
  private async readBrandFigures(sql: Sql, brandId: string, today: string): Promise<{ regionCode: string; row: unknown[] } | null> {
    const f = await this.statistics.readBrandCells(sql, brandId, today);
    if (!f) return null;
    const salaries: BucketCount[] = f.salaries ?? [];
    const days: BucketCount[] = f.days ?? [];
    const active = countOf(salaries);
    const placed = countOf(days);
    const byStatus = TRAINEE_STATUS_ORDER.map((_, i) => Number(f.by_status[i] ?? 0));
    const total = byStatus.reduce((a, b) => a + b, 0);
    const quantile = await this.readQuantiles(sql, [brandId], {
      salary: { buckets: salaries, quantiles: QUARTILES },
      uplift: { buckets: f.uplifts ?? [], quantiles: [0.5] },
      days: { buckets: days, quantiles: [0.5] },
    });
    const retention = (months: number): number | null => rate(f.retention[months].base - f.retention[months].ended, f.retention[months].base);

    return {
      regionCode: f.region_code,
      row: [
        brandId,
        f.region_code,
        f.occupation_code,
        isPublicBrandStatus(f.status),
        total,
        JSON.stringify(Object.fromEntries(TRAINEE_STATUS_ORDER.map((s, i) => [s, byStatus[i]]))),
        f.certified,
        rate(f.certified, total),
        placed,
        rate(placed, total),
        active,
        f.ended,
        f.employers,
        active,
        fen(quantile('salary', 0.5)),
        fen(quantile('salary', 0.25)),
        fen(quantile('salary', 0.75)),
        active ? divideRound(f.salary_sum, active) : null,
        quantile('uplift', 0.5),
        quantile('days', 0.5),
        retention(6),
        retention(12),
        f.as_of,
        f.last_event_id,
        f.last_event_seq,
      ],
    };
  }

  /**
   * A region's figures over all placements of the public brands it covers: counts and salary buckets from its own
   * tallies (kept by the fold with its brands'), quartiles read from its brands' placements inside the buckets that
   * hold them, in one bounded read — a true median, never a median of medians.
   */
  async recomputeRegion(regionCode: string): Promise<void> {
    const prefix = coverPrefix(regionCode);
    const [low, high] = prefixRange(prefix);
    const region = { code: prefixRegion(prefix), low, high };
    await this.repairingDrift(
      `region ${regionCode}`,
      () => this.brands.publicIdsInRegion(low, high),
      () =>
        this.statistics.onOneConnection(async (sql) => {
          const row = await this.statistics.inSnapshot(sql, () => this.readRegionFigures(sql, regionCode, region));
          await this.statistics.upsertRegionStatistics(sql, row);
        }),
    );
  }

  /** The region's figures as a region_statistics row, read in the caller's snapshot. */
  private async readRegionFigures(sql: Sql, regionCode: string, region: { code: string; low: string; high: string }): Promise<unknown[]> {
    const r = await this.statistics.readRegionCells(sql, region);
    const salaries: BucketCount[] = r.salaries ?? [];
    const active = countOf(salaries);
    const quantile = await this.readQuantiles(sql, r.brand_ids, { salary: { buckets: salaries, quantiles: QUARTILES } });
    const salary = (p: number): number | null => fen(quantile('salary', p));
    const disclosable = regionSalaryShown(regionCode, r.salary_samples.map((b) => brandSample(b.regionCode, Number(b.n))));
    return [regionCode, r.brand_ids.length, r.trainees, r.placed, active, salary(0.25), salary(0.5), salary(0.75), active ? divideRound(r.salary_sum, active) : null, r.as_of, disclosable];
  }

  /** Every brand and every region any brand lies in, from scratch (`npm run stats:rebuild`). */
  async rebuildAll(): Promise<{ brands: number; regions: number }> {
    const brands = await this.brands.regionsOf();
    for (const [i, b] of brands.entries()) {
      await this.statistics.rebuildTallies(b.id);
      // Tallies last analysed empty are scanned whole by the planner: each brand's rebuild would cost more than the
      // one before (bench/RESULTS.md, national scale).
      if ((i + 1) % ANALYZE_EVERY_BRANDS === 0) await this.statistics.analyzeTallies();
    }
    // The brands' differences are deltas now, which the brands' recomputations below fold into brands and regions.
    await this.statistics.rebuildRegionTallies();
    return this.recomputeBrands(brands);
  }

  /**
   * The daily refresh: only brands whose figures can move with time alone (StatisticsRepository.timeDependentBrandIds).
   * A quiet brand is not recomputed.
   */
  async refreshTimeDependent(today = chinaToday()): Promise<{ brands: number; regions: number }> {
    const ids = await this.statistics.timeDependentBrandIds(today);
    return this.recomputeBrands(ids.length ? await this.brands.regionsOf(ids) : []);
  }

  /** Brands with an event newer than their figures that should have been processed by now. */
  staleBrands(): Promise<string[]> {
    return this.statistics.staleBrandIds(RECONCILE_WINDOW);
  }

  private async recomputeBrands(brands: Array<{ id: string; regionCode: string }>): Promise<{ brands: number; regions: number }> {
    for (const b of brands) await this.recomputeBrand(b.id);
    const regions = [...new Set(brands.flatMap((b) => coveringRegions(b.regionCode)))];
    for (const r of regions) await this.recomputeRegion(r);
    return { brands: brands.length, regions: regions.length };
  }
}

/** Exact mean of bigint fen values: integer division with half-away-from-zero rounding, no float on the sum. */
export function divideRound(sumFen: string, n: number): number {
  const sum = BigInt(sumFen);
  const d = BigInt(n);
  const q = sum / d;
  const r = sum % d;
  return Number(2n * (r < 0n ? -r : r) >= d ? q + (sum < 0n ? -1n : 1n) : q);
}
