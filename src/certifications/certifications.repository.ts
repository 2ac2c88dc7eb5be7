import { Injectable } from '@nestjs/common';
import type { BrandStatus } from '../brands/brand.rules';
import { BRANDS_TABLE } from '../brands/brands.fragments';
import type { NewestFirstKey } from '../common/pagination/pagination';
import { Db, Repository } from '../database/repository';
import { sqlLiteral } from '../database/sql';
import { ORGANIZATIONS_TABLE } from '../organizations/organizations.fragments';
import { Certification, CERTIFICATION_STATUS_ENTRY_SEQUENCE } from './certification.entity';
import { REVOKED_CERTIFICATION_STATUS } from './certification.rules';

/** A certificate with what its public verification shows of its brand and issuer. */
export interface VerificationRow {
  id: string;
  serial: string;
  status: Certification['status'];
  level: number;
  occupation_code: string;
  occupation_name: string;
  holder_name_masked: string;
  issued_at: Date;
  valid_until: string | null;
  revoked_at: Date | null;
  credential: string;
  brand_id: string;
  brand_name: string;
  brand_region_code: string;
  brand_status: BrandStatus;
  brand_valid_until: string | null;
  issuer_id: string;
  issuer_name: string;
}

/** The only code that reads and writes `certifications` and `certification_status_lists`. */
@Injectable()
export class CertificationsRepository extends Repository {
  async insert(m: Db, certification: Certification): Promise<void> {
    await m.insert(Certification, certification);
  }

  findById(id: string, m?: Db, lock = false): Promise<Certification | null> {
    return this.db(m).findOne(Certification, { where: { id }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
  }

  listByTrainee(traineeId: string, after: NewestFirstKey | null, fetch: number): Promise<Certification[]> {
    const qb = this.db()
      .createQueryBuilder(Certification, 'c')
      .where('c.trainee_id = :traineeId', { traineeId })
      .orderBy('c.issued_at', 'DESC')
      .addOrderBy('c.id', 'DESC')
      .limit(fetch);
    if (after) qb.andWhere('(c.issued_at, c.id) < (:at, :id)', after);
    return qb.getMany();
  }

  async save(m: Db, id: string, fields: Partial<Certification>): Promise<void> {
    await m.update(Certification, { id }, fields);
  }

  /** The public check by serial: one read of the certificate with its brand and issuer, never the trainee. */
  async findForVerification(serial: string): Promise<VerificationRow | null> {
    const rows: VerificationRow[] = await this.db().query(
      `SELECT c.id, c.serial, c.status, c.level, c.occupation_code, c.occupation_name, c.holder_name_masked, c.issued_at, c.valid_until,
              c.revoked_at, c.credential, b.id AS brand_id, b.name AS brand_name, b.region_code AS brand_region_code,
              b.status AS brand_status, b.valid_until AS brand_valid_until, o.id AS issuer_id, o.name AS issuer_name
         FROM certifications c
         JOIN ${BRANDS_TABLE} b ON b.id = c.brand_id
         JOIN ${ORGANIZATIONS_TABLE} o ON o.id = c.issuer_id
        WHERE c.serial = $1`,
      [serial],
    );
    return rows[0] ?? null;
  }

  /** The next status list position (0, 1, 2, …): a sequence, so concurrent issues never get the same one. */
  async nextStatusEntry(m: Db): Promise<number> {
    const [row]: Array<{ n: string }> = await m.query(`SELECT nextval('${CERTIFICATION_STATUS_ENTRY_SEQUENCE}')::text AS n`);
    return Number(row.n);
  }

  /**
   * The permutation key of status list `list`, the list created with `newKey` if this is its first position. A
   * concurrent first issue in the same list waits on the primary key and then reads the key the other one wrote.
   */
  async statusListKey(m: Db, list: number, newKey: Buffer): Promise<Buffer> {
    await m.query(`INSERT INTO certification_status_lists (list, permutation_key) VALUES ($1, $2) ON CONFLICT (list) DO NOTHING`, [list, newKey]);
    const [row]: Array<{ permutation_key: Buffer }> = await m.query(`SELECT permutation_key FROM certification_status_lists WHERE list = $1`, [list]);
    return row.permutation_key;
  }

  /** Whether status list `list` exists (has handed out at least one position). */
  async statusListExists(list: number): Promise<boolean> {
    const rows: unknown[] = await this.db().query(`SELECT 1 FROM certification_status_lists WHERE list = $1`, [list]);
    return rows.length > 0;
  }

  /** The indexes of the revoked certificates in status list `list` (ix_certifications_revoked_entries). */
  async revokedStatusIndexes(list: number): Promise<number[]> {
    const rows: Array<{ status_list_index: number }> = await this.db().query(
      `SELECT status_list_index FROM certifications WHERE status_list = $1 AND status = ${sqlLiteral(REVOKED_CERTIFICATION_STATUS)}`,
      [list],
    );
    return rows.map((r) => r.status_list_index);
  }
}
