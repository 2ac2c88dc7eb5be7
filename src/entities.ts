import { AuditEntry } from './audit/audit-entry.entity';
import { Brand, BrandDecisionRecord } from './brands/brand.entity';
import { Certification, CertificationStatusList } from './certifications/certification.entity';
import { IdempotencyRecord } from './common/idempotency/idempotency-record.entity';
import type { EntityList } from './database/data-source';
import { OutboxEvent } from './events/outbox-event.entity';
import { ApiKey } from './organizations/api-key.entity';
import { Organization } from './organizations/organization.entity';
import { Placement, PlacementSalaryChange } from './placements/placement.entity';
import { BrandStatisticsRecord, RegionStatisticsRecord } from './statistics/statistics.entity';
import { Trainee } from './trainees/trainee.entity';
import { WebhookDelivery, WebhookFanoutCursor, WebhookSubscription } from './webhooks/webhook.entity';

/** Every entity, each owned by one module's repository: the app, the migration CLI and the tests load this set. */
export const ENTITIES: EntityList = [
  Organization,
  ApiKey,
  AuditEntry,
  OutboxEvent,
  IdempotencyRecord,
  Brand,
  BrandDecisionRecord,
  Trainee,
  Placement,
  PlacementSalaryChange,
  CertificationStatusList,
  Certification,
  BrandStatisticsRecord,
  RegionStatisticsRecord,
  WebhookSubscription,
  WebhookDelivery,
  WebhookFanoutCursor,
];
