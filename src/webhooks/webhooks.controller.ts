import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCreatedResponse, ApiExtraModels, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Actor } from '../common/auth/actor';
import { CurrentActor } from '../common/auth/decorators';
import { IfMatch } from '../common/http/if-match';
import { IDEMPOTENCY_HEADER } from '../common/idempotency/idempotency.openapi';
import { ApiProblems, STANDARD_AUTH_PROBLEMS, STANDARD_POST_PROBLEMS } from '../common/openapi/problems';
import { EmptyBody } from '../common/validation/empty-body';
import { UuidParam } from '../common/validation/validation';
import { EVENT_DATA_MODELS, EVENT_TYPES_TABLE } from './dto/event-data.dto';
import {
  CreateWebhookDto,
  EventFeedPage,
  EventFeedQuery,
  ListDeliveriesQuery,
  ListWebhooksQuery,
  UpdateWebhookDto,
  WebhookDeliveryPage,
  WebhookDeliveryView,
  WebhookPage,
  WebhookPayloadView,
  WebhookView,
  WebhookWithSecretView,
} from './dto/webhook.dto';
import { EventFeedService } from './event-feed.service';
import { WebhooksService } from './webhooks.service';

const IF_MATCH = ApiHeader({ name: 'If-Match', required: false, description: 'The version you read; stale: 409 `VERSION_CONFLICT`' });
const ETAG = { ETag: { description: "The webhook's version, for If-Match", schema: { type: 'string' } } };
const URL_PROBLEMS: [number, string] = [
  400,
  'Invalid input (`VALIDATION_FAILED`, e.g. an unknown event type, a malformed URL or one whose host does not resolve), or `WEBHOOK_URL_NOT_ALLOWED`: the URL is not `https` in production, or its host resolves to a loopback, private, link-local, multicast or otherwise non-public address',
];
const OWN_ONLY: [number, string] = [403, "`FORBIDDEN`: the platform may read another organization's webhook but not change it or read its deliveries"];
const NOT_FOUND: [number, string] = [404, '`NOT_FOUND`: no such webhook, or not yours'];

const DELIVERIES = `
**Deliveries** follow the Standard Webhooks specification (standardwebhooks.com): a \`POST\` of
\`application/json\` with the headers \`webhook-id\` (the delivery's id, the same on every retry: deduplicate by it),
\`webhook-timestamp\` (Unix seconds of the attempt) and \`webhook-signature\` (\`v1,<base64 HMAC-SHA256 of
"{webhook-id}.{webhook-timestamp}.{body}">\` keyed with the secret's bytes; for 24 h after a rotation a second,
space-separated signature with the previous secret). Verify with any Standard Webhooks library, e.g.
\`new Webhook(secret).verify(rawBody, headers)\` (npm \`standardwebhooks\`). The body is \`WebhookPayloadView\`:
\`{ type, timestamp, data }\`; \`data\` is the event's data with \`eventId\`, \`brandId\`, \`aggregateType\` and
\`aggregateId\` added, never a name, identity number or phone.

**Who receives what**: the events of objects the subscription's organization may read: the platform every
event; an HR firm those of the brands it operates (their trainees, certificates and placements included); a
bureau those of the brands in its jurisdiction; an employer those of the placements naming it. Events that occurred
before the subscription was made, or while it was disabled, are not delivered (the event feed has them).

**Retries**: a delivery succeeds on any 2xx within 10 s; redirects are not followed. Otherwise it is retried with
exponential back-off and jitter (from about 5 s, doubling, at most 6 h apart; configurable) until 3 days after it was
made, then \`failed\`. A \`410 Gone\` fails it and disables the subscription at once (\`disabledReason: "gone"\`); a
subscription none of whose attempts succeeded for 3 days is disabled (\`"failing"\`). Order is not guaranteed: order
by \`timestamp\`, and by \`data.version\` where the event has one.

**Targets**: the URL must be \`https\` in production, and its host must not resolve to a loopback, private,
link-local, multicast or otherwise non-public address (IPv4 and IPv6, IPv4-mapped included): checked when the
webhook is made or its URL changed (400 \`WEBHOOK_URL_NOT_ALLOWED\`) and again at every connection, against the
address actually connected to (a delivery to a refused address fails without sending anything).

**Event types and their data**:

${EVENT_TYPES_TABLE}
`;

function withEtag<T extends { version: number }>(reply: FastifyReply, view: T): T {
  void reply.header('etag', `"${view.version}"`);
  return view;
}

