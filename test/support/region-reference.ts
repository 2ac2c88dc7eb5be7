/**
 * A region's figures the slow, obvious way, as an independent reference for the tests: a full scan of the rows of
 * the public brands whose region code matches. $1: a LIKE pattern over brands.region_code.
 */
export const REGION_REFERENCE_SQL = `
WITH b AS (SELECT id FROM brands WHERE region_code LIKE $1 AND status NOT IN ('draft', 'submitted')),
     p AS (SELECT * FROM placements WHERE brand_id IN (SELECT id FROM b))
SELECT (SELECT count(*)::int FROM b) AS brands,
       (SELECT count(*)::int FROM trainees WHERE brand_id IN (SELECT id FROM b)) AS trainees,
       (SELECT count(DISTINCT trainee_id)::int FROM p WHERE confirmed_at IS NOT NULL) AS placed,
       (SELECT count(*)::int FROM p WHERE status = 'confirmed') AS active,
       (SELECT array_agg(round(x::numeric)::text ORDER BY i)
          FROM unnest((SELECT percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY annual_salary_fen) FROM p WHERE status = 'confirmed'))
               WITH ORDINALITY AS u(x, i)) AS quartiles_fen,
       (SELECT round(avg(annual_salary_fen))::text FROM p WHERE status = 'confirmed') AS mean_fen,
       (SELECT COALESCE(json_agg(json_build_object('regionCode', x.region_code, 'n', (SELECT count(*) FROM placements y WHERE y.brand_id = x.id AND y.status = 'confirmed'))), '[]')
          FROM brands x WHERE x.id IN (SELECT id FROM b)) AS samples`;
