import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { chinaToday } from '../brands/brand.rules';
import { coverPrefix, prefixRange, regionCovers } from '../common/identifiers/region-code';
import { interpolateQuantile, quantileRanks, roundFen } from './statistics.math';

const QUARTILES = [0.25, 0.5, 0.75] as const;

export interface SalaryFigures {
  sampleSize: number;
  p25: number | null;
  median: number | null;
  p75: number | null;
  mean: number | null;
}

/** The region codes whose figures a brand's change can move: its district, city, province and the nation. */
export function coveringRegions(regionCode: string): string[] {
  const candidates = [regionCode, `${regionCode.slice(0, 4)}00`, `${regionCode.slice(0, 2)}0000`, '100000'];
  return [...new Set(candidates)].filter((c) => regionCovers(c, regionCode));
}


/**
 * Computes the figures from the source tables in one REPEATABLE READ snapshot, so every figure and the event
 * position they are stamped with describe the same instant. Exact: no sampling, no incremental drift.
 */
@Injectable()
export class StatisticsCalculator {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Quartiles of a brand's active salaries, reading only the ranks that decide them from the partial index
   * (brand_id, annual_salary_fen) WHERE status = 'confirmed': one ordered pass, no sort.
   */
  async brandSalaries(m: EntityManager, brandId: string, sampleSize: number, sumFen: string): Promise<SalaryFigures> {
    if (sampleSize === 0) return { sampleSize, p25: null, median: null, p75: null, mean: null };
    const ranks = [...new Set(QUARTILES.flatMap((p) => quantileRanks(sampleSize, p)))].sort((a, b) => a - b);
    const rows: Array<{ rn: string; v: string }> = await m.query(
      `SELECT rn, v FROM (
         SELECT annual_salary_fen AS v, row_number() OVER (ORDER BY annual_salary_fen) - 1 AS rn
           FROM placements WHERE brand_id = $1 AND status = 'confirmed') ranked
        WHERE rn <= $3 AND rn = ANY($2::bigint[])`,
      [brandId, ranks, ranks[ranks.length - 1]],
    );
    const at = new Map(rows.map((r) => [Number(r.rn), Number(r.v)]));
    const quantile = (p: number): number => {
      const [lo, hi] = quantileRanks(sampleSize, p);
      return roundFen(interpolateQuantile(sampleSize, p, at.get(lo) as number, at.get(hi) as number));
    };
    return { sampleSize, p25: quantile(0.25), median: quantile(0.5), p75: quantile(0.75), mean: divideRound(sumFen, sampleSize) };
  }

