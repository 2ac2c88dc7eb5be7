/**
 * The database side of the tallies, declared once here and installed by the migrations (StatisticsTallies, and any
 * later migration that changes them installs these again): the figure type, the functions that say which cells a
 * row contributes to, the triggers that append one delta row per statement and brand, the derived columns the
 * medians are read from, and the rebuild. Every rule in them (which status is active, the trainee status order,
 * bucket widths, retention windows) comes from the constants of the rules files; a test compares what the
 * database holds with this source and fails on drift.
 *
 * Every figure is either a count or an order statistic. Each row of `placements` and `trainees` contributes to a
 * few (figure, bucket) cells — `placement_tallies(p)` and `trainee_tallies(t)` say which — and triggers keep the
 * sums of those contributions per brand in the same transaction as the change, so they are exact in every
 * snapshot that sees the change. A median is then found by walking the bucket counts to the bucket that holds its
 * rank and reading only inside that bucket from the partial index ordered by the value (statistics.calculator.ts).
 *
 * The triggers append per-statement deltas (`brand_tally_deltas`, insert-only, so concurrent writers never wait on
 * a shared counter row); the statistics worker folds them into `brand_tallies`. A reader sums both. Derived
 * columns: `placements.uplift_pct` (of an active placement, against the trainee's expected salary),
 * `placements.days_to_placement` (set on a trainee's first confirmed placement only) and
 * `trainees.certified_until` (the latest validity among the trainee's active certificates, 'infinity' for one
 * without an end). `rebuild_brand_tallies(brand)` recomputes all of it from the source rows.
 *
 * The same fold adds a public brand's deltas to `region_tallies`, the cells of every region holding its code, so a
 * region's cells are always the sum of its public brands' folded cells and a region is read like one brand.
 */
import { createHash } from 'node:crypto';
import { ACTIVE_CERTIFICATION_STATUS } from '../certifications/certification.rules';
import { CHINA_TIME_ZONE } from '../common/time/china-time';
import { NON_PUBLIC_STATUSES } from '../brands/brand.rules';
import { regionsHoldingSql } from '../common/identifiers/region-code';
import { sqlArray, sqlLiteral, sqlNotIn } from '../database/sql';
import { ACTIVE_PLACEMENT_STATUS, PLACEMENT_RULES } from '../placements/placement.rules';
import { activePlacementSql, BUCKET_WIDTH, CERTIFIED_FOREVER, ORDERED_FIGURES, RETENTION_WINDOWS, TALLY_FIGURES, TRAINEE_STATUS_ORDER, type TallyFigure } from './tallies.rules';

/** Anything that runs SQL: a migration's query runner, a data source, a transaction. */
export interface SqlRunner {
  query(sql: string): Promise<unknown>;
}

const ACTIVE = sqlLiteral(ACTIVE_PLACEMENT_STATUS);
const ENDED = sqlLiteral(PLACEMENT_RULES.end.to);
const ACTIVE_CERTIFICATE = sqlLiteral(ACTIVE_CERTIFICATION_STATUS);
const figure = (name: string): string => sqlLiteral(name);

/** The bucket of a value: ⌊value / width⌋ (integer division for a bigint of positive values). */
function bucketOf(value: string, width: number, integer: boolean): string {
  if (integer) return `${value} / ${width}`;
  return width === 1 ? `floor(${value})::bigint` : `floor(${value} / ${width})::bigint`;
}

/**
 * The derived values, each defined once (API.md, Statistics): a placement's uplift over the trainee's expected
 * monthly salary in percent (null without an expectation), the days (fractional) from registration to a
 * confirmation, and a trainee's latest certificate validity over a group of active certificates.
 */
const upliftPct = (annualFen: string, expectedMonthlyFen: string): string =>
  `(CASE WHEN ${expectedMonthlyFen} > 0 THEN (${annualFen}::numeric / 12 / ${expectedMonthlyFen} - 1) * 100 END)`;
const daysBetween = (registeredAt: string, confirmedAt: string): string => `(EXTRACT(EPOCH FROM ${confirmedAt} - ${registeredAt}) / 86400)`;
const latestValidity = (validUntil: string): string => `(CASE WHEN bool_or(${validUntil} IS NULL) THEN 'infinity'::date ELSE max(${validUntil}) END)`;

const CREATE_FIGURE_TYPE = `CREATE TYPE "tally_figure" AS ENUM (${Object.values(TALLY_FIGURES).map(sqlLiteral).join(', ')})`;

const retentionCells = RETENTION_WINDOWS.map(
  ({ months, tally }) => `(${figure(tally)}, CASE WHEN p.end_date < d.day + interval '${months} months' THEN d.day - DATE '1970-01-01' END, 0)`,
).join(',\n            ');

