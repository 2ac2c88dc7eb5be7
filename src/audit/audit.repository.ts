import { Injectable } from '@nestjs/common';
import { Db, Repository } from '../database/repository';
import { appendAuditEntriesSql } from './audit.fragments';

export interface AuditRow {
  actorOrganizationId: string | null;
  actorApiKeyId: string | null;
  action: string;
  objectType: string;
  objectId: string | null;
  brandId: string | null;
  details: Record<string, unknown>;
}

/** The only code that writes `audit_log` (append-only: a trigger refuses updates and deletes). */
@Injectable()
export class AuditRepository extends Repository {
  async append(m: Db | undefined, row: AuditRow): Promise<void> {
    await this.db(m).query(appendAuditEntriesSql('VALUES ($1, $2, $3, $4, $5, $6, $7)'), [
      row.actorOrganizationId,
      row.actorApiKeyId,
      row.action,
      row.objectType,
      row.objectId,
      row.brandId,
      row.details,
    ]);
  }
}
