/**
 * Candidate shapes of the confirmation transaction, as pgbench scripts over the same prepared data (bench_pick),
 * to measure what fewer round trips and no NOTIFY would give before anyone changes src/. Each does the same
 * writes as PlacementsService.confirm (trainee → placed, placement → confirmed, one outbox event with the same
 * fields, one audit entry); the checks the service makes in Node are made in SQL where the shape needs them.
 */

const PICK = (rows: number): string[] => [
  `\\set n random(1, ${rows})`,
  `SELECT id AS pid, trainee_id AS tid, employer_id AS emp FROM bench_pick WHERE n = :n \\gset`,
];

/** The writes after the checks, in one statement: trainee, placement, outbox event (+ NOTIFY), audit entry. */
const writes = (notify: boolean): string =>
  `WITH ut AS (UPDATE trainees SET status = 'placed', version = version + 1, updated_at = now() WHERE id = :tid),
   up AS (UPDATE placements SET status = 'confirmed', confirmed_at = now(), version = version + 1, updated_at = now() WHERE id = :pid RETURNING *),
   ob AS (INSERT INTO outbox_events (brand_id, aggregate_type, aggregate_id, type, data, actor_organization_id)
          SELECT brand_id, 'placement', id, 'placement.confirmed',
                 jsonb_build_object('placementId', id, 'traineeId', trainee_id, 'brandId', brand_id, 'employerId', employer_id, 'status', status,
                                    'salaryFen', salary_fen, 'salaryPeriod', salary_period, 'annualSalaryFen', annual_salary_fen,
                                    'startDate', start_date, 'confirmedAt', confirmed_at, 'endDate', end_date, 'version', version),
                 employer_id FROM up RETURNING id, seq, occurred_at),
   au AS (INSERT INTO audit_log (actor_organization_id, action, object_type, object_id, brand_id, details)
          SELECT employer_id, 'placement.confirm', 'placement', id::text, brand_id, '{"status": "confirmed"}' FROM up)
   SELECT ob.id, ob.seq, ob.occurred_at${notify ? ", pg_notify('outbox_events', '')" : ''} FROM ob`;

const oneLine = (sql: string): string => `${sql.replace(/\s+/g, ' ').trim()};`;

/** 4 round trips: BEGIN; one locking read of placement + trainee (no brand: only the employer confirms); the writes; COMMIT. */
export function fourRoundTrips(rows: number, notify = true): string {
  return [
    ...PICK(rows),
    'BEGIN;',
    oneLine(`SELECT p.*, t.status AS trainee_status, t.erased AS trainee_erased FROM placements p JOIN trainees t ON t.id = p.trainee_id
              WHERE p.id = :pid FOR UPDATE OF p, t`),
    oneLine(writes(notify)),
    'COMMIT;',
    '',
  ].join('\n');
}

/**
 * 1 round trip: the checks (employer, proposed, trainee placeable) and the writes in one autocommitted statement.
 * When it changes nothing the service would make a second, rare read to answer the precise 403/404/409.
 */
export function oneStatement(rows: number, notify = true): string {
  const sql = `WITH target AS (
      SELECT p.id, p.trainee_id FROM placements p JOIN trainees t ON t.id = p.trainee_id
       WHERE p.id = :pid AND p.employer_id = :emp AND p.status IN ('proposed', 'confirmed')
         AND NOT t.erased AND t.status IN ('registered', 'training', 'completed', 'placed')
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
  // The bench picks placements at random with repeats, so the state filter admits 'confirmed' and 'placed' as
  // well: every transaction then does the writes, like the other scripts (the service itself would use
  // p.status = 'proposed' and t.status IN ('registered', 'training', 'completed')).
  return [...PICK(rows), oneLine(sql), ''].join('\n');
}

/**
 * The NOTIFY moved out of the writing transaction: the 1-statement shape without it, then `SELECT pg_notify` in a
 * transaction of its own (no xid, no commit record to flush), which holds the cluster-wide notify lock only briefly.
 */
export function oneStatementThenNotify(rows: number): string {
  return oneStatement(rows, false).replace(/\n$/, `\nSELECT pg_notify('outbox_events', '');\n`);
}