/** The cells a placement row contributes to. */
export const PLACEMENT_TALLIES_FUNCTION = `CREATE FUNCTION placement_tallies(p placements)
      RETURNS TABLE (figure tally_figure, bucket bigint, n bigint, total bigint) LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT f.figure, f.bucket, 1::bigint, f.total
          FROM (SELECT (p.confirmed_at AT TIME ZONE '${CHINA_TIME_ZONE}')::date AS day) d,
          LATERAL (VALUES
            (${figure(TALLY_FIGURES.activeSalary)}::tally_figure, CASE WHEN ${activePlacementSql('p')} THEN ${bucketOf(`p.${ORDERED_FIGURES.salary.column}`, BUCKET_WIDTH.salary, true)} END, p.annual_salary_fen),
            (${figure(TALLY_FIGURES.endedPlacements)}, CASE WHEN p.status = ${ENDED} THEN 0 END, 0),
            (${figure(TALLY_FIGURES.firstConfirmationDays)}, ${bucketOf(`p.${ORDERED_FIGURES.days.column}`, BUCKET_WIDTH.days, false)}, 0),
            (${figure(TALLY_FIGURES.activeUplift)}, CASE WHEN ${activePlacementSql('p')} THEN ${bucketOf(`p.${ORDERED_FIGURES.uplift.column}`, BUCKET_WIDTH.uplift, false)} END, 0),
            (${figure(TALLY_FIGURES.confirmedOn)}, (d.day - DATE '1970-01-01')::bigint, 0),
            (${figure(TALLY_FIGURES.endedOn)}, CASE WHEN p.status = ${ENDED} THEN (p.end_date - DATE '1970-01-01')::bigint END, 0),
            ${retentionCells}
          ) f(figure, bucket, total)
         WHERE f.bucket IS NOT NULL
      $$`;

/** The cells a trainee row contributes to. */
export const TRAINEE_TALLIES_FUNCTION = `CREATE FUNCTION trainee_tallies(t trainees)
      RETURNS TABLE (figure tally_figure, bucket bigint, n bigint, total bigint) LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT f.figure, f.bucket, 1::bigint, 0::bigint
          FROM (VALUES
            (${figure(TALLY_FIGURES.traineesByStatus)}::tally_figure, array_position(${sqlArray(TRAINEE_STATUS_ORDER)}, t.status)::bigint - 1),
            (${figure(TALLY_FIGURES.certifiedUntil)}, CASE WHEN t.certified_until = 'infinity' THEN ${CERTIFIED_FOREVER} ELSE t.certified_until - DATE '1970-01-01' END)
          ) f(figure, bucket)
         WHERE f.bucket IS NOT NULL
      $$`;

// Statement-level triggers with transition tables: one grouped delta row per brand per statement, however many
// rows it wrote (an import batch of thousands of trainees appends one row).
const appendDeltas = (changes: string): string => `
      INSERT INTO brand_tally_deltas (brand_id, figures, buckets, ns, totals)
      SELECT brand_id, array_agg(figure), array_agg(bucket), array_agg(n), array_agg(total)
        FROM (SELECT brand_id, figure, bucket, sum(n)::bigint AS n, sum(total)::bigint AS total FROM (${changes}) c
               GROUP BY brand_id, figure, bucket HAVING sum(n) <> 0 OR sum(total) <> 0) g
       GROUP BY brand_id;`;
const plus = (table: string, fn: string): string => `SELECT r.brand_id, c.figure, c.bucket, c.n, c.total FROM ${table} r, ${fn}(r) c`;
// Named columns: a DELETE statement's deltas are this query alone, and the grouping above reads `n` and `total`.
const minus = (table: string, fn: string): string => `SELECT r.brand_id, c.figure, c.bucket, -c.n AS n, -c.total AS total FROM ${table} r, ${fn}(r) c`;

// Which placement is a trainee's first confirmation is decided per row as it is written (placements_derive,
// below). A row cannot see rows written by the same statement, nor fix a trainee's other placement when a
// confirmation time is moved by hand; so when a statement moves a confirmation (sets, changes or removes it)
// of a trainee who has another confirmed placement, the trainee's first confirmation is marked again. A
// trainee's first confirmation through the API skips this after one index probe.
// (The UPDATE fires this trigger again, moving no confirmation, which ends the recursion.)
const markFirstConfirmations = (moved: string): string => `
      -- ARRAY(…) is planned for all its rows (hash joins); an EXISTS would be planned to stop at the first, as a
      -- nested loop over the transition tables: quadratic for a statement that writes many rows.
      trainees_to_mark := ARRAY(SELECT DISTINCT m.trainee_id FROM (${moved}) m
                                  JOIN placements x ON x.trainee_id = m.trainee_id AND x.id <> m.id WHERE x.confirmed_at IS NOT NULL);
      IF cardinality(trainees_to_mark) > 0 THEN
        UPDATE placements p SET days_to_placement = CASE WHEN p.id = f.id THEN f.days END
          FROM (SELECT DISTINCT ON (x.trainee_id) x.trainee_id, x.id, ${daysBetween('t.registered_at', 'x.confirmed_at')} AS days
                  FROM placements x JOIN trainees t ON t.id = x.trainee_id
                 WHERE x.trainee_id = ANY(trainees_to_mark) AND x.confirmed_at IS NOT NULL
                 ORDER BY x.trainee_id, x.confirmed_at, x.id) f
         WHERE p.trainee_id = f.trainee_id AND p.days_to_placement IS DISTINCT FROM (CASE WHEN p.id = f.id THEN f.days END);
      END IF;`;
