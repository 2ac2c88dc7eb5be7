import type { Type } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { BRAND_LEVELS, BRAND_STATUSES } from '../../brands/brand.rules';
import { CERTIFICATION_STATUSES, MAX_CERTIFICATION_LEVEL, MIN_CERTIFICATION_LEVEL } from '../../certifications/certification.rules';
import { ORGANIZATION_KINDS } from '../../common/auth/actor';
import { PLACEMENT_STATUSES, SALARY_PERIODS } from '../../placements/placement.rules';
import { TRAINEE_STATUSES } from '../../trainees/trainee.rules';
import { DOMAIN_EVENT_TYPES, TEST_EVENT_TYPE } from '../webhook.rules';

/**
 * The `data` of every event type, as the event feed and webhook deliveries carry it: the event's own facts (ids,
 * statuses, money; never a name, identity number or phone) and the four fields every event's data is given.
 */
export class EventDataBase {
  @ApiProperty({ format: 'uuid', description: 'The event id (the same in the feed and in every delivery of it)' }) eventId: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'The brand the event is about; null for organizations and test pings' }) brandId: string | null;
  @ApiProperty({ example: 'placement', description: 'What kind of object changed: organization, brand, trainee, certification, placement (webhook_subscription for a test ping)' }) aggregateType: string;
  @ApiProperty({ format: 'uuid', description: 'The id of the object that changed' }) aggregateId: string;
}

export class OrganizationEventData extends EventDataBase {
  @ApiProperty({ format: 'uuid' }) organizationId: string;
  @ApiProperty({ enum: ORGANIZATION_KINDS }) kind: string;
  @ApiProperty({ example: '310104' }) regionCode: string;
}

export class BrandDecisionEventData extends EventDataBase {
  @ApiProperty({ enum: BRAND_STATUSES, nullable: true, type: String, description: 'null when the brand was just created' }) fromStatus: string | null;
  @ApiProperty({ enum: BRAND_STATUSES }) toStatus: string;
  @ApiProperty({ example: '310104' }) regionCode: string;
  @ApiProperty({ example: '4-04-05-05' }) occupationCode: string;
  @ApiProperty({ format: 'uuid', description: 'The HR firm operating the brand' }) operatorId: string;
  @ApiProperty({ enum: BRAND_LEVELS, nullable: true, type: String }) level: string | null;
  @ApiProperty({ format: 'date', nullable: true, type: String }) validUntil: string | null;
  @ApiProperty({ description: "The brand's version after the change" }) version: number;
}

export class BrandUpdatedEventData extends EventDataBase {
  @ApiProperty({ type: [String], description: 'Names of the fields changed (not their values)' }) fields: string[];
  @ApiProperty() version: number;
}

export class TraineeRegisteredEventData extends EventDataBase {
  @ApiProperty({ format: 'uuid' }) traineeId: string;
  @ApiProperty({ enum: TRAINEE_STATUSES }) status: string;
}

export class TraineeChangedEventData extends EventDataBase {
  @ApiProperty({ format: 'uuid' }) traineeId: string;
  @ApiProperty({ type: [String], description: 'Names of the fields changed (never their values)' }) fields: string[];
  @ApiProperty({ enum: TRAINEE_STATUSES }) fromStatus: string;
  @ApiProperty({ enum: TRAINEE_STATUSES }) toStatus: string;
  @ApiProperty() version: number;
}

export class TraineeErasedEventData extends EventDataBase {
  @ApiProperty({ format: 'uuid' }) traineeId: string;
}

export class TraineeImportedEventData extends EventDataBase {
  @ApiProperty({ type: [String], format: 'uuid', description: 'The trainees created by one batch of the import' }) traineeIds: string[];
  @ApiProperty() count: number;
}

export class CertificationIssuedEventData extends EventDataBase {
  @ApiProperty({ format: 'uuid' }) certificationId: string;
  @ApiProperty({ format: 'uuid' }) traineeId: string;
  @ApiProperty({ minimum: MIN_CERTIFICATION_LEVEL, maximum: MAX_CERTIFICATION_LEVEL }) level: number;
  @ApiProperty({ format: 'uuid', description: 'The organization that issued it' }) issuerId: string;
  @ApiProperty({ format: 'date', nullable: true, type: String }) validUntil: string | null;
  @ApiProperty({ enum: CERTIFICATION_STATUSES }) status: string;
}

export class CertificationRevokedEventData extends CertificationIssuedEventData {
  @ApiProperty({ format: 'uuid' }) revokedById: string;
}

export class PlacementEventData extends EventDataBase {
  @ApiProperty({ format: 'uuid' }) placementId: string;
  @ApiProperty({ format: 'uuid' }) traineeId: string;
  @ApiProperty({ format: 'uuid' }) employerId: string;
  @ApiProperty({ enum: PLACEMENT_STATUSES }) status: string;
  @ApiProperty({ description: 'Salary for its period, fen' }) salaryFen: number;
  @ApiProperty({ enum: SALARY_PERIODS }) salaryPeriod: string;
  @ApiProperty() annualSalaryFen: number;
  @ApiProperty({ format: 'date' }) startDate: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) confirmedAt: string | null;
  @ApiProperty({ format: 'date', nullable: true, type: String }) endDate: string | null;
  @ApiProperty({ description: "The placement's version after the change: order a placement's events by it" }) version: number;
}

export class WebhookTestEventData extends EventDataBase {
  @ApiProperty({ format: 'uuid', description: 'The subscription tested (also aggregateId)' }) subscriptionId: string;
  @ApiProperty({ example: 'This is a test delivery from the labor-brands registry.' }) message: string;
}

/** The data schema of each event type. */
export const EVENT_DATA_SCHEMAS: Record<string, Type<EventDataBase>> = Object.fromEntries(
  DOMAIN_EVENT_TYPES.map((type): [string, Type<EventDataBase>] => {
    const aggregate = type.slice(0, type.indexOf('.'));
    switch (aggregate) {
      case 'organization':
        return [type, OrganizationEventData];
      case 'brand':
        return [type, type === 'brand.updated' ? BrandUpdatedEventData : BrandDecisionEventData];
      case 'trainee':
        return [
          type,
          type === 'trainee.registered' ? TraineeRegisteredEventData : type === 'trainee.erased' ? TraineeErasedEventData : type === 'trainee.imported' ? TraineeImportedEventData : TraineeChangedEventData,
        ];
      case 'certification':
        return [type, type === 'certification.revoked' ? CertificationRevokedEventData : CertificationIssuedEventData];
      case 'placement':
        return [type, PlacementEventData];
      default:
        throw new Error(`no data schema for event type ${type}`);
    }
  }),
);
EVENT_DATA_SCHEMAS[TEST_EVENT_TYPE] = WebhookTestEventData;

export const EVENT_DATA_MODELS: Array<Type<EventDataBase>> = [...new Set(Object.values(EVENT_DATA_SCHEMAS))];

/** The table of event types and their data schemas, for the OpenAPI descriptions. */
export const EVENT_TYPES_TABLE = [
  '| event type | `data` schema |',
  '|---|---|',
  ...Object.entries(EVENT_DATA_SCHEMAS).map(([type, schema]) => `| \`${type}\` | \`${schema.name}\` |`),
].join('\n');
