import { AuditEntry } from '../audit/audit-entry.entity';
import { Brand, BrandDecisionRecord } from '../brands/brand.entity';
import { Certification } from '../certifications/certification.entity';
import { OutboxEvent } from '../events/outbox-event.entity';
import { IdempotencyRecord } from '../common/idempotency/idempotency-record.entity';
import { ApiKey } from '../organizations/api-key.entity';
import { Organization } from '../organizations/organization.entity';
import { Placement, PlacementSalaryChange } from '../placements/placement.entity';
import { BrandStatisticsRecord, RegionStatisticsRecord } from '../statistics/statistics.entity';
import { Trainee } from '../trainees/trainee.entity';

/** Every entity, listed once: the app, the migration CLI and the tests all load exactly this set. */
export const ENTITIES = [Organization, ApiKey, AuditEntry, OutboxEvent, IdempotencyRecord, Brand, BrandDecisionRecord, Trainee, Placement, PlacementSalaryChange, Certification, BrandStatisticsRecord, RegionStatisticsRecord];