// Usually there already: a plain index probe, no speculative insertion.
const addEmployers = `INSERT INTO brand_employers SELECT DISTINCT n.brand_id, n.employer_id FROM new_rows n
      WHERE n.confirmed_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM brand_employers b WHERE b.brand_id = n.brand_id AND b.employer_id = n.employer_id)
      ON CONFLICT DO NOTHING;`;

export const PLACEMENTS_TALLY_FUNCTION = `CREATE FUNCTION placements_tally() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        trainees_to_mark uuid[];
      BEGIN
        IF TG_OP = 'INSERT' THEN
          ${appendDeltas(plus('new_rows', 'placement_tallies'))}
          ${addEmployers}
          ${markFirstConfirmations('SELECT id, trainee_id FROM new_rows WHERE confirmed_at IS NOT NULL')}
        ELSIF TG_OP = 'UPDATE' THEN
          ${appendDeltas(`${plus('new_rows', 'placement_tallies')} UNION ALL ${minus('old_rows', 'placement_tallies')}`)}
          ${addEmployers}
          ${markFirstConfirmations(`SELECT n.id, n.trainee_id FROM new_rows n JOIN old_rows o ON o.id = n.id
                                      WHERE n.confirmed_at IS DISTINCT FROM o.confirmed_at OR n.trainee_id <> o.trainee_id
                                     UNION ALL
                                     SELECT o.id, o.trainee_id FROM new_rows n JOIN old_rows o ON o.id = n.id
                                      WHERE o.confirmed_at IS NOT NULL AND n.trainee_id <> o.trainee_id`)}
        ELSE
          ${appendDeltas(minus('old_rows', 'placement_tallies'))}
          ${markFirstConfirmations('SELECT id, trainee_id FROM old_rows WHERE confirmed_at IS NOT NULL')}
        END IF;
        RETURN NULL;
      END $$`;

const traineeUplift = upliftPct('p.annual_salary_fen', 'n.expected_monthly_salary_fen');
const traineeDays = daysBetween('n.registered_at', 'p.confirmed_at');
// A trainee's change of expected salary moves the uplift of their active placement; a change of registration
// time (never done by the API, but possible by hand) moves their days to placement.
export const TRAINEES_TALLY_FUNCTION = `CREATE FUNCTION trainees_tally() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        changed uuid[];
      BEGIN
        IF TG_OP = 'INSERT' THEN
          ${appendDeltas(plus('new_rows', 'trainee_tallies'))}
        ELSIF TG_OP = 'UPDATE' THEN
          ${appendDeltas(`${plus('new_rows', 'trainee_tallies')} UNION ALL ${minus('old_rows', 'trainee_tallies')}`)}
          -- ARRAY(…), not EXISTS: see markFirstConfirmations.
          changed := ARRAY(SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
                            WHERE n.expected_monthly_salary_fen IS DISTINCT FROM o.expected_monthly_salary_fen OR n.registered_at <> o.registered_at);
          IF cardinality(changed) > 0 THEN
          UPDATE placements p SET uplift_pct = CASE WHEN ${activePlacementSql('p')} THEN ${traineeUplift} ELSE p.uplift_pct END,
                                  days_to_placement = CASE WHEN p.days_to_placement IS NOT NULL THEN ${traineeDays} END
            FROM new_rows n
           WHERE p.trainee_id = n.id AND n.id = ANY(changed)
             AND ((${activePlacementSql('p')} AND p.uplift_pct IS DISTINCT FROM ${traineeUplift})
               OR (p.days_to_placement IS NOT NULL AND p.days_to_placement IS DISTINCT FROM ${traineeDays}));
          END IF;
        ELSE
          ${appendDeltas(minus('old_rows', 'trainee_tallies'))}
        END IF;
        RETURN NULL;
      END $$`;

// The derived columns of one placement row, as it is written: its uplift once active, and — on a trainee's
// first confirmation (first by confirmation time, then id) — the days since the trainee registered.
export const PLACEMENTS_DERIVE_FUNCTION = `CREATE FUNCTION placements_derive() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF ${activePlacementSql('NEW')} AND (TG_OP = 'INSERT' OR OLD.status <> ${ACTIVE}
            OR OLD.annual_salary_fen <> NEW.annual_salary_fen OR OLD.trainee_id <> NEW.trainee_id) THEN
          NEW.uplift_pct := (SELECT ${upliftPct('NEW.annual_salary_fen', 't.expected_monthly_salary_fen')} FROM trainees t WHERE t.id = NEW.trainee_id);
        END IF;
        IF TG_OP = 'INSERT' OR OLD.confirmed_at IS DISTINCT FROM NEW.confirmed_at OR OLD.trainee_id <> NEW.trainee_id THEN
          NEW.days_to_placement := CASE WHEN NEW.confirmed_at IS NOT NULL AND NOT EXISTS (
              SELECT 1 FROM placements o WHERE o.trainee_id = NEW.trainee_id AND o.id <> NEW.id
                 AND (o.confirmed_at < NEW.confirmed_at OR (o.confirmed_at = NEW.confirmed_at AND o.id < NEW.id)))
            THEN (SELECT ${daysBetween('t.registered_at', 'NEW.confirmed_at')} FROM trainees t WHERE t.id = NEW.trainee_id) END;
        END IF;
        RETURN NEW;
      END $$`;

