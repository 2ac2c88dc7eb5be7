import { ApiProperty, ApiPropertyOptional, getSchemaPath, PartialType, PickType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Max, MaxLength, Min, Validate, ValidatorConstraint, ValidatorConstraintInterface, type ValidationArguments } from 'class-validator';
import { msg } from '../../common/i18n/message';
import { messageMarker } from '../../common/validation/validation';
import { PageOf, PageQuery } from '../../common/pagination/pagination';
import { DELIVERY_STATUSES, DISABLED_REASONS, DOMAIN_EVENT_TYPES, EVENT_AGGREGATES, isSubscribableEventType, MAX_URL_LENGTH, SUBSCRIPTION_STATUSES, TEST_EVENT_TYPE, type DeliveryStatus, type DisabledReason, type SubscriptionStatus } from '../webhook.rules';
import { EVENT_DATA_MODELS, EVENT_TYPES_TABLE } from './event-data.dto';

export const MAX_EVENT_TYPES = 50;

@ValidatorConstraint({ name: 'isEventType' })
export class SubscribableEventTypes implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return Array.isArray(value) && value.every((v) => typeof v === 'string' && isSubscribableEventType(v));
  }
  defaultMessage(args: ValidationArguments): string {
    return messageMarker(msg('webhook.eventTypes', { field: args.property, types: DOMAIN_EVENT_TYPES.join(', '), patterns: EVENT_AGGREGATES.map((a) => `${a}.*`).join(', ') }));
  }
}

const EVENT_TYPES_DESCRIPTION = `Event types to receive: exact types, \`<aggregate>.*\` patterns (${EVENT_AGGREGATES.map((a) => `\`${a}.*\``).join(', ')}) or \`["*"]\` for every type. Unknown types are refused (400). The types and the schema of their \`data\`:\n\n${EVENT_TYPES_TABLE}`;

export class CreateWebhookDto {
  @ApiProperty({ example: 'https://ats.example.com/hooks/labor-brands', maxLength: MAX_URL_LENGTH, description: '`https` (`http` is accepted outside production); its host must not resolve to a loopback, private, link-local or multicast address' })
  @IsString()
  @Length(1, MAX_URL_LENGTH)
  url: string;

  @ApiProperty({ type: [String], example: ['placement.confirmed', 'placement.ended'], minItems: 1, maxItems: MAX_EVENT_TYPES, description: EVENT_TYPES_DESCRIPTION })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_EVENT_TYPES)
  @Validate(SubscribableEventTypes)
  eventTypes: string[];

  @ApiPropertyOptional({ nullable: true, type: String, maxLength: 500, example: 'Our ATS, production' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string | null;
}

export class UpdateWebhookDto extends PartialType(CreateWebhookDto) {
  @ApiPropertyOptional({ enum: SUBSCRIPTION_STATUSES, description: '`active` re-enables a disabled subscription (its waiting deliveries are due again at once); `disabled` pauses it' })
  @IsOptional()
  @IsIn(SUBSCRIPTION_STATUSES)
  status?: SubscriptionStatus;
}

export class ListWebhooksQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Platform only: the subscriptions of one organization (others always see their own)' })
  @IsOptional()
  @IsUUID()
  organizationId?: string;
}

export class WebhookView {
  @ApiProperty({ format: 'uuid', description: 'Also the subscription whose secret signs deliveries' }) id: string;
  @ApiProperty({ format: 'uuid' }) organizationId: string;
  @ApiProperty() url: string;
  @ApiProperty({ type: [String], example: ['placement.*'] }) eventTypes: string[];
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({ enum: SUBSCRIPTION_STATUSES }) status: SubscriptionStatus;
  @ApiProperty({
    enum: DISABLED_REASONS,
    nullable: true,
    type: String,
    description: 'Why it is disabled: `manual` (by its organization), `gone` (the receiver answered 410 Gone), `failing` (no attempt succeeded for 3 days); null while active',
  })
  disabledReason: DisabledReason | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'After a rotation: until when the previous secret also signs (a second signature in `webhook-signature`)' })
  previousSecretExpiresAt: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiProperty({ description: 'For If-Match' }) version: number;
}

export class WebhookWithSecretView extends WebhookView {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'The signing secret (Standard Webhooks, `whsec_` + base64): shown in this answer only, stored encrypted' })
  secret: string;
}

