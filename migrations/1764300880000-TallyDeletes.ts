import { MigrationInterface, QueryRunner } from 'typeorm';
import { reinstallTallyFunctions } from '../src/statistics/tallies.sql';

/**
 * The tally functions again, with the deltas of a DELETE statement named: alone (no INSERT branch before it to
 * name the columns) the subtraction's columns were anonymous, so deleting any trainee or placement row failed.
 * Only the function bodies change; triggers and figures stay.
 */
export class TallyDeletes1764300880000 implements MigrationInterface {
  name = 'TallyDeletes1764300880000';

  /** talliesFingerprint() of the source this migration installs (test/e2e/rules-in-sql.e2e-spec.ts). */
  readonly talliesFingerprint = '4bad75de8b9d120ad2b12ce19005b2e5a7a34a11ea3bbba05ee7ba44c9bc1b9d';

  public async up(q: QueryRunner): Promise<void> {
    await reinstallTallyFunctions(q);
  }

  public async down(): Promise<void> {
    // The earlier bodies failed on every DELETE; nothing worth restoring.
  }
}
