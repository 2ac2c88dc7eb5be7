import { Injectable } from '@nestjs/common';
import type { Actor, OrganizationKind } from '../common/auth/actor';
import { prefixRange } from '../common/identifiers/region-code';
import type { NewestFirstKey } from '../common/pagination/pagination';
import { Db, Repository } from '../database/repository';
import { SqlParams } from '../database/sql';
import { ApiKey } from './api-key.entity';
import { Organization } from './organization.entity';

/** The only code that reads and writes `organizations` and `api_keys`. */
@Injectable()
export class OrganizationsRepository extends Repository {
  async insertOrganization(m: Db, organization: { kind: OrganizationKind; name: string; creditCode: string; regionCode: string }): Promise<Organization> {
    return m.save(m.create(Organization, organization));
  }

  findOrganization(id: string, m?: Db): Promise<Organization | null> {
    return this.db(m).findOneBy(Organization, { id });
  }

  listOrganizations(filter: { kind?: OrganizationKind; regionPrefix?: string }, after: NewestFirstKey | null, limit: number): Promise<Organization[]> {
    const qb = this.db().createQueryBuilder(Organization, 'o').orderBy('o.created_at', 'DESC').addOrderBy('o.id', 'DESC').limit(limit);
    if (after) qb.andWhere('(o.created_at, o.id) < (:at, :id)', after);
    if (filter.kind) qb.andWhere('o.kind = :kind', { kind: filter.kind });
    if (filter.regionPrefix) {
      const [low, high] = prefixRange(filter.regionPrefix);
      qb.andWhere('o.region_code BETWEEN :low AND :high', { low, high });
    }
    return qb.getMany();
  }

  async insertApiKey(m: Db, organizationId: string, secretHash: Buffer): Promise<ApiKey> {
    return m.save(m.create(ApiKey, { organizationId, secretHash }));
  }

  listApiKeys(organizationId: string, after: NewestFirstKey | null, limit: number): Promise<ApiKey[]> {
    const qb = this.db()
      .createQueryBuilder(ApiKey, 'k')
      .where('k.organization_id = :organizationId', { organizationId })
      .orderBy('k.created_at', 'DESC')
      .addOrderBy('k.id', 'DESC')
      .limit(limit);
    if (after) qb.andWhere('(k.created_at, k.id) < (:at, :id)', after);
    return qb.getMany();
  }

  findApiKey(organizationId: string, keyId: string): Promise<ApiKey | null> {
    return this.db().findOneBy(ApiKey, { id: keyId, organizationId });
  }

  /** Locks the key for a revocation: a concurrent revoker waits here, then sees it done. */
  async lockApiKey(m: Db, organizationId: string, keyId: string): Promise<{ revokedAt: Date | null } | null> {
    const rows: Array<{ revokedAt: Date | null }> = await m.query(
      `SELECT revoked_at AS "revokedAt" FROM api_keys WHERE id = $1 AND organization_id = $2 FOR UPDATE`,
      [keyId, organizationId],
    );
    return rows[0] ?? null;
  }

  async revokeApiKey(m: Db, keyId: string): Promise<void> {
    await m.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [keyId]);
  }

  /** The actor of an unrevoked key, by the hash of its secret: the authentication read (one index probe). */
  async findActorByKeyHash(hash: Buffer): Promise<Actor | null> {
    const rows: Actor[] = await this.db().query(
      `SELECT k.id AS "apiKeyId", o.id AS "organizationId", o.kind, o.region_code AS "regionCode"
         FROM api_keys k JOIN organizations o ON o.id = k.organization_id
        WHERE k.secret_hash = $1 AND k.revoked_at IS NULL`,
      [hash],
    );
    return rows[0] ?? null;
  }

  /** Records use at minute resolution (a busy key costs no write per request). */
  async touchApiKey(apiKeyId: string): Promise<void> {
    await this.db().query(`UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, [apiKeyId]);
  }

  /** Serialises bootstraps of every instance for the rest of the caller's transaction. */
  async lockBootstrap(m: Db): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtext('labor-brands:bootstrap-admin'))`);
  }

  /** Whether a key with this hash exists, and whether it was revoked. */
  async keyState(m: Db, hash: Buffer): Promise<'active' | 'revoked' | null> {
    const rows: Array<{ revoked: boolean }> = await m.query(`SELECT revoked_at IS NOT NULL AS revoked FROM api_keys WHERE secret_hash = $1`, [hash]);
    if (!rows.length) return null;
    return rows[0].revoked ? 'revoked' : 'active';
  }

  /** The platform organization with this credit code, created if missing; null when the code belongs to another kind. */
  async ensurePlatform(m: Db, name: string, creditCode: string, regionCode: string): Promise<string | null> {
    const p = new SqlParams();
    const rows: Array<{ id: string }> = await m.query(
      `INSERT INTO organizations (kind, name, credit_code, region_code) VALUES ('platform', ${p.add(name)}, ${p.add(creditCode)}, ${p.add(regionCode)})
       ON CONFLICT (credit_code) DO UPDATE SET kind = organizations.kind WHERE organizations.kind = 'platform' RETURNING id`,
      p.values,
    );
    return rows[0]?.id ?? null;
  }
}
