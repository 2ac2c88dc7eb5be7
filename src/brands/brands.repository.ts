import { Injectable } from '@nestjs/common';
import { prefixRange } from '../common/identifiers/region-code';
import type { NewestFirstKey } from '../common/pagination/pagination';
import { Db, Repository } from '../database/repository';
import { SqlCondition, sqlIn, sqlLiteral, sqlNotIn, SqlParams } from '../database/sql';
import { returnedRows } from '../database/transactions';
import type { BrandColumns } from '../policy/policy';
import { Brand, BrandDecisionRecord } from './brand.entity';
import { BRAND_TRANSITIONS, EXPIRING_STATUSES, NON_PUBLIC_STATUSES, type BrandStatus } from './brand.rules';
import { brandColumns, nameMatchesSql } from './brands.fragments';

export interface BrandListFilter {
  /** As readers see it: `expired` includes certified brands past validUntil, and `certified` excludes them. */
  status?: BrandStatus;
  regionPrefix?: string;
  occupationCode?: string;
  operatorId?: string;
  /** Words that must each occur in the name. */
  words?: string[];
}

/** The row of a brand the expiry job moved to `expired`, with the status it had. */
export interface ExpiredBrandRow {
  brand: Brand;
  fromStatus: BrandStatus;
}

const EXPIRED = BRAND_TRANSITIONS.expire.to;


/** The only code that reads and writes `brands` and `brand_decisions` (besides the fragments it exports). */
@Injectable()
export class BrandsRepository extends Repository {
  insert(m: Db, brand: Partial<Brand>): Promise<Brand> {
    return m.save(m.create(Brand, brand));
  }

  /** `lock`: `update` for a change of the brand, `share` for a change that needs the brand to stay as it is. */
  findById(id: string, m?: Db, lock?: 'update' | 'share'): Promise<Brand | null> {
    const mode = lock === 'update' ? 'pessimistic_write' : lock === 'share' ? 'pessimistic_read' : undefined;
    return this.db(m).findOne(Brand, { where: { id }, ...(mode ? { lock: { mode } } : {}) });
  }

  /** The operator and region of several brands at once (the access rules' facts), by id. */
  partiesOf(ids: string[]): Promise<Array<{ id: string; operatorId: string; regionCode: string }>> {
    return this.db().query(`SELECT id, operator_id AS "operatorId", region_code AS "regionCode" FROM brands WHERE id = ANY($1::uuid[])`, [ids]);
  }

  async list(visible: SqlCondition<BrandColumns>, filter: BrandListFilter, today: string, after: NewestFirstKey | null, fetch: number): Promise<Brand[]> {
    const p = new SqlParams();
    const where = [visible(brandColumns('b'), p)];
    // The status as readers see it (effectiveBrandStatus): past its validity, a certified or suspended brand is expired.
    if (filter.status === EXPIRED) {
      where.push(`(b.status = ${sqlLiteral(EXPIRED)} OR (${sqlIn('b.status', EXPIRING_STATUSES)} AND b.valid_until < ${p.add(today)}))`);
    } else if (filter.status && EXPIRING_STATUSES.includes(filter.status)) {
      where.push(`b.status = ${p.add(filter.status)} AND (b.valid_until IS NULL OR b.valid_until >= ${p.add(today)})`);
    } else if (filter.status) {
      where.push(`b.status = ${p.add(filter.status)}`);
    }
    if (filter.regionPrefix) {
      const [low, high] = prefixRange(filter.regionPrefix);
      where.push(`b.region_code BETWEEN ${p.add(low)} AND ${p.add(high)}`);
    }
    if (filter.occupationCode) where.push(`b.occupation_code = ${p.add(filter.occupationCode)}`);
    if (filter.operatorId) where.push(`b.operator_id = ${p.add(filter.operatorId)}`);
    where.push(...nameMatchesSql('b.name', filter.words ?? [], p));
    if (after) where.push(`(b.created_at, b.id) < (${p.add(after.at)}, ${p.add(after.id)})`);
    const rows: Array<Record<string, unknown>> = await this.db().query(
      `SELECT b.* FROM brands b WHERE ${where.join(' AND ')} ORDER BY b.created_at DESC, b.id DESC LIMIT ${p.add(fetch)}`,
      p.values,
    );
    return rows.map((row) => this.db().create(Brand, brandFromRow(row)));
  }

