import { MigrationInterface, QueryRunner } from 'typeorm';
import { sqlLiteral } from '../src/database/sql';
import { PLACEMENT_RULES } from '../src/placements/placement.rules';
import { TALLY_FIGURES } from '../src/statistics/tallies.rules';
import { fillPlacementFigure, reinstallTallyFunctions } from '../src/statistics/tallies.sql';

/**
 * A tally of ended placements by their last working day (`ended_on`), so that a brand's placements and ends by
 * month (the public pages' chart) are read from the tallies like every other figure, never from its placements.
 *
 * The enum value is added outside a transaction (a value added inside one cannot be used before it commits); the
 * functions are then installed again and the new cells filled from the ended placements in one transaction that
 * holds placements against writes, so no end slips between the fill and the new function.
 */
export class EndsByMonth1764300800000 implements MigrationInterface {
  name = 'EndsByMonth1764300800000';
  transaction = false;

  /** talliesFingerprint() of the source this migration installs (test/e2e/rules-in-sql.e2e-spec.ts). */
  readonly talliesFingerprint = 'e4f5887dc667813fd8d4d2be5fe7363cac84410a326a70a222bf9b67da42b237';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TYPE "tally_figure" ADD VALUE IF NOT EXISTS ${sqlLiteral(TALLY_FIGURES.endedOn)}`);
    await q.startTransaction();
    try {
      await q.query(`LOCK TABLE placements IN SHARE MODE`);
      await reinstallTallyFunctions(q);
      await fillPlacementFigure(q, TALLY_FIGURES.endedOn, `p.status = ${sqlLiteral(PLACEMENT_RULES.end.to)}`);
      await q.commitTransaction();
    } catch (err) {
      await q.rollbackTransaction();
      throw err;
    }
  }

  public async down(): Promise<void> {
    // Postgres cannot drop an enum value; the cells are harmless to the earlier functions, which never read them.
  }
}
