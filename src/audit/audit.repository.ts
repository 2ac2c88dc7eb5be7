import { Injectable } from '@nestjs/common';
import { monthPartitions, prepareMonthPartitions } from '../database/month-partitions';
import { Db, Repository } from '../database/repository';
import { appendAuditEntriesSql, AUDIT_ARCHIVE } from './audit.fragments';

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

  /** Makes the month partitions among `months` that are missing (rows the default partition caught move in); answers those made. */
  prepareMonths(months: string[]): Promise<string[]> {
    return prepareMonthPartitions(this.dataSource, AUDIT_ARCHIVE.table, months);
  }

  /** The months the audit log holds a partition for, oldest first. */
  async months(): Promise<string[]> {
    return (await monthPartitions(this.db(), AUDIT_ARCHIVE.table)).map((p) => p.month);
  }
}
