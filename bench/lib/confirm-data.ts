/**
 * Data for the confirmation bench, written with SQL (setting up tens of thousands of proposals through the API
 * would take longer than the measurement): a brand's trainees and one proposed placement for each.
 */
import type { Client } from 'pg';
import { creditCode } from './fixtures';

/** `n` registered trainees of the brand and one proposed placement each (the brand's other trainees are left alone); answers the placement ids. */
export async function insertProposedPlacements(c: Client, brandId: string, employerId: string, hrFirmId: string, n: number): Promise<string[]> {
  await c.query(
    `INSERT INTO trainees (brand_id, full_name, national_id_hash, national_id_masked, birth_date, gender, target_groups,
                           expected_monthly_salary_fen, status, registered_at)
     SELECT $1, '张**', decode(md5('proposed:' || $3 || ':' || i), 'hex'), '310104********0000', date '1990-01-01' + (i % 5000),
            CASE WHEN i % 2 = 0 THEN 'female' ELSE 'male' END, '{graduate}', 600000 + (i % 80) * 10000, 'registered',
            now() - (i % 400) * interval '1 day'
       FROM generate_series(1, $2::int) AS i`,
    [brandId, n, brandId],
  );
  const rows: Array<{ id: string }> = (
    await c.query(
      `INSERT INTO placements (trainee_id, brand_id, employer_id, proposed_by_id, job_title, occupation_code, work_region_code,
                               salary_fen, salary_period, annual_salary_fen, start_date, status)
       SELECT t.id, t.brand_id, $2, $3, '人工智能训练师', '4-04-05-05', '310104', t.monthly, 'monthly', t.monthly * 12, current_date, 'proposed'
         FROM (SELECT id, brand_id, (500000 + floor(random() * 1500000))::bigint AS monthly FROM trainees WHERE brand_id = $1 AND status = 'registered') t
       RETURNING id`,
      [brandId, employerId, hrFirmId],
    )
  ).rows;
  return rows.map((r) => r.id);
}

/** Organizations and a certified brand written directly (for the database that no API process serves). */
export async function insertPartiesAndBrand(c: Client): Promise<{ brandId: string; employerId: string; hrFirmId: string }> {
  const org = async (kind: string): Promise<string> =>
    (await c.query(`INSERT INTO organizations (kind, name, credit_code, region_code) VALUES ($1, $2, $3, '310104') RETURNING id`, [kind, `${kind} bench`, creditCode('310104')])).rows[0].id;
  const hrFirmId = await org('hr_firm');
  const employerId = await org('employer');
  const brandId = (
    await c.query(
      `INSERT INTO brands (name, occupation_code, occupation_name, sector, region_code, operator_id, status, level, certified_at, valid_until)
       VALUES ('徐汇AI训练师', '4-04-05-05', '人工智能训练师', '信息技术', '310104', $1, 'certified', 'district', now(), current_date + 700)
       RETURNING id`,
      [hrFirmId],
    )
  ).rows[0].id;
  return { brandId, employerId, hrFirmId };
}