// trainees.certified_until follows the trainee's active certificates.
const certifiedUntil = (changed: string): string => `
      UPDATE trainees t SET certified_until = c.until
        FROM (SELECT a.trainee_id, (SELECT ${latestValidity('x.valid_until')}
                                      FROM certifications x WHERE x.trainee_id = a.trainee_id AND x.status = ${ACTIVE_CERTIFICATE}) AS until
                FROM (${changed}) a) c
       WHERE t.id = c.trainee_id AND t.certified_until IS DISTINCT FROM c.until;`;

export const CERTIFICATIONS_TALLY_FUNCTION = `CREATE FUNCTION certifications_tally() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- Two transactions changing one trainee's certificates must not each miss the other's change: the trainee
        -- is locked first, so the statements below (a fresh snapshot each) see everything committed before.
        IF TG_OP = 'INSERT' THEN
          PERFORM 1 FROM trainees WHERE id IN (SELECT trainee_id FROM new_rows) ORDER BY id FOR NO KEY UPDATE;
        ELSIF TG_OP = 'UPDATE' THEN
          PERFORM 1 FROM trainees WHERE id IN (SELECT trainee_id FROM new_rows UNION SELECT trainee_id FROM old_rows) ORDER BY id FOR NO KEY UPDATE;
        ELSE
          PERFORM 1 FROM trainees WHERE id IN (SELECT trainee_id FROM old_rows) ORDER BY id FOR NO KEY UPDATE;
        END IF;
        IF TG_OP = 'INSERT' THEN
          -- A new certificate can only extend validity: no need to read the trainee's other certificates.
          UPDATE trainees t SET certified_until = GREATEST(t.certified_until, c.until)
            FROM (SELECT trainee_id, ${latestValidity('valid_until')} AS until
                    FROM new_rows WHERE status = ${ACTIVE_CERTIFICATE} GROUP BY trainee_id) c
           WHERE t.id = c.trainee_id AND t.certified_until IS DISTINCT FROM GREATEST(t.certified_until, c.until);
        ELSIF TG_OP = 'UPDATE' THEN
          ${certifiedUntil('SELECT trainee_id FROM new_rows UNION SELECT trainee_id FROM old_rows')}
        ELSE
          ${certifiedUntil('SELECT DISTINCT trainee_id FROM old_rows')}
        END IF;
        RETURN NULL;
      END $$`;

// From the source rows: repairs the derived columns, then appends to the brand's deltas what its tallies (folded
// and not) lack of the truth, so the next fold makes them exact — and the brand's regions with them. Run in a
// REPEATABLE READ transaction: the truth and the tallies are read in one snapshot, so a concurrent writer's deltas
// (or a concurrent fold) change neither side of the difference.
export const REBUILD_BRAND_TALLIES_FUNCTION = `CREATE FUNCTION rebuild_brand_tallies(p_brand uuid) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE trainees t SET certified_until = c.until
          FROM (SELECT x.trainee_id, ${latestValidity('x.valid_until')} AS until
                  FROM certifications x WHERE x.brand_id = p_brand AND x.status = ${ACTIVE_CERTIFICATE} GROUP BY x.trainee_id) c
         WHERE t.id = c.trainee_id AND t.certified_until IS DISTINCT FROM c.until;
        UPDATE trainees t SET certified_until = NULL
         WHERE t.brand_id = p_brand AND t.certified_until IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM certifications x WHERE x.trainee_id = t.id AND x.status = ${ACTIVE_CERTIFICATE});
        UPDATE placements p SET uplift_pct = u.v
          FROM (SELECT p2.id, ${upliftPct('p2.annual_salary_fen', 't.expected_monthly_salary_fen')} AS v
                  FROM placements p2 JOIN trainees t ON t.id = p2.trainee_id WHERE p2.brand_id = p_brand AND ${activePlacementSql('p2')}) u
         WHERE p.id = u.id AND p.uplift_pct IS DISTINCT FROM u.v;
        UPDATE placements p SET days_to_placement = f.v
          FROM (SELECT p2.id, CASE WHEN p2.confirmed_at IS NOT NULL AND row_number() OVER (PARTITION BY p2.trainee_id ORDER BY p2.confirmed_at, p2.id) = 1
                       THEN ${daysBetween('t.registered_at', 'p2.confirmed_at')} END AS v
                  FROM placements p2 JOIN trainees t ON t.id = p2.trainee_id WHERE p2.brand_id = p_brand) f
         WHERE p.id = f.id AND p.days_to_placement IS DISTINCT FROM f.v;
        -- (The derived columns just repaired appended their own deltas; the difference below counts them as kept.)
        INSERT INTO brand_tally_deltas (brand_id, figures, buckets, ns, totals)
        SELECT p_brand, array_agg(figure), array_agg(bucket), array_agg(n), array_agg(total)
          FROM (SELECT figure, bucket, sum(n)::bigint AS n, sum(total)::bigint AS total FROM (
                  SELECT c.figure, c.bucket, c.n, c.total FROM placements p, placement_tallies(p) c WHERE p.brand_id = p_brand
                  UNION ALL
                  SELECT c.figure, c.bucket, c.n, c.total FROM trainees t, trainee_tallies(t) c WHERE t.brand_id = p_brand
                  UNION ALL
                  SELECT figure, bucket, -n, -total FROM brand_tallies WHERE brand_id = p_brand
                  UNION ALL
                  SELECT u.figure, u.bucket, -u.n, -u.total
                    FROM brand_tally_deltas d, unnest(d.figures, d.buckets, d.ns, d.totals) AS u(figure, bucket, n, total)
                   WHERE d.brand_id = p_brand) x
                 GROUP BY figure, bucket HAVING sum(n) <> 0 OR sum(total) <> 0) g
        HAVING count(*) > 0;
        DELETE FROM brand_employers WHERE brand_id = p_brand;
        INSERT INTO brand_employers SELECT DISTINCT p_brand, employer_id FROM placements WHERE brand_id = p_brand AND confirmed_at IS NOT NULL;
      END $$`;

