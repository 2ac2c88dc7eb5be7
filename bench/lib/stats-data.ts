/**
 * A large brand for the statistics bench, written with INSERT … SELECT generate_series: trainees, one confirmed
 * placement each (log-normal salaries around CNY 8,000 a month, confirmations spread over three years, 200
 * employers), certificates for a share of the trainees, a few outbox events; plus smaller brands around it so the
 * tables and indexes are not one brand's alone.
 */
import type { Client } from 'pg';

export interface StatsFixture {
  brandId: string;
  hrFirmId: string;
}

export async function insertOrganizations(c: Client, employers: number): Promise<{ hrFirmId: string }> {
  const hrFirmId = (await c.query(`INSERT INTO organizations (kind, name, credit_code, region_code) VALUES ('hr_firm', '徐汇人力资源有限公司', '91310104HR0000001X', '310104') RETURNING id`)).rows[0].id;
  await c.query(
    `INSERT INTO organizations (kind, name, credit_code, region_code)
     SELECT 'employer', '上海用人单位' || i, '91310104' || lpad(i::text, 9, '0') || 'E', '310104' FROM generate_series(1, $1::int) AS i`,
    [employers],
  );
  return { hrFirmId };
}

export async function insertBrand(c: Client, hrFirmId: string, name: string): Promise<string> {
  return (
    await c.query(
      `INSERT INTO brands (name, occupation_code, occupation_name, sector, region_code, operator_id, status, level, certified_at, valid_until)
       VALUES ($1, '4-04-05-05', '人工智能训练师', '信息技术', '310104', $2, 'certified', 'district', now() - interval '3 years', current_date + 700)
       RETURNING id`,
      [name, hrFirmId],
    )
  ).rows[0].id;
}

/** `n` trainees of the brand, each with one confirmed placement; `certified` of them with an active certificate. */
export async function insertBrandPopulation(c: Client, brandId: string, hrFirmId: string, n: number, certified: number): Promise<void> {
  await c.query(
    `INSERT INTO trainees (brand_id, full_name, national_id_hash, national_id_masked, birth_date, gender, target_groups,
                           expected_monthly_salary_fen, status, registered_at)
     SELECT $1, '张**', decode(md5($3 || ':' || i), 'hex'), '310104********0000', date '1975-01-01' + (i % 10000),
            CASE WHEN i % 2 = 0 THEN 'female' ELSE 'male' END, CASE WHEN i % 3 = 0 THEN '{graduate}'::text[] ELSE '{}'::text[] END,
            (400000 + floor(random() * 1200000))::bigint, 'placed', now() - interval '30 days' - random() * interval '3 years'
       FROM generate_series(1, $2::int) AS i`,
    [brandId, n, brandId],
  );
  // Fresh statistics before each bulk statement: the tally triggers' plans depend on them.
  await c.query('ANALYZE trainees');
  await c.query(
    `INSERT INTO placements (trainee_id, brand_id, employer_id, proposed_by_id, job_title, occupation_code, work_region_code,
                            salary_fen, salary_period, annual_salary_fen, start_date, status, confirmed_at, created_at, updated_at)
     SELECT x.id, x.brand_id, e.id, $2, '人工智能训练师', '4-04-05-05', '310104', x.monthly, 'monthly', x.monthly * 12,
            (x.confirmed_at AT TIME ZONE 'Asia/Shanghai')::date, 'confirmed', x.confirmed_at, x.confirmed_at - interval '3 days', x.confirmed_at
       FROM (SELECT t.id, t.brand_id, row_number() OVER () AS rn,
                    -- log-normal: median CNY 8,000 a month, sigma 0.4, floor CNY 2,500
                    greatest(250000, round(exp(ln(800000) + 0.4 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))))::bigint AS monthly,
                    t.registered_at + interval '7 days' + random() * (now() - t.registered_at - interval '7 days') AS confirmed_at
               FROM trainees t WHERE t.brand_id = $1) x
       JOIN (SELECT id, row_number() OVER (ORDER BY id) AS rn, count(*) OVER () AS total FROM organizations WHERE kind = 'employer') e
         ON e.rn = 1 + x.rn % e.total`,
    [brandId, hrFirmId],
  );
  await c.query('ANALYZE placements');
  if (certified > 0) {
    await c.query(
      `INSERT INTO certifications (serial, trainee_id, brand_id, occupation_code, occupation_name, level, issuer_id, issued_at,
                                   valid_until, status, credential, credential_key_id, holder_name_masked)
       SELECT 'LB' || replace($4, '-', '') || '-' || t.rn, t.id, $1, '4-04-05-05', '人工智能训练师', 3, $2,
              t.registered_at + interval '3 days', current_date + 1000, 'active', 'eyJhbGciOiJFZERTQSJ9.bench.signature', 'k1', '张**'
         FROM (SELECT id, registered_at, row_number() OVER () AS rn FROM trainees WHERE brand_id = $1 LIMIT $3) t`,
      [brandId, hrFirmId, certified, brandId],
    );
  }
  await c.query(
    `INSERT INTO outbox_events (brand_id, aggregate_type, aggregate_id, type, data, delivered_at)
     SELECT $1, 'brand', $1, 'placement.confirmed', '{}'::jsonb, now() FROM generate_series(1, 200)`,
    [brandId],
  );
}
