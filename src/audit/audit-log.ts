import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { Actor } from '../common/auth/actor';

export interface AuditRecord {
  action: string;
  objectType: string;
  objectId?: string | null;
  brandId?: string | null;
  details?: Record<string, unknown>;
}

/** Writes audit entries; given the caller's transaction manager, the entry commits or rolls back with the change. */
@Injectable()
export class AuditLog {
  constructor(private readonly dataSource: DataSource) {}

  async record(manager: EntityManager, actor: Actor | null, entry: AuditRecord): Promise<void> {
    await manager.query(
      `INSERT INTO audit_log (actor_organization_id, actor_api_key_id, action, object_type, object_id, brand_id, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [actor?.organizationId ?? null, actor?.apiKeyId ?? null, entry.action, entry.objectType, entry.objectId ?? null, entry.brandId ?? null, entry.details ?? {}],
    );
  }

  /** Outside a transaction: for reads, which change nothing to commit with. */
  async recordNow(actor: Actor | null, entry: AuditRecord): Promise<void> {
    await this.record(this.dataSource.manager, actor, entry);
  }
}
