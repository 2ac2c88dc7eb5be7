import { Injectable } from '@nestjs/common';
import { AuditLog } from '../audit/audit.service';
import type { Actor, OrganizationKind } from '../common/auth/actor';
import { hashApiKeySecret, newApiKeySecret } from '../common/auth/api-key-secret';
import { newestFirst, newestFirstPageOf, Page, PageQuery } from '../common/pagination/pagination';
import { msg } from '../common/i18n/message';
import { notFound, ProblemError } from '../common/problems/problem';
import type { Db } from '../database/repository';
import { isUniqueViolation, Transactions } from '../database/transactions';
import { Outbox } from '../events/outbox.service';
import { Policy } from '../policy/policy';
import type { ApiKey } from './api-key.entity';
import { ApiKeyResolver } from './api-key-resolver';
import type { ApiKeyView, CreatedApiKeyView, CreatedOrganizationView, CreateOrganizationDto, ListOrganizationsQuery, OrganizationView } from './dto/organization.dto';
import type { Organization } from './organization.entity';
import { OrganizationsRepository } from './organizations.repository';

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
    private readonly transactions: Transactions,
    private readonly organizations: OrganizationsRepository,
    private readonly audit: AuditLog,
    private readonly outbox: Outbox,
    private readonly keys: ApiKeyResolver,
  ) {}

  async createOrganization(actor: Actor | null, dto: CreateOrganizationDto): Promise<CreatedOrganizationView> {
    try {
      return await this.transactions.run(async (m) => {
        const organization = await this.organizations.insertOrganization(m, dto);
        const secret = newApiKeySecret();
        const apiKey = await this.organizations.insertApiKey(m, organization.id, hashApiKeySecret(secret));
        await this.audit.record(m, actor, {
          action: 'organization.create',
          objectType: 'organization',
          objectId: organization.id,
          details: { kind: organization.kind, regionCode: organization.regionCode, apiKeyId: apiKey.id },
        });
        await this.outbox.append(m, actor, [
          {
            type: 'organization.created',
            aggregateType: 'organization',
            aggregateId: organization.id,
            brandId: null,
            data: { organizationId: organization.id, kind: organization.kind, regionCode: organization.regionCode },
          },
        ]);
        return { organization: presentOrganization(organization), apiKey: { id: apiKey.id, secret } };
      });
    } catch (err) {
      if (isUniqueViolation(err, 'ux_organizations_credit_code')) {
        throw new ProblemError('DUPLICATE_CREDIT_CODE', msg('organization.duplicateCreditCode', { creditCode: dto.creditCode }));
      }
      throw err;
    }
  }

  async listOrganizations(query: ListOrganizationsQuery): Promise<Page<OrganizationView>> {
    const page = newestFirst(query);
    const rows = await this.organizations.listOrganizations({ kind: query.kind, regionPrefix: query.regionCode }, page.after, page.fetch);
    return newestFirstPageOf(rows, page, (o) => o.createdAt, presentOrganization);
  }

  /** With `m`, read in that transaction (a use case that holds one must not wait for a second connection). */
  async getOrganization(id: string, m?: Db): Promise<Organization> {
    const organization = await this.organizations.findOrganization(id, m);
    if (!organization) throw notFound(msg('object.organization'));
    return organization;
  }

  /** The kind of an organization, or null when there is none. */
  async kindOf(id: string, m?: Db): Promise<OrganizationKind | null> {
    return (await this.organizations.findOrganization(id, m))?.kind ?? null;
  }

  async createApiKey(actor: Actor, organizationId: string): Promise<CreatedApiKeyView> {
    await this.getOrganization(organizationId);
    Policy.requireActsFor(actor, organizationId);
    return this.transactions.run(async (m) => {
      const secret = newApiKeySecret();
      const key = await this.organizations.insertApiKey(m, organizationId, hashApiKeySecret(secret));
      await this.audit.record(m, actor, { action: 'api_key.create', objectType: 'api_key', objectId: key.id, details: { organizationId } });
      return { id: key.id, secret, createdAt: key.createdAt.toISOString() };
    });
  }

  async listApiKeys(actor: Actor, organizationId: string, query: PageQuery): Promise<Page<ApiKeyView>> {
    await this.getOrganization(organizationId);
    Policy.requireActsFor(actor, organizationId);
    const page = newestFirst(query);
    const rows = await this.organizations.listApiKeys(organizationId, page.after, page.fetch);
    return newestFirstPageOf(rows, page, (k) => k.createdAt, presentApiKey);
  }

  async getApiKey(actor: Actor, organizationId: string, keyId: string): Promise<ApiKeyView> {
    await this.getOrganization(organizationId);
    Policy.requireActsFor(actor, organizationId);
    const key = await this.organizations.findApiKey(organizationId, keyId);
    if (!key) throw notFound(msg('object.apiKey'));
    return presentApiKey(key);
  }

  /** Revoking twice is harmless (204 both times); the first revocation time is kept. */
  async revokeApiKey(actor: Actor, organizationId: string, keyId: string): Promise<void> {
    await this.getOrganization(organizationId);
    Policy.requireActsFor(actor, organizationId);
    await this.transactions.run(async (m) => {
      // Lock, then decide. (Comparing the stored time with now() after the update cannot tell a first revocation:
      // revoked_at keeps milliseconds, now() has microseconds.)
      const key = await this.organizations.lockApiKey(m, organizationId, keyId);
      if (!key) throw notFound(msg('object.apiKey'));
      if (key.revokedAt === null) {
        await this.organizations.revokeApiKey(m, keyId);
        await this.audit.record(m, actor, { action: 'api_key.revoke', objectType: 'api_key', objectId: keyId, details: { organizationId } });
      }
    });
    this.keys.forgetAll();
  }
}