/** The region a brand's cells count in (a public brand's region code), null for a brand no region counts. */
const countedRegion = (brand: string): string => `(CASE WHEN ${sqlNotIn(`${brand}.status`, NON_PUBLIC_STATUSES)} THEN ${brand}.region_code END)`;
/** Adds signed cells to the rows of every region holding their region code; rows are locked in key order. */
const addToRegions = (cells: string): string => `
        INSERT INTO region_tallies (region_code, figure, bucket, n, total)
        SELECT r.region_code, c.figure, c.bucket, sum(c.n), sum(c.total)
          FROM (${cells}) c, unnest(${regionsHoldingSql('c.region_code')}) AS r(region_code)
         GROUP BY r.region_code, c.figure, c.bucket
        HAVING sum(c.n) <> 0 OR sum(c.total) <> 0
         ORDER BY r.region_code, c.figure, c.bucket
        ON CONFLICT (region_code, figure, bucket) DO UPDATE SET n = region_tallies.n + EXCLUDED.n, total = region_tallies.total + EXCLUDED.total;`;
const SALARY = figure(ORDERED_FIGURES.salary.tally);

// Moves the brands' appended deltas into their tallies, and into the region tallies of the public ones: one
// statement, so a reader sees either the deltas or their sums, never both. The brands' rows in
// region_tally_brands are locked first: one fold of a brand at a time, and none while the brand moves into or out
// of a region (brands_tally) — the statement after the lock (a fresh snapshot) sees where the brand counts now.
// Tally cells are locked in key order, so concurrent folds cannot deadlock.
export const FOLD_BRAND_TALLIES_FUNCTION = `CREATE FUNCTION fold_brand_tallies(p_brands uuid[]) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM 1 FROM region_tally_brands WHERE brand_id = ANY(p_brands) ORDER BY brand_id FOR NO KEY UPDATE;
        WITH folded AS (DELETE FROM brand_tally_deltas WHERE brand_id = ANY(p_brands) RETURNING brand_id, figures, buckets, ns, totals),
        cells AS (SELECT f.brand_id, u.figure, u.bucket, sum(u.n)::bigint AS n, sum(u.total)::bigint AS total
                    FROM folded f, unnest(f.figures, f.buckets, f.ns, f.totals) AS u(figure, bucket, n, total)
                   GROUP BY f.brand_id, u.figure, u.bucket),
        to_brands AS (INSERT INTO brand_tallies (brand_id, figure, bucket, n, total)
                      SELECT brand_id, figure, bucket, n, total FROM cells ORDER BY brand_id, figure, bucket
                      ON CONFLICT (brand_id, figure, bucket) DO UPDATE SET n = brand_tallies.n + EXCLUDED.n, total = brand_tallies.total + EXCLUDED.total),
        samples AS (UPDATE region_tally_brands m SET salaries = m.salaries + s.n
                      FROM (SELECT brand_id, sum(n) AS n FROM cells WHERE figure = ${SALARY} GROUP BY brand_id HAVING sum(n) <> 0) s
                     WHERE m.brand_id = s.brand_id)
        ${addToRegions(`SELECT m.region_code, c.figure, c.bucket, c.n, c.total FROM cells c JOIN region_tally_brands m ON m.brand_id = c.brand_id WHERE m.region_code IS NOT NULL`)}
      END $$`;

