/**
 * Disclosure control for readers without privilege (API.md, Statistics): no published figure, alone or with others
 * published at the same time or earlier, may reveal the salaries of a suppressed brand or one worker's salary to
 * better than CNY 1,000 a year. Pure rules, unit-tested; StatisticsService applies them.
 *
 * - A brand's salary figures with fewer than SUPPRESSION_THRESHOLD salaries are hidden (statistics.math.ts).
 * - Means shown to the public are rounded to whole CNY 1,000 a year: a mean before and after one confirmation no
 *   longer gives that salary to the fen.
 * - Complementary suppression: a region's salary figures are hidden too where subtracting what is published inside
 *   it — the brands shown, and the sub-regions shown — would leave the salaries of suppressed brands of fewer than
 *   SUPPRESSION_THRESHOLD people.
 */
import { NATIONAL_REGION_CODE, regionCovers } from '../common/identifiers/region-code';
import { isSuppressed, roundFen } from './statistics.math';

/** Public means are rounded to this many fen: CNY 1,000 a year. */
export const PUBLIC_MEAN_UNIT_FEN = 100_000;

export function publicMeanFen(meanFen: number | null): number | null {
  return meanFen === null ? null : roundFen(meanFen / PUBLIC_MEAN_UNIT_FEN) * PUBLIC_MEAN_UNIT_FEN;
}

/**
 * Salaries of the public brands registered at one region code: all of them, and those of brands whose own figures
 * are suppressed. Brands may be given one by one or already summed per code (what the repository reads).
 */
export interface RegionSample {
  regionCode: string;
  salaries: number;
  suppressedSalaries: number;
}

/** One brand as a sample: its salaries count as suppressed when its own figures are. */
export function brandSample(regionCode: string, sampleSize: number): RegionSample {
  return { regionCode, salaries: sampleSize, suppressedSalaries: sampleSize > 0 && isSuppressed(sampleSize) ? sampleSize : 0 };
}

/** The region one level below `region` that contains `code`, or null when `code` is registered at `region` itself. */
function childOf(region: string, code: string): string | null {
  const child = region === NATIONAL_REGION_CODE ? `${code.slice(0, 2)}0000` : region.endsWith('0000') ? `${code.slice(0, 4)}00` : code;
  return child === region ? null : child;
}

interface Verdict {
  shown: boolean;
  /** Suppressed salaries a subtraction of the published figures inside the region would isolate. */
  unprotected: number;
}

function verdict(region: string, samples: readonly RegionSample[]): Verdict {
  let total = 0;
  let unprotected = 0;
  const children = new Map<string, RegionSample[]>();
  for (const sample of samples) {
    if (!regionCovers(region, sample.regionCode)) continue;
    total += sample.salaries;
    const child = childOf(region, sample.regionCode);
    if (child === null) unprotected += sample.suppressedSalaries;
    else children.set(child, [...(children.get(child) ?? []), sample]);
  }
  for (const [child, inside] of children) {
    const v = verdict(child, inside);
    // A sub-region whose figures are shown can be subtracted as a whole, and it answers for what it hides itself;
    // one that is hidden leaves its suppressed salaries to be isolated from this region's figures.
    if (!v.shown) unprotected += v.unprotected;
  }
  const shown = !isSuppressed(total) && !(unprotected > 0 && isSuppressed(unprotected));
  return { shown, unprotected };
}

/**
 * Whether a region's salary figures may be shown to a reader without privilege: enough salaries, and nothing a
 * subtraction of the published figures inside it would single out. `samples`: the public brands the region covers.
 */
export function regionSalaryShown(regionCode: string, samples: readonly RegionSample[]): boolean {
  return verdict(regionCode, samples).shown;
}
