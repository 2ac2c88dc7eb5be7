/**
 * Shapes of the confirmation's SQL for comparison with the captured one, as pgbench scripts over the prepared data
 * (bench_pick, taken in order through bench_seq). Each does the writes of PlacementsService.confirm (trainee →
 * placed, placement → confirmed, one outbox event with the same fields, one audit entry) with its checks in SQL.
 */
import { PICK_NEXT } from './confirm-sql';

const oneLine = (sql: string): string => `${sql.replace(/\s+/g, ' ').trim()};`;

/** One autocommitted statement, optionally with the wake-up NOTIFY inside it (as the outbox did before d2bab9b). */
export function oneStatement(notify: boolean): string {
  const sql = `WITH target AS (
      SELECT p.id, p.trainee_id FROM placements p JOIN trainees t ON t.id = p.trainee_id
       WHERE p.id = :pid AND p.employer_id = :emp AND p.status = 'proposed'
         AND NOT t.erased AND t.status IN ('registered', 'training', 'completed')
       FOR UPDATE OF p, t),
    ut AS (UPDATE trainees SET status = 'placed', version = version + 1, updated_at = now() FROM target WHERE trainees.id = target.trainee_id),
    up AS (UPDATE placements SET status = 'confirmed', confirmed_at = now(), version = placements.version + 1, updated_at = now()
             FROM target WHERE placements.id = target.id RETURNING placements.*),
    ob AS (INSERT INTO outbox_events (brand_id, aggregate_type, aggregate_id, type, data, actor_organization_id)
           SELECT brand_id, 'placement', id, 'placement.confirmed',
                  jsonb_build_object('placementId', id, 'traineeId', trainee_id, 'brandId', brand_id, 'employerId', employer_id, 'status', status,
                                     'salaryFen', salary_fen, 'salaryPeriod', salary_period, 'annualSalaryFen', annual_salary_fen,
                                     'startDate', start_date, 'confirmedAt', confirmed_at, 'endDate', end_date, 'version', version),
                  employer_id FROM up RETURNING id, seq, occurred_at),
    au AS (INSERT INTO audit_log (actor_organization_id, action, object_type, object_id, brand_id, details)
           SELECT employer_id, 'placement.confirm', 'placement', id::text, brand_id, '{"status": "confirmed"}' FROM up)
    SELECT up.*, ob.seq${notify ? ", pg_notify('outbox_events', '')" : ''} FROM up, ob`;
  return [PICK_NEXT, oneLine(sql), ''].join('\n');
}

/** The NOTIFY in a transaction of its own after each confirmation (no xid, no commit record): the lock is held briefly. */
export function oneStatementThenNotify(): string {
  return oneStatement(false).replace(/\n$/, `\nSELECT pg_notify('outbox_events', '');\n`);
}
