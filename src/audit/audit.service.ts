import { Injectable } from '@nestjs/common';
import type { Actor } from '../common/auth/actor';
import type { Db } from '../database/repository';
import { AuditRepository, type AuditRow } from './audit.repository';

export interface AuditRecord {
  action: string;
  objectType: string;
  objectId?: string | null;
  brandId?: string | null;
  /** Facts about the change; never personal data (names, identity numbers, phones). */
  details?: Record<string, unknown>;
}

/** Writes audit entries; given the caller's transaction, the entry commits or rolls back with the change. */
@Injectable()
export class AuditLog {
  constructor(private readonly entries: AuditRepository) {}

  async record(m: Db, actor: Actor | null, entry: AuditRecord): Promise<void> {
    await this.entries.append(m, entryRow(actor, entry));
  }

  /** Outside a transaction: for reads, which change nothing to commit with. */
  async recordNow(actor: Actor | null, entry: AuditRecord): Promise<void> {
    await this.entries.append(undefined, entryRow(actor, entry));
  }
}

function entryRow(actor: Actor | null, entry: AuditRecord): AuditRow {
  return {
    actorOrganizationId: actor?.organizationId ?? null,
    actorApiKeyId: actor?.apiKeyId ?? null,
    action: entry.action,
    objectType: entry.objectType,
    objectId: entry.objectId ?? null,
    brandId: entry.brandId ?? null,
    details: entry.details ?? {},
  };
}