// A brand counts in its regions' tallies while it is public (what a region's figures select); its region code
// changes only while it is a draft. When either moves, the brand's folded cells leave the regions it counted in
// and join the ones it counts in now, in the same transaction; the lock waits for a fold of the brand in progress,
// and the statements after it (fresh snapshots) see the cells that fold left.
export const BRANDS_TALLY_FUNCTION = `CREATE FUNCTION brands_tally() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        moved uuid[];
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO region_tally_brands (brand_id) SELECT id FROM new_rows ORDER BY id ON CONFLICT DO NOTHING;
          moved := ARRAY(SELECT id FROM new_rows WHERE ${countedRegion('new_rows')} IS NOT NULL);
        ELSIF TG_OP = 'UPDATE' THEN
          moved := ARRAY(SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE ${countedRegion('n')} IS DISTINCT FROM ${countedRegion('o')});
        ELSE
          moved := ARRAY(SELECT id FROM old_rows);
        END IF;
        IF cardinality(moved) > 0 THEN
          PERFORM 1 FROM region_tally_brands WHERE brand_id = ANY(moved) ORDER BY brand_id FOR NO KEY UPDATE;
          ${addToRegions(`SELECT w.region_code, t.figure, t.bucket, w.sign * t.n AS n, w.sign * t.total AS total
                    FROM (SELECT m.brand_id, m.region_code, -1 AS sign FROM region_tally_brands m WHERE m.brand_id = ANY(moved) AND m.region_code IS NOT NULL
                          UNION ALL
                          SELECT b.id, ${countedRegion('b')}, 1 FROM brands b WHERE b.id = ANY(moved) AND ${countedRegion('b')} IS NOT NULL) w
                    JOIN brand_tallies t ON t.brand_id = w.brand_id`)}
          UPDATE region_tally_brands m SET region_code = ${countedRegion('b')} FROM brands b
           WHERE b.id = m.brand_id AND m.brand_id = ANY(moved) AND m.region_code IS DISTINCT FROM ${countedRegion('b')};
          DELETE FROM region_tally_brands m WHERE m.brand_id = ANY(moved) AND NOT EXISTS (SELECT 1 FROM brands b WHERE b.id = m.brand_id);
        END IF;
        RETURN NULL;
      END $$`;

// From the brands and their folded tallies: which brands count where, each brand's folded salaries, and every
// region's cells. Writers of either table wait (a fold in progress is waited for) until it is done.
export const REBUILD_REGION_TALLIES_FUNCTION = `CREATE FUNCTION rebuild_region_tallies() RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        LOCK TABLE region_tally_brands, region_tallies IN EXCLUSIVE MODE;
        DELETE FROM region_tally_brands m WHERE NOT EXISTS (SELECT 1 FROM brands b WHERE b.id = m.brand_id);
        INSERT INTO region_tally_brands (brand_id, region_code, salaries)
        SELECT b.id, ${countedRegion('b')}, COALESCE(s.n, 0) FROM brands b
          LEFT JOIN (SELECT brand_id, sum(n) AS n FROM brand_tallies WHERE figure = ${SALARY} GROUP BY brand_id) s ON s.brand_id = b.id
        ON CONFLICT (brand_id) DO UPDATE SET region_code = EXCLUDED.region_code, salaries = EXCLUDED.salaries
         WHERE (region_tally_brands.region_code, region_tally_brands.salaries) IS DISTINCT FROM (EXCLUDED.region_code, EXCLUDED.salaries);
        DELETE FROM region_tallies;
        ${addToRegions(`SELECT m.region_code, t.figure, t.bucket, t.n, t.total FROM region_tally_brands m JOIN brand_tallies t ON t.brand_id = m.brand_id WHERE m.region_code IS NOT NULL`)}
      END $$`;

/** Every function above by name: what the drift test compares with the database's definitions. */
export const TALLY_FUNCTIONS: Record<string, string> = {
  placement_tallies: PLACEMENT_TALLIES_FUNCTION,
  trainee_tallies: TRAINEE_TALLIES_FUNCTION,
  placements_tally: PLACEMENTS_TALLY_FUNCTION,
  trainees_tally: TRAINEES_TALLY_FUNCTION,
  placements_derive: PLACEMENTS_DERIVE_FUNCTION,
  certifications_tally: CERTIFICATIONS_TALLY_FUNCTION,
  rebuild_brand_tallies: REBUILD_BRAND_TALLIES_FUNCTION,
  fold_brand_tallies: FOLD_BRAND_TALLIES_FUNCTION,
  brands_tally: BRANDS_TALLY_FUNCTION,
  rebuild_region_tallies: REBUILD_REGION_TALLIES_FUNCTION,
};

/** The triggers on each table, by name: statement triggers run the tally functions, row triggers derive columns. */
function statementTriggers(table: string, fn: string): Record<string, string> {
  const transitions = { INSERT: 'NEW TABLE AS new_rows', UPDATE: 'OLD TABLE AS old_rows NEW TABLE AS new_rows', DELETE: 'OLD TABLE AS old_rows' };
  return Object.fromEntries(
    Object.entries(transitions).map(([op, referencing]) => [
      `${fn}_${op.toLowerCase()}`,
      `CREATE TRIGGER ${fn}_${op.toLowerCase()} AFTER ${op} ON ${table} REFERENCING ${referencing} FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`,
    ]),
  );
}

export const TALLY_TRIGGERS: Record<string, { table: string; sql: string }> = Object.fromEntries(
  Object.entries({
    placements: {
      ...statementTriggers('placements', 'placements_tally'),
      placements_derive_insert: `CREATE TRIGGER placements_derive_insert BEFORE INSERT ON placements FOR EACH ROW
      WHEN (${activePlacementSql('NEW')} OR NEW.confirmed_at IS NOT NULL) EXECUTE FUNCTION placements_derive()`,
      placements_derive_update: `CREATE TRIGGER placements_derive_update BEFORE UPDATE ON placements FOR EACH ROW
      WHEN (OLD.confirmed_at IS DISTINCT FROM NEW.confirmed_at OR OLD.trainee_id <> NEW.trainee_id
            OR (${activePlacementSql('NEW')} AND (OLD.status <> ${ACTIVE} OR OLD.annual_salary_fen <> NEW.annual_salary_fen)))
      EXECUTE FUNCTION placements_derive()`,
    },
    trainees: statementTriggers('trainees', 'trainees_tally'),
    certifications: statementTriggers('certifications', 'certifications_tally'),
    brands: statementTriggers('brands', 'brands_tally'),
  }).flatMap(([table, triggers]) => Object.entries(triggers).map(([name, sql]) => [name, { table, sql }])),
);

