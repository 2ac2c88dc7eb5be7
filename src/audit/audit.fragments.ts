import type { ArchivedTable } from '../database/month-archive';

/**
 * How rows are appended to the audit log, for statements that must write their audit entry themselves (a fast
 * path doing a whole change in one statement): `INSERT INTO audit_log (…columns) <select>`, where the select
 * yields AUDIT_ENTRY_COLUMNS in order. AuditRepository appends through the same shape.
 */
export const AUDIT_ENTRY_COLUMNS = ['actor_organization_id', 'actor_api_key_id', 'action', 'object_type', 'object_id', 'brand_id', 'details'] as const;

export function appendAuditEntriesSql(select: string): string {
  return `INSERT INTO audit_log (${AUDIT_ENTRY_COLUMNS.join(', ')}) ${select}`;
}

/** The audit log as `npm run archive` sees it: month partitions written out in `id` order. */
export const AUDIT_ARCHIVE: ArchivedTable = { table: 'audit_log', order: 'id' };
