import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditLog } from '../audit/audit-log';
import type { Actor } from '../common/auth/actor';
import { ApiKeyResolver } from '../common/auth/api-key-cache';
import { Policy } from '../common/auth/policy';
import { cursorTimestamp, cursorUuid, decodeCursor, Page, pageLimit, toPage } from '../common/pagination/pagination';
import { notFound, ProblemError } from '../common/problems/problem';
import { inTransaction, pgConstraint, pgErrorCode } from '../database/transactions';
import { Outbox } from '../events/outbox';
import { ApiKey } from './api-key.entity';
import { insertApiKey } from './api-key-secret';
import type { ApiKeyView, CreatedApiKeyView, CreatedOrganizationView, CreateOrganizationDto, ListOrganizationsQuery, OrganizationView } from './dto/organization.dto';
import { Organization } from './organization.entity';

export function presentOrganization(o: Organization): OrganizationView {
  return { id: o.id, kind: o.kind, name: o.name, creditCode: o.creditCode, regionCode: o.regionCode, createdAt: o.createdAt.toISOString() };
}

function presentApiKey(k: ApiKey): ApiKeyView {
  return {
    id: k.id,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: k.lastUsedAt ? k.lastUsedAt.toISOString() : null,
    revokedAt: k.revokedAt ? k.revokedAt.toISOString() : null,
  };
}

@Injectable()
export class OrganizationsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditLog,
    private readonly outbox: Outbox,
    private readonly keys: ApiKeyResolver,
  ) {}

  async createOrganization(actor: Actor | null, dto: CreateOrganizationDto): Promise<CreatedOrganizationView> {
    try {
      return await inTransaction(this.dataSource, async (manager) => {
        const organization = await manager.save(manager.create(Organization, dto));
        const apiKey = await insertApiKey(manager, organization.id);
        await this.audit.record(manager, actor, {
          action: 'organization.create',
          objectType: 'organization',
          objectId: organization.id,
          details: { kind: organization.kind, regionCode: organization.regionCode, apiKeyId: apiKey.id },
        });
        await this.outbox.append(manager, actor, [
          {
            type: 'organization.created',
            aggregateType: 'organization',
            aggregateId: organization.id,
            brandId: null,
            data: { organizationId: organization.id, kind: organization.kind, regionCode: organization.regionCode },
          },
        ]);
        return { organization: presentOrganization(organization), apiKey: { id: apiKey.id, secret: apiKey.secret } };
      });
    } catch (err) {
      if (pgErrorCode(err) === '23505' && pgConstraint(err) === 'ux_organizations_credit_code') {
        throw new ProblemError('DUPLICATE_CREDIT_CODE', `An organization with credit code ${dto.creditCode} already exists`);
      }
      throw err;
    }
  }

  async listOrganizations(query: ListOrganizationsQuery): Promise<Page<OrganizationView>> {
    const limit = pageLimit(query);
    const after = decodeCursor(query.cursor, 2);
    const qb = this.dataSource.getRepository(Organization).createQueryBuilder('o').orderBy('o.created_at', 'DESC').addOrderBy('o.id', 'DESC').limit(limit + 1);
    if (after) qb.andWhere('(o.created_at, o.id) < (:at, :id)', { at: cursorTimestamp(after[0]), id: cursorUuid(after[1]) });
    if (query.kind) qb.andWhere('o.kind = :kind', { kind: query.kind });
    if (query.regionCode) qb.andWhere('o.region_code LIKE :prefix', { prefix: `${query.regionCode}%` });
    const rows = await qb.getMany();
    return toPage(rows, limit, (o) => [o.createdAt.toISOString(), o.id], presentOrganization);
  }

  async getOrganization(id: string): Promise<Organization> {
    const organization = await this.dataSource.getRepository(Organization).findOneBy({ id });
    if (!organization) throw notFound('Organization');
    return organization;
  }

  async createApiKey(actor: Actor, organizationId: string): Promise<CreatedApiKeyView> {
    await this.getOrganization(organizationId);
    Policy.requireActsFor(actor, organizationId);
    return inTransaction(this.dataSource, async (manager) => {
      const key = await insertApiKey(manager, organizationId);
      await this.audit.record(manager, actor, { action: 'api_key.create', objectType: 'api_key', objectId: key.id, details: { organizationId } });
      return { id: key.id, secret: key.secret, createdAt: key.createdAt.toISOString() };
    });
  }

  async listApiKeys(actor: Actor, organizationId: string, query: { limit?: number; cursor?: string }): Promise<Page<ApiKeyView>> {
    await this.getOrganization(organizationId);
    Policy.requireActsFor(actor, organizationId);
    const limit = pageLimit(query);
    const after = decodeCursor(query.cursor, 2);
    const qb = this.dataSource
      .getRepository(ApiKey)
      .createQueryBuilder('k')
      .where('k.organization_id = :organizationId', { organizationId })
      .orderBy('k.created_at', 'DESC')
      .addOrderBy('k.id', 'DESC')
      .limit(limit + 1);
    if (after) qb.andWhere('(k.created_at, k.id) < (:at, :id)', { at: cursorTimestamp(after[0]), id: cursorUuid(after[1]) });
    const rows = await qb.getMany();
    return toPage(rows, limit, (k) => [k.createdAt.toISOString(), k.id], presentApiKey);
  }

  async getApiKey(actor: Actor, organizationId: string, keyId: string): Promise<ApiKeyView> {
    await this.getOrganization(organizationId);
    Policy.requireActsFor(actor, organizationId);
    const key = await this.dataSource.getRepository(ApiKey).findOneBy({ id: keyId, organizationId });
    if (!key) throw notFound('API key');
    return presentApiKey(key);
  }

  /** Revoking twice is harmless (204 both times); the first revocation time is kept. */
  async revokeApiKey(actor: Actor, organizationId: string, keyId: string): Promise<void> {
    await this.getOrganization(organizationId);
    Policy.requireActsFor(actor, organizationId);
    await inTransaction(this.dataSource, async (manager) => {
      // Lock, then decide. (Comparing the stored time with now() after the update cannot tell a first revocation:
      // revoked_at keeps milliseconds, now() has microseconds.) A concurrent revoker waits here, then sees it done.
      const rows: Array<{ revoked_at: Date | null }> = await manager.query(
        `SELECT revoked_at FROM api_keys WHERE id = $1 AND organization_id = $2 FOR UPDATE`,
        [keyId, organizationId],
      );
      if (!rows.length) throw notFound('API key');
      if (rows[0].revoked_at === null) {
        await manager.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [keyId]);
        await this.audit.record(manager, actor, { action: 'api_key.revoke', objectType: 'api_key', objectId: keyId, details: { organizationId } });
      }
    });
    this.keys.forgetAll();
  }
}