/**
 * A digest of everything declared here. The migration that last installed the tallies records it; a test compares
 * the two, so a change to this file without a migration that installs it again cannot go unnoticed (a fresh
 * database would have it, every existing one would not).
 */
export function talliesFingerprint(): string {
  const hash = createHash('sha256');
  const declared = [CREATE_FIGURE_TYPE, orderedIndexSql(ORDERED_FIGURES.uplift), orderedIndexSql(ORDERED_FIGURES.days), ...Object.values(TALLY_FUNCTIONS), ...Object.values(TALLY_TRIGGERS).map((t) => t.sql)];
  for (const sql of declared) hash.update(sql).update('\0');
  return hash.digest('hex');
}

/** The SQL of a partial index over placements an ordered figure is read from. */
function orderedIndexSql(figure: (typeof ORDERED_FIGURES)[keyof typeof ORDERED_FIGURES]): string {
  return `CREATE INDEX "${figure.index}" ON "placements" ("brand_id", "${figure.column}") WHERE ${figure.where}`;
}

async function createTriggers(q: SqlRunner, names: string[]): Promise<void> {
  for (const name of names) await q.query(TALLY_TRIGGERS[name].sql);
}

/** Creates the tallies, their derived columns and triggers, and fills them from the rows already there. */
export async function installTallies(q: SqlRunner): Promise<void> {
  await q.query(`ALTER TABLE "placements" ADD "uplift_pct" numeric`);
  await q.query(`ALTER TABLE "placements" ADD "days_to_placement" numeric`);
  await q.query(`ALTER TABLE "trainees" ADD "certified_until" date`);
  await q.query(orderedIndexSql(ORDERED_FIGURES.uplift));
  await q.query(orderedIndexSql(ORDERED_FIGURES.days));

  await q.query(CREATE_FIGURE_TYPE);
  await q.query(`CREATE TABLE "brand_tallies" (
      "brand_id" uuid NOT NULL, "figure" tally_figure NOT NULL, "bucket" bigint NOT NULL,
      "n" bigint NOT NULL, "total" bigint NOT NULL DEFAULT 0,
      CONSTRAINT "pk_brand_tallies" PRIMARY KEY ("brand_id", "figure", "bucket"))`);
  // One row per writing statement and brand; the arrays are parallel (figure, bucket, n, total) cells.
  await q.query(`CREATE TABLE "brand_tally_deltas" (
      "brand_id" uuid NOT NULL, "figures" tally_figure[] NOT NULL, "buckets" bigint[] NOT NULL,
      "ns" bigint[] NOT NULL, "totals" bigint[] NOT NULL)
      WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000)`);
  await q.query(`CREATE INDEX "ix_brand_tally_deltas_brand" ON "brand_tally_deltas" ("brand_id")`);
  // Employers that have confirmed a placement of the brand. A confirmation is never undone, so rows only appear.
  await q.query(`CREATE TABLE "brand_employers" ("brand_id" uuid NOT NULL, "employer_id" uuid NOT NULL,
      CONSTRAINT "pk_brand_employers" PRIMARY KEY ("brand_id", "employer_id"))`);

  await q.query(PLACEMENT_TALLIES_FUNCTION);
  await q.query(TRAINEE_TALLIES_FUNCTION);
  await q.query(PLACEMENTS_TALLY_FUNCTION);
  await createTriggers(q, ['placements_tally_insert', 'placements_tally_update', 'placements_tally_delete']);
  await q.query(TRAINEES_TALLY_FUNCTION);
  await createTriggers(q, ['trainees_tally_insert', 'trainees_tally_update', 'trainees_tally_delete']);
  await q.query(PLACEMENTS_DERIVE_FUNCTION);
  await createTriggers(q, ['placements_derive_insert', 'placements_derive_update']);
  await q.query(CERTIFICATIONS_TALLY_FUNCTION);
  await createTriggers(q, ['certifications_tally_insert', 'certifications_tally_update', 'certifications_tally_delete']);
  await q.query(REBUILD_BRAND_TALLIES_FUNCTION);
  await q.query(`SELECT rebuild_brand_tallies(id) FROM brands`);
}

/**
 * Installs the functions again (CREATE OR REPLACE) over a database that has the tallies: what a migration that
 * changes this file runs. Triggers and tables are untouched.
 */
export async function reinstallTallyFunctions(q: SqlRunner): Promise<void> {
  for (const sql of Object.values(TALLY_FUNCTIONS)) await q.query(sql.replace(/^CREATE FUNCTION /, 'CREATE OR REPLACE FUNCTION '));
}

