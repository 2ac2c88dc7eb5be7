import type { BrandStatistics, ImportSummary, Organization, OrganizationKind, RegionStatistics, RegistryClient, SalaryFigures } from './client';
import type { BrandPlan } from './plans';

// ───────────────────────────────────────────────────────────────────────────── what the demo did, per brand

/** An organization the demo created, with a client that acts with its own API key, as in real life. */
export interface Member extends Organization {
  kind: OrganizationKind;
  api: RegistryClient;
}

/** What the demo did to one brand; from it follow the figures the statistics must show once caught up. */
export class BrandLedger {
  brandId = '';
  imported: ImportSummary = { received: 0, created: 0, duplicates: 0, rejected: 0, errors: [] };
  readonly certifiedTrainees = new Set<string>();
  readonly placedTrainees = new Set<string>();
  readonly employers = new Set<string>();
  /** Placement id → current annual salary of every job that is running. */
  readonly runningJobs = new Map<string, number>();
  confirmed = 0;
  rejected = 0;
  ended = 0;
  raises = 0;

  constructor(
    readonly plan: BrandPlan,
    readonly bureau: Member,
    readonly operator: Member,
    readonly employerOrgs: Member[],
  ) {}
}

// ───────────────────────────────────────────────────────────────────────────── the figures that follow from it

/** The figures that follow from what the demo did, exactly (API.md, Statistics). */
function expectedFigures(ledger: BrandLedger): Record<string, number | null> {
  const salaries = [...ledger.runningJobs.values()].sort((a, b) => a - b);
  const total = salaries.reduce((sum, fen) => sum + BigInt(fen), 0n);
  const n = BigInt(salaries.length);
  return {
    traineeCount: ledger.imported.created,
    activePlacementCount: ledger.confirmed - ledger.ended,
    endedPlacementCount: ledger.ended,
    placedTraineeCount: ledger.placedTrainees.size,
    certifiedTraineeCount: ledger.certifiedTrainees.size,
    employerCount: ledger.employers.size,
    'salary.medianAnnualFen': roundedOrNull(percentileCont(salaries, 0.5)),
    'salary.p25AnnualFen': roundedOrNull(percentileCont(salaries, 0.25)),
    'salary.p75AnnualFen': roundedOrNull(percentileCont(salaries, 0.75)),
    // Exact: the sum in BigInt, rounded half up (all salaries are positive).
    'salary.meanAnnualFen': n === 0n ? null : Number((2n * total + n) / (2n * n)),
  };
}

/**
 * Postgres `percentile_cont` over sorted values, as the service computes its quartiles: the p-quantile sits at
 * position h = p·(n−1), interpolated linearly between the two closest values.
 */
function percentileCont(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const h = p * (sorted.length - 1);
  const k = Math.floor(h);
  const low = sorted[k];
  const high = sorted[Math.min(k + 1, sorted.length - 1)];
  return low + (h - k) * (high - low);
}

function roundedOrNull(value: number | null): number | null {
  return value === null ? null : Math.round(value);
}

function actualFigure(stats: BrandStatistics, field: string): number | null {
  if (field.startsWith('salary.')) return stats.salary[field.slice('salary.'.length) as keyof SalaryFigures] as number | null;
  return stats[field as keyof BrandStatistics] as number | null;
}

/** The figures that differ from what the demo did: empty once the workers have caught up. */
export function mismatches(stats: BrandStatistics, ledger: BrandLedger): string[] {
  return Object.entries(expectedFigures(ledger))
    .filter(([field, expected]) => actualFigure(stats, field) !== expected)
    .map(([field, expected]) => `${field} is ${actualFigure(stats, field)}, expected ${expected}`);
}

/** Region figures cover every public brand of the province: those of earlier runs too, hence a baseline. */
export interface RegionWatch {
  regionCode: string;
  label: string;
  baseline: RegionStatistics;
  ledgers: BrandLedger[];
}

export function regionMismatches(stats: RegionStatistics, watch: RegionWatch): string[] {
  const expectedTrainees = watch.baseline.traineeCount + sum(watch.ledgers.map((l) => l.imported.created));
  const expectedActive = watch.baseline.activePlacementCount + sum(watch.ledgers.map((l) => l.runningJobs.size));
  const problems: string[] = [];
  if (stats.traineeCount !== expectedTrainees) problems.push(`traineeCount is ${stats.traineeCount}, expected ${expectedTrainees}`);
  if (stats.activePlacementCount !== expectedActive) problems.push(`activePlacementCount is ${stats.activePlacementCount}, expected ${expectedActive}`);
  return problems;
}

function sum(values: number[]): number {
  return values.reduce((total, v) => total + v, 0);
}

/** The figures as the service shows them once they match what the demo did, or when the wait timed out. */
export interface CaughtUp {
  brands: Map<BrandLedger, BrandStatistics>;
  regions: Map<RegionWatch, RegionStatistics>;
  waitedMs: number;
  timeoutMs: number;
  /** Empty when every figure matched before the timeout. */
  lagging: string[];
}
