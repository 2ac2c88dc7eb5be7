import { AuditEntry } from '../audit/audit-entry.entity';
import { Brand, BrandDecisionRecord } from '../brands/brand.entity';
import { OutboxEvent } from '../events/outbox-event.entity';
import { IdempotencyRecord } from '../common/idempotency/idempotency-record.entity';
import { ApiKey } from '../organizations/api-key.entity';
import { Organization } from '../organizations/organization.entity';

/** Every entity, listed once: the app, the migration CLI and the tests all load exactly this set. */
export const ENTITIES = [Organization, ApiKey, AuditEntry, OutboxEvent, IdempotencyRecord, Brand, BrandDecisionRecord];