/** A delivery as the receiver sees it: the request the registry makes to a subscription's url. */
const DELIVERY_CALLBACK = {
  summary: 'A delivery of one event to the subscription',
  description: 'Signed as Standard Webhooks says (`webhook-id`, `webhook-timestamp`, `webhook-signature`); the same `webhook-id` on every retry.',
  parameters: ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => ({ name, in: 'header' as const, required: true, schema: { type: 'string' as const } })),
  requestBody: { required: true, content: { 'application/json': { schema: { $ref: getSchemaPath(WebhookPayloadView) } } } },
  responses: {
    '2XX': { description: 'Acknowledged (within 10 s of the connection)' },
    '410': { description: 'Gone: the subscription is disabled, nothing more is sent' },
    '4XX': { description: 'Refused: retried with back-off for 3 days, as is any other answer or none' },
  },
};

@ApiTags('Integrations')
@ApiBearerAuth()
@ApiExtraModels(...EVENT_DATA_MODELS, WebhookPayloadView)
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @IDEMPOTENCY_HEADER
  @ApiOperation({
    summary: 'Subscribe your organization to events (any organization, for itself)',
    description: `Answers the subscription with its signing \`secret\`, shown this once.\n${DELIVERIES}`,
    // What the registry then sends to the subscription's url (OpenAPI 3.0 callbacks): the signed delivery.
    callbacks: { delivery: { '{$request.body#/url}': { post: DELIVERY_CALLBACK } } },
  })
  @ApiCreatedResponse({ type: WebhookWithSecretView, headers: { Location: { description: 'URL of the webhook', schema: { type: 'string' } }, ...ETAG } })
  @ApiProblems(URL_PROBLEMS, ...STANDARD_POST_PROBLEMS.filter((s) => s !== 400), [409, '`IDEMPOTENCY_IN_PROGRESS`'])
  async create(@CurrentActor() actor: Actor, @Body() dto: CreateWebhookDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<WebhookWithSecretView> {
    const created = await this.webhooks.create(actor, dto);
    void reply.header('location', `/v1/webhooks/${created.id}`);
    return withEtag(reply, created);
  }

  @Get()
  @ApiOperation({ summary: "Your organization's webhooks, newest first (the platform: everyone's, or one organization's)" })
  @ApiOkResponse({ type: WebhookPage })
  @ApiProblems(400, [403, "`FORBIDDEN`: `organizationId` names another organization and you are not the platform"], ...STANDARD_AUTH_PROBLEMS)
  list(@CurrentActor() actor: Actor, @Query() query: ListWebhooksQuery): Promise<WebhookPage> {
    return this.webhooks.list(actor, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One webhook (its organization, or the platform); never its secret' })
  @ApiOkResponse({ type: WebhookView, headers: ETAG })
  @ApiProblems(400, NOT_FOUND, ...STANDARD_AUTH_PROBLEMS)
  async get(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<WebhookView> {
    return withEtag(reply, await this.webhooks.get(actor, id));
  }

  @Patch(':id')
  @IF_MATCH
  @ApiOperation({
    summary: 'Edit a webhook (its organization)',
    description: 'Any of `url`, `eventTypes`, `description`, `status`; at least one. `status: "active"` re-enables a disabled webhook (the deliveries it still owed are due again at once); `"disabled"` pauses it. A new URL is checked like a new webhook\'s.',
  })
  @ApiOkResponse({ type: WebhookView, headers: ETAG })
  @ApiProblems(URL_PROBLEMS, 401, OWN_ONLY, NOT_FOUND, [409, '`VERSION_CONFLICT`'], 413, 415, 429, 503)
  async update(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @Body() dto: UpdateWebhookDto, @IfMatch() ifMatch: number | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<WebhookView> {
    return withEtag(reply, await this.webhooks.update(actor, id, dto, ifMatch));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a webhook and its delivery log (its organization); nothing more is sent' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblems(400, OWN_ONLY, NOT_FOUND, ...STANDARD_AUTH_PROBLEMS)
  async remove(@CurrentActor() actor: Actor, @UuidParam('id') id: string): Promise<void> {
    await this.webhooks.remove(actor, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @IDEMPOTENCY_HEADER
  @ApiOperation({ summary: 'A new signing secret (its organization)', description: 'No body. Answers the webhook with the new `secret`, shown this once. For 24 h (`previousSecretExpiresAt`) every delivery carries a second signature made with the previous secret, so receivers can switch over.' })
  @ApiOkResponse({ type: WebhookWithSecretView, headers: ETAG })
  @ApiProblems(...STANDARD_POST_PROBLEMS, OWN_ONLY, NOT_FOUND, [409, '`IDEMPOTENCY_IN_PROGRESS`'])
  async rotateSecret(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @EmptyBody() _body: undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<WebhookWithSecretView> {
    return withEtag(reply, await this.webhooks.rotateSecret(actor, id));
  }

  @Post(':id/test')
  @HttpCode(202)
  @IDEMPOTENCY_HEADER
  @ApiOperation({ summary: 'Send a `webhook.test` event (its organization)', description: 'No body. Answers the delivery made (202): it is sent at once, signed and retried like any other (data: `WebhookTestEventData`).' })
  @ApiAcceptedResponse({ type: WebhookDeliveryView })
  @ApiProblems(...STANDARD_POST_PROBLEMS, OWN_ONLY, NOT_FOUND, [409, '`INVALID_TRANSITION`: the webhook is disabled; or `IDEMPOTENCY_IN_PROGRESS`'])
  test(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @EmptyBody() _body: undefined): Promise<WebhookDeliveryView> {
    return this.webhooks.test(actor, id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: "The webhook's deliveries, newest first (its organization)" })
  @ApiOkResponse({ type: WebhookDeliveryPage })
  @ApiProblems(400, OWN_ONLY, NOT_FOUND, ...STANDARD_AUTH_PROBLEMS)
  deliveries(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @Query() query: ListDeliveriesQuery): Promise<WebhookDeliveryPage> {
    return this.webhooks.deliveries(actor, id, query);
  }

  @Post(':id/deliveries/:deliveryId/retry')
  @HttpCode(202)
  @IDEMPOTENCY_HEADER
  @ApiOperation({
    summary: 'Send a delivery again now (its organization)',
    description: 'No body. Whatever its status (a succeeded one too: receivers deduplicate by `webhook-id`, which stays the same). Answers the delivery, `pending` until the attempt is made; if that attempt fails, the usual retries follow within the delivery\'s 3 days.',
  })
  @ApiAcceptedResponse({ type: WebhookDeliveryView })
  @ApiProblems(...STANDARD_POST_PROBLEMS, OWN_ONLY, [404, '`NOT_FOUND`: no such webhook or delivery, or not yours'], [409, '`INVALID_TRANSITION`: the webhook is disabled, or an attempt is under way; or `IDEMPOTENCY_IN_PROGRESS`'])
  retry(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @UuidParam('deliveryId') deliveryId: string, @EmptyBody() _body: undefined): Promise<WebhookDeliveryView> {
    return this.webhooks.retryDelivery(actor, id, deliveryId);
  }
}

@ApiTags('Integrations')
@ApiBearerAuth()
@ApiExtraModels(...EVENT_DATA_MODELS)
@Controller('v1/events')
export class EventFeedController {
  constructor(private readonly feed: EventFeedService) {}

  @Get()
  @ApiOperation({
    summary: 'The event feed: the events you may read, oldest first',
    description: `For integrators that pull. Pass the answer's \`nextCursor\` (always set, also after an empty page) as \`after\` to continue; without \`after\` the feed starts at the oldest event. No event is ever skipped: an event whose transaction commits after a page was read, with an earlier position, still comes on a later page (the cursor never passes a position a transaction still running could fill). So an event appears once every transaction that began writing before it has ended: a long-running transaction (a large import) holds the feed back until it ends. \`wait\` (0–30 s) holds an empty answer until an event arrives. Visibility is that of webhooks: the platform every event, an HR firm its brands', a bureau those of the brands in its jurisdiction, an employer the placements naming it; a \`brandId\` you may not read simply yields nothing. \`data\` is the same as in webhook deliveries.\n\n${EVENT_TYPES_TABLE}`,
  })
  @ApiOkResponse({ type: EventFeedPage })
  @ApiProblems([400, '`VALIDATION_FAILED`: an unknown event type in `types`, a bad `after` (`INVALID_CURSOR`), `limit` or `wait`'], ...STANDARD_AUTH_PROBLEMS)
  read(@CurrentActor() actor: Actor, @Query() query: EventFeedQuery): Promise<EventFeedPage> {
    return this.feed.read(actor, query);
  }
}