  /** Writes the changed fields of a brand (and its version and update time) as the caller's object holds them. */
  async save(m: Db, id: string, fields: Partial<Brand>): Promise<void> {
    await m.update(Brand, { id }, fields);
  }

  async insertDecision(m: Db, decision: Omit<BrandDecisionRecord, 'seq' | 'id' | 'at' | 'brand'>): Promise<void> {
    await m.insert(BrandDecisionRecord, decision);
  }

  history(brandId: string, afterSeq: string, fetch: number): Promise<BrandDecisionRecord[]> {
    return this.db()
      .createQueryBuilder(BrandDecisionRecord, 'd')
      .where('d.brand_id = :brandId AND d.seq > :afterSeq', { brandId, afterSeq })
      .orderBy('d.seq', 'ASC')
      .limit(fetch)
      .getMany();
  }

  /**
   * Moves up to `batch` brands whose validity ended before `today` to `expired`, in the caller's transaction.
   * SKIP LOCKED lets two workers share the work and never waits on a bureau's decision in progress.
   */
  async expireDue(m: Db, today: string, batch: number): Promise<ExpiredBrandRow[]> {
    const rows = returnedRows<Record<string, unknown>>(
      await m.query(
        `WITH due AS (
           SELECT id, status FROM brands
            WHERE ${sqlIn('status', EXPIRING_STATUSES)} AND valid_until < $1
            ORDER BY valid_until LIMIT $2 FOR UPDATE SKIP LOCKED)
         UPDATE brands b SET status = ${sqlLiteral(EXPIRED)}, version = b.version + 1, updated_at = now()
           FROM due WHERE b.id = due.id
         RETURNING b.*, due.status AS from_status`,
        [today, batch],
      ),
    );
    return rows.map((row) => ({ brand: m.create(Brand, brandFromRow(row)), fromStatus: row.from_status as BrandStatus }));
  }

  /** Every brand's id and region (the statistics rebuild). */
  regionsOf(ids?: string[]): Promise<Array<{ id: string; regionCode: string }>> {
    return ids
      ? this.db().query(`SELECT id, region_code AS "regionCode" FROM brands WHERE id = ANY($1::uuid[])`, [ids])
      : this.db().query(`SELECT id, region_code AS "regionCode" FROM brands`);
  }

  /** The occupations of the public brands, with how many brands each, the commonest first. */
  publicOccupations(): Promise<Array<{ occupationCode: string; occupationName: string; brandCount: number }>> {
    return this.db().query(
      `SELECT occupation_code AS "occupationCode", mode() WITHIN GROUP (ORDER BY occupation_name) AS "occupationName", count(*)::int AS "brandCount"
         FROM brands WHERE ${sqlNotIn('status', NON_PUBLIC_STATUSES)}
        GROUP BY occupation_code ORDER BY count(*) DESC, occupation_code`,
    );
  }

  /** The public brands whose region lies in the range (a region's figures). */
  async publicIdsInRegion(low: string, high: string): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.db().query(
      `SELECT id FROM brands WHERE region_code BETWEEN $1 AND $2 AND ${sqlNotIn('status', NON_PUBLIC_STATUSES)}`,
      [low, high],
    );
    return rows.map((r) => r.id);
  }
}

/** A brands row as SQL returns it (snake_case) in entity form. */
function brandFromRow(r: Record<string, unknown>): Partial<Brand> {
  return {
    id: r.id as string,
    name: r.name as string,
    occupationCode: r.occupation_code as string,
    occupationName: r.occupation_name as string,
    sector: r.sector as string,
    regionCode: r.region_code as string,
    operatorId: r.operator_id as string,
    description: r.description as string | null,
    status: r.status as BrandStatus,
    statusReason: r.status_reason as string | null,
    level: r.level as Brand['level'],
    certifiedById: r.certified_by_id as string | null,
    certifiedAt: r.certified_at as Date | null,
    validUntil: r.valid_until as string | null,
    version: r.version as number,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  };
}