  /** Recomputes one brand; answers its region code (null when the brand does not exist). */
  async recomputeBrand(brandId: string, today = chinaToday()): Promise<string | null> {
    let upsert: [string, unknown[]] | undefined;
    const regionCode = await this.dataSource.transaction('REPEATABLE READ', async (m) => {
      const [brand] = await m.query(`SELECT id, region_code, occupation_code, status FROM brands WHERE id = $1`, [brandId]);
      if (!brand) return null;
      const [f] = await m.query(
        `WITH tr AS (
           SELECT count(*)::int AS total,
                  count(*) FILTER (WHERE status = 'registered')::int AS registered,
                  count(*) FILTER (WHERE status = 'training')::int AS training,
                  count(*) FILTER (WHERE status = 'completed')::int AS completed,
                  count(*) FILTER (WHERE status = 'placed')::int AS placed,
                  count(*) FILTER (WHERE status = 'withdrawn')::int AS withdrawn
             FROM trainees WHERE brand_id = $1),
         ce AS (
           SELECT count(DISTINCT trainee_id)::int AS certified FROM certifications
            WHERE brand_id = $1 AND status = 'active' AND (valid_until IS NULL OR valid_until >= $2::date)),
         pl AS (
           SELECT count(DISTINCT trainee_id) FILTER (WHERE confirmed_at IS NOT NULL)::int AS placed_trainees,
                  count(*) FILTER (WHERE status = 'confirmed')::int AS active,
                  count(*) FILTER (WHERE status = 'ended')::int AS ended,
                  count(DISTINCT employer_id) FILTER (WHERE confirmed_at IS NOT NULL)::int AS employers,
                  COALESCE(sum(annual_salary_fen) FILTER (WHERE status = 'confirmed'), 0)::text AS salary_sum,
                  count(*) FILTER (WHERE confirmed_at IS NOT NULL AND confirm_day + interval '6 months' <= $2::date)::int AS r6_base,
                  count(*) FILTER (WHERE confirmed_at IS NOT NULL AND confirm_day + interval '6 months' <= $2::date
                                     AND (end_date IS NULL OR end_date >= confirm_day + interval '6 months'))::int AS r6_kept,
                  count(*) FILTER (WHERE confirmed_at IS NOT NULL AND confirm_day + interval '12 months' <= $2::date)::int AS r12_base,
                  count(*) FILTER (WHERE confirmed_at IS NOT NULL AND confirm_day + interval '12 months' <= $2::date
                                     AND (end_date IS NULL OR end_date >= confirm_day + interval '12 months'))::int AS r12_kept
             FROM (SELECT *, (confirmed_at AT TIME ZONE 'Asia/Shanghai')::date AS confirm_day FROM placements WHERE brand_id = $1) p),
         up AS (
           SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY (p.annual_salary_fen::numeric / 12 / t.expected_monthly_salary_fen - 1) * 100) AS v
             FROM placements p JOIN trainees t ON t.id = p.trainee_id
            WHERE p.brand_id = $1 AND p.status = 'confirmed' AND t.expected_monthly_salary_fen > 0),
         dp AS (
           SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM f.first_confirmed - t.registered_at) / 86400) AS v
             FROM (SELECT trainee_id, min(confirmed_at) AS first_confirmed FROM placements
                    WHERE brand_id = $1 AND confirmed_at IS NOT NULL GROUP BY trainee_id) f
             JOIN trainees t ON t.id = f.trainee_id),
         ev AS (
           SELECT id, seq, occurred_at FROM outbox_events WHERE brand_id = $1 ORDER BY seq DESC LIMIT 1)
         SELECT tr.*, ce.certified, pl.*, up.v::float8 AS uplift, dp.v::float8 AS days,
                ev.id AS last_event_id, COALESCE(ev.seq, 0)::text AS last_event_seq, ev.occurred_at AS as_of
           FROM tr, ce, pl, up, dp LEFT JOIN ev ON true`,
        [brandId, today],
      );
      const salary = await this.brandSalaries(m, brandId, f.active, f.salary_sum);
      const rate = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);
      upsert = [
        `INSERT INTO brand_statistics (brand_id, region_code, occupation_code, is_public, trainee_count, trainees_by_status,
             certified_trainee_count, certification_rate, placed_trainee_count, placement_rate, active_placement_count,
             ended_placement_count, employer_count, salary_sample_size, median_annual_fen, p25_annual_fen, p75_annual_fen,
             mean_annual_fen, median_salary_uplift_pct, median_days_to_placement, retention6m_rate, retention12m_rate,
             as_of, computed_at, last_event_id, last_event_seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, clock_timestamp(), $24, $25)
         ON CONFLICT (brand_id) DO UPDATE SET
           region_code = EXCLUDED.region_code, occupation_code = EXCLUDED.occupation_code, is_public = EXCLUDED.is_public,
           trainee_count = EXCLUDED.trainee_count, trainees_by_status = EXCLUDED.trainees_by_status,
           certified_trainee_count = EXCLUDED.certified_trainee_count, certification_rate = EXCLUDED.certification_rate,
           placed_trainee_count = EXCLUDED.placed_trainee_count, placement_rate = EXCLUDED.placement_rate,
           active_placement_count = EXCLUDED.active_placement_count, ended_placement_count = EXCLUDED.ended_placement_count,
           employer_count = EXCLUDED.employer_count, salary_sample_size = EXCLUDED.salary_sample_size,
           median_annual_fen = EXCLUDED.median_annual_fen, p25_annual_fen = EXCLUDED.p25_annual_fen,
           p75_annual_fen = EXCLUDED.p75_annual_fen, mean_annual_fen = EXCLUDED.mean_annual_fen,
           median_salary_uplift_pct = EXCLUDED.median_salary_uplift_pct, median_days_to_placement = EXCLUDED.median_days_to_placement,
           retention6m_rate = EXCLUDED.retention6m_rate, retention12m_rate = EXCLUDED.retention12m_rate,
           as_of = EXCLUDED.as_of, computed_at = EXCLUDED.computed_at, last_event_id = EXCLUDED.last_event_id,
           last_event_seq = EXCLUDED.last_event_seq
         -- A recomputation from an older snapshot never overwrites a fresher one.
         WHERE brand_statistics.last_event_seq <= EXCLUDED.last_event_seq`,
        [
          brandId,
          brand.region_code,
          brand.occupation_code,
          brand.status !== 'draft' && brand.status !== 'submitted',
          f.total,
          JSON.stringify({ registered: f.registered, training: f.training, completed: f.completed, placed: f.placed, withdrawn: f.withdrawn }),
          f.certified,
          rate(f.certified, f.total),
          f.placed_trainees,
          rate(f.placed_trainees, f.total),
          f.active,
          f.ended,
          f.employers,
          salary.sampleSize,
          salary.median,
          salary.p25,
          salary.p75,
          salary.mean,
          f.uplift,
          f.days,
          rate(f.r6_kept, f.r6_base),
          rate(f.r12_kept, f.r12_base),
          f.as_of,
          f.last_event_id,
          f.last_event_seq,
        ],
      ];
      return brand.region_code as string;
    });
    // Written outside the snapshot: two recomputations of one brand at once must not fail on the row they both
    // write; the last_event_seq guard keeps the fresher figures whichever commits last.
    if (upsert) await this.dataSource.query(...upsert);
    return regionCode;
  }

  /** A region's figures over all placements of the public brands it covers: one percentile_cont, never a median of medians. */
  async recomputeRegion(regionCode: string): Promise<void> {
    const [low, high] = prefixRange(coverPrefix(regionCode));
    let upsert: [string, unknown[]] | undefined;
    await this.dataSource.transaction('REPEATABLE READ', async (m) => {
      const [r] = await m.query(
        `WITH b AS (SELECT id FROM brands WHERE region_code BETWEEN $1 AND $2 AND status NOT IN ('draft', 'submitted')),
         tr AS (SELECT count(*)::int AS trainees FROM trainees WHERE brand_id IN (SELECT id FROM b)),
         pl AS (
           SELECT count(DISTINCT trainee_id) FILTER (WHERE confirmed_at IS NOT NULL)::int AS placed,
                  count(*) FILTER (WHERE status = 'confirmed')::int AS active,
                  percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY annual_salary_fen) FILTER (WHERE status = 'confirmed') AS q,
                  round(avg(annual_salary_fen) FILTER (WHERE status = 'confirmed'))::text AS mean
             FROM placements WHERE brand_id IN (SELECT id FROM b)),
         ev AS (SELECT max(occurred_at) AS as_of FROM outbox_events WHERE brand_id IN (SELECT id FROM b))
         SELECT (SELECT count(*)::int FROM b) AS brands, tr.trainees, pl.placed, pl.active,
                (SELECT array_agg(round(x::numeric)::text) FROM unnest(pl.q) x) AS q, pl.mean, ev.as_of
           FROM tr, pl, ev`,
        [low, high],
      );
      const q: string[] | null = r.q;
      upsert = [
        `INSERT INTO region_statistics (region_code, brand_count, trainee_count, placed_trainee_count, active_placement_count,
             salary_sample_size, p25_annual_fen, median_annual_fen, p75_annual_fen, mean_annual_fen, as_of, computed_at)
         VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, clock_timestamp())
         ON CONFLICT (region_code) DO UPDATE SET brand_count = EXCLUDED.brand_count, trainee_count = EXCLUDED.trainee_count,
           placed_trainee_count = EXCLUDED.placed_trainee_count, active_placement_count = EXCLUDED.active_placement_count,
           salary_sample_size = EXCLUDED.salary_sample_size, p25_annual_fen = EXCLUDED.p25_annual_fen,
           median_annual_fen = EXCLUDED.median_annual_fen, p75_annual_fen = EXCLUDED.p75_annual_fen,
           mean_annual_fen = EXCLUDED.mean_annual_fen, as_of = EXCLUDED.as_of, computed_at = EXCLUDED.computed_at`,
        [regionCode, r.brands, r.trainees, r.placed, r.active, q?.[0] ?? null, q?.[1] ?? null, q?.[2] ?? null, r.mean, r.as_of],
      ];
    });
    if (upsert) await this.dataSource.query(...upsert);
  }

  /** Every brand and every region any brand lies in, from scratch (`npm run stats:rebuild`). */
  async rebuildAll(): Promise<{ brands: number; regions: number }> {
    return this.recomputeBrands(await this.dataSource.query(`SELECT id, region_code FROM brands`));
  }

  /**
   * The daily refresh: only brands whose figures can move with time alone — a placement confirmed within the
   * last 13 months (its 6- or 12-month retention window may close today) or a certification whose validity ends
   * around today. A quiet brand is not recomputed.
   */
  async refreshTimeDependent(today = chinaToday()): Promise<{ brands: number; regions: number }> {
    return this.recomputeBrands(
      await this.dataSource.query(
        `SELECT id, region_code FROM brands WHERE id IN (
           SELECT brand_id FROM placements WHERE confirmed_at > now() - interval '13 months'
           UNION
           SELECT brand_id FROM certifications WHERE status = 'active' AND valid_until BETWEEN $1::date - 2 AND $1::date)`,
        [today],
      ),
    );
  }

  /**
   * Brands with an event newer than their figures that should have been processed by now (older than 10 s).
   * Looks at the newest 100,000 events only: anything older was reconciled by an earlier run.
   */
  async staleBrands(): Promise<string[]> {
    const rows: Array<{ brand_id: string }> = await this.dataSource.query(
      `SELECT DISTINCT o.brand_id FROM outbox_events o LEFT JOIN brand_statistics s ON s.brand_id = o.brand_id
        WHERE o.brand_id IS NOT NULL AND o.seq > (SELECT COALESCE(max(seq), 0) - 100000 FROM outbox_events)
          AND o.seq > COALESCE(s.last_event_seq, 0) AND o.occurred_at < now() - interval '10 seconds'`,
    );
    return rows.map((r) => r.brand_id);
  }

  private async recomputeBrands(brands: Array<{ id: string; region_code: string }>): Promise<{ brands: number; regions: number }> {
    for (const b of brands) await this.recomputeBrand(b.id);
    const regions = [...new Set(brands.flatMap((b) => coveringRegions(b.region_code)))];
    for (const r of regions) await this.recomputeRegion(r);
    return { brands: brands.length, regions: regions.length };
  }
}

/** Exact mean of bigint fen values: integer division with half-away-from-zero rounding, no float on the sum. */
export function divideRound(sumFen: string, n: number): number {
  const sum = BigInt(sumFen);
  const d = BigInt(n);
  const q = sum / d;
  const r = sum % d;
  return Number(2n * (r < 0n ? -r : r) >= d ? q + (sum < 0n ? -1n : 1n) : q);
}
