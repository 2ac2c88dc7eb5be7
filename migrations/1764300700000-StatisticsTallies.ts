import { MigrationInterface, QueryRunner } from 'typeorm';
import { installTallies, uninstallTallies } from '../src/statistics/tallies.sql';

/**
 * Tallies that let a brand's statistics be recomputed without scanning its placements (a brand with 500,000
 * placements within a fraction of the bare index-ordered median query). What they are and how they stay exact is
 * declared in src/statistics/tallies.sql.ts, which this migration installs.
 */
export class StatisticsTallies1764300700000 implements MigrationInterface {
  name = 'StatisticsTallies1764300700000';

  /**
   * talliesFingerprint() of the source this migration installs. A change to src/statistics/tallies.sql.ts needs a
   * new migration that installs it again and records the new fingerprint (test/e2e/rules-in-sql.e2e-spec.ts).
   */
  readonly talliesFingerprint = 'd7a78b4b40ecc12389a2feab10264f8ea30cc62d8bd35fa70b75dfc1d3b77d5a';

  public async up(q: QueryRunner): Promise<void> {
    await installTallies(q);
  }

  public async down(q: QueryRunner): Promise<void> {
    await uninstallTallies(q);
  }
}