export class WebhookPage extends PageOf(WebhookView) {}

export class ListDeliveriesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES }) @IsOptional() @IsIn(DELIVERY_STATUSES) status?: DeliveryStatus;
}

export class WebhookDeliveryView {
  @ApiProperty({ format: 'uuid', description: 'The `webhook-id` header of every attempt: receivers deduplicate by it' }) id: string;
  @ApiProperty({ format: 'uuid' }) subscriptionId: string;
  @ApiProperty({ format: 'uuid', description: 'The event delivered (`data.eventId` of the body)' }) eventId: string;
  @ApiProperty({ example: 'placement.confirmed', description: `An event type, or \`${TEST_EVENT_TYPE}\`` }) eventType: string;
  @ApiProperty({
    enum: DELIVERY_STATUSES,
    description: '`pending`: not attempted yet (or sent again on request); `retrying`: an attempt failed, another follows at `nextAttemptAt`; `succeeded`: answered 2xx; `failed`: 410 Gone, or still failing when its 3 days were over',
  })
  status: DeliveryStatus;
  @ApiProperty({ description: 'Attempts made so far' }) attempts: number;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastAttemptAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'When it is attempted next; null once settled, and while the subscription is disabled' }) nextAttemptAt: string | null;
  @ApiProperty({ nullable: true, type: Number, description: "The receiver's HTTP status at the last attempt; null when none came" }) responseStatus: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Duration of the last attempt, ms' }) durationMs: number | null;
  @ApiProperty({ nullable: true, type: String, example: 'HTTP 503', description: 'Why the last attempt failed; null after a success' }) error: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class WebhookDeliveryPage extends PageOf(WebhookDeliveryView) {}

// ------------------------------------------------------------------------------------------- event feed

export const MAX_WAIT_SECONDS = 30;

export class EventFeedQuery extends PickType(PageQuery, ['limit'] as const) {
  @ApiPropertyOptional({ description: 'Opaque: the `nextCursor` of the previous answer. Without it the feed starts at the oldest event.', maxLength: 512 })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  after?: string;

  @ApiPropertyOptional({ example: 'placement.confirmed,placement.ended', description: 'Comma-separated event types or `<aggregate>.*` patterns; all types without it' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  types?: string;

  @ApiPropertyOptional({ format: 'uuid', description: "Only this brand's events (still only those visible to you)" })
  @IsOptional()
  @IsUUID()
  brandId?: string;

  @ApiPropertyOptional({ minimum: 0, maximum: MAX_WAIT_SECONDS, default: 0, description: 'Seconds to hold an empty answer until an event arrives (long poll)' })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' && /^\d{1,2}$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(0)
  @Max(MAX_WAIT_SECONDS)
  wait?: number;
}

export class FeedEventView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'placement.confirmed', enum: DOMAIN_EVENT_TYPES }) type: string;
  @ApiProperty({ format: 'date-time' }) occurredAt: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) brandId: string | null;
  @ApiProperty({ example: 'placement' }) aggregateType: string;
  @ApiProperty({ format: 'uuid' }) aggregateId: string;
  @ApiProperty({
    description: `The event's data, as webhook deliveries carry it; its schema by \`type\`:\n\n${EVENT_TYPES_TABLE}`,
    anyOf: EVENT_DATA_MODELS.map((model) => ({ $ref: getSchemaPath(model) })),
  })
  data: Record<string, unknown>;
}

export class EventFeedPage {
  @ApiProperty({ type: [FeedEventView], description: 'Oldest first' }) items: FeedEventView[];
  @ApiProperty({ description: 'Always set, also after an empty page: pass it as `after` to continue' }) nextCursor: string;
}

/** The body of a webhook delivery (Standard Webhooks). */
export class WebhookPayloadView {
  @ApiProperty({ example: 'placement.confirmed', description: `An event type, or \`${TEST_EVENT_TYPE}\`` }) type: string;
  @ApiProperty({ format: 'date-time', description: 'When the event occurred' }) timestamp: string;
  @ApiProperty({ description: 'The event data; its schema by `type`', anyOf: EVENT_DATA_MODELS.map((model) => ({ $ref: getSchemaPath(model) })) }) data: Record<string, unknown>;
}