/**
 * Fills a placement figure's cells in existing tallies: its contributions from the placements matching `where`
 * (over `p`; every row that contributes must match), less what unfolded deltas already hold of it — tallies plus
 * deltas are the truth. Run with placements locked against writes. Region tallies are sums of the brands' folded
 * cells: a migration that fills cells here on a database that has them runs rebuild_region_tallies() after.
 */
export async function fillPlacementFigure(q: SqlRunner, tally: TallyFigure, where: string): Promise<void> {
  await q.query(`DELETE FROM brand_tallies WHERE figure = ${figure(tally)}`);
  await q.query(`INSERT INTO brand_tallies (brand_id, figure, bucket, n, total)
      SELECT brand_id, figure, bucket, sum(n), sum(total) FROM (
        SELECT p.brand_id, c.figure, c.bucket, c.n, c.total FROM placements p, placement_tallies(p) c
         WHERE ${where} AND c.figure = ${figure(tally)}
        UNION ALL
        SELECT d.brand_id, u.figure, u.bucket, -u.n, -u.total
          FROM brand_tally_deltas d, unnest(d.figures, d.buckets, d.ns, d.totals) AS u(figure, bucket, n, total)
         WHERE u.figure = ${figure(tally)}) x
       GROUP BY brand_id, figure, bucket HAVING sum(n) <> 0 OR sum(total) <> 0`);
}

export async function uninstallTallies(q: SqlRunner): Promise<void> {
  await q.query(`DROP FUNCTION rebuild_brand_tallies(uuid)`);
  for (const op of ['insert', 'update', 'delete']) {
    await q.query(`DROP TRIGGER certifications_tally_${op} ON certifications`);
    await q.query(`DROP TRIGGER trainees_tally_${op} ON trainees`);
    await q.query(`DROP TRIGGER placements_tally_${op} ON placements`);
  }
  await q.query(`DROP TRIGGER placements_derive_insert ON placements`);
  await q.query(`DROP TRIGGER placements_derive_update ON placements`);
  await q.query(`DROP FUNCTION certifications_tally()`);
  await q.query(`DROP FUNCTION placements_derive()`);
  await q.query(`DROP FUNCTION trainees_tally()`);
  await q.query(`DROP FUNCTION placements_tally()`);
  await q.query(`DROP FUNCTION trainee_tallies(trainees)`);
  await q.query(`DROP FUNCTION placement_tallies(placements)`);
  await q.query(`DROP TABLE "brand_employers"`);
  await q.query(`DROP TABLE "brand_tally_deltas"`);
  await q.query(`DROP TABLE "brand_tallies"`);
  await q.query(`DROP TYPE "tally_figure"`);
  await q.query(`DROP INDEX "${ORDERED_FIGURES.days.index}"`);
  await q.query(`DROP INDEX "${ORDERED_FIGURES.uplift.index}"`);
  await q.query(`ALTER TABLE "trainees" DROP COLUMN "certified_until"`);
  await q.query(`ALTER TABLE "placements" DROP COLUMN "days_to_placement"`);
  await q.query(`ALTER TABLE "placements" DROP COLUMN "uplift_pct"`);
}

/**
 * Region tallies (migration RegionTallies): for every region a brand's figures count in, the sum of the folded
 * cells of the public brands it holds, kept by the same fold that moves a brand's deltas into its tallies — a
 * region's cells are read like one brand's, not summed over its brands. `region_tally_brands` says where each
 * brand's folded cells count (null: nowhere) and keeps its folded count of salaries, what a region's disclosure
 * check weighs per brand. Filled from the folded brand tallies; unfolded deltas join them when folded.
 */
export async function installRegionTallies(q: SqlRunner): Promise<void> {
  await q.query(`CREATE TABLE "region_tallies" (
      "region_code" character(6) NOT NULL, "figure" tally_figure NOT NULL, "bucket" bigint NOT NULL,
      "n" bigint NOT NULL, "total" bigint NOT NULL DEFAULT 0,
      CONSTRAINT "pk_region_tallies" PRIMARY KEY ("region_code", "figure", "bucket"))`);
  await q.query(`CREATE TABLE "region_tally_brands" (
      "brand_id" uuid NOT NULL, "region_code" character(6), "salaries" bigint NOT NULL DEFAULT 0,
      CONSTRAINT "pk_region_tally_brands" PRIMARY KEY ("brand_id"))`);
  await q.query(`CREATE INDEX "ix_region_tally_brands_region" ON "region_tally_brands" ("region_code") WHERE region_code IS NOT NULL`);
  await reinstallTallyFunctions(q);
  await createTriggers(q, ['brands_tally_insert', 'brands_tally_update', 'brands_tally_delete']);
  await q.query(`SELECT rebuild_region_tallies()`);
}

export async function uninstallRegionTallies(q: SqlRunner): Promise<void> {
  for (const op of ['insert', 'update', 'delete']) await q.query(`DROP TRIGGER brands_tally_${op} ON brands`);
  await q.query(`DROP FUNCTION brands_tally()`);
  await q.query(`DROP FUNCTION fold_brand_tallies(uuid[])`);
  await q.query(`DROP FUNCTION rebuild_region_tallies()`);
  await q.query(`DROP TABLE "region_tally_brands"`);
  await q.query(`DROP TABLE "region_tallies"`);
}
