/**
 * What other modules' statements may read of `placements` (owned by this module) in the same statement. The
 * statistics module's derived columns on this table (uplift_pct, days_to_placement) and their indexes are that
 * module's, declared from its tally rules.
 */

export const PLACEMENTS_TABLE = 'placements';

/** Whether an employer has (or had) a placement for a trainee: what lets an employer see that trainee. */
export function offeredToSql(traineeId: string, employerId: string): string {
  return `EXISTS (SELECT 1 FROM placements WHERE trainee_id = ${traineeId} AND employer_id = ${employerId})`;
}
