import { MigrationInterface, QueryRunner } from 'typeorm';
import { installRegionTallies, uninstallRegionTallies } from '../src/statistics/tallies.sql';

/**
 * Region tallies: a region's counts and salary buckets kept like a brand's, by the fold that moves a brand's deltas
 * (src/statistics/tallies.sql.ts), so the national figures no longer sum every brand's cells, fold every brand's
 * deltas and look up every brand's salary count. Filled from the folded brand tallies. The tally functions are
 * installed again: the fold is one of them now, and the rebuild appends its difference as a delta for the fold to
 * carry into the brand's regions.
 */
export class RegionTallies1764300890000 implements MigrationInterface {
  name = 'RegionTallies1764300890000';

  /** talliesFingerprint() of the source this migration installs (test/e2e/rules-in-sql.e2e-spec.ts). */
  readonly talliesFingerprint = '04329f64777fe678fd01a07017bd993c1edc2526896ba9f76127a9e11be35ff8';

  public async up(q: QueryRunner): Promise<void> {
    await installRegionTallies(q);
  }

  public async down(q: QueryRunner): Promise<void> {
    // rebuild_brand_tallies keeps its new body: it needs no region table, and its result is the same.
    await uninstallRegionTallies(q);
  }
}
