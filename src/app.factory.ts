import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AppModule, Roles } from './app.module';
import { AuditLog } from './audit/audit.service';
import { ACTOR_RESOLVER, ActorResolver } from './common/auth/actor-resolver';
import { CONTENT_LANGUAGE, languageOf } from './common/i18n/language';
import { AddressRateLimiter } from './common/auth/address-rate-limit';
import { createLogger, PinoNestLogger } from './common/logging/logger';
import { registerSecurityHeaders } from './common/http/security-headers';
import { finishDocument } from './common/openapi/document';
import { Metrics } from './common/metrics/metrics';
import { BullQueues } from './common/queue/bull-queues';
import { clientErrorHandler, frameworkErrors, HttpLimits, httpServerFactory, refuseBrokenRequests, RouteMethods } from './common/http/server-errors';
import { ProblemFilter } from './common/problems/problem.filter';
import { createValidationPipe } from './common/validation/validation';
import { registerJsonParser, registerStreamedBodyParser } from './common/validation/json-body';
import type { AppConfig } from './config/config';
import { DashboardService } from './dashboard/dashboard.service';
import { mountWebsite } from './dashboard/website';
import { mountQueueBoard } from './events/queue-board';
import { IMPORT_MEDIA_TYPES, isImportRoute } from './trainees/import/import-body';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;
/** Path parameters are ids and codes: nothing longer is a request this API takes. */
const MAX_PARAM_LENGTH = 200;
/** Node's default: the request line and every header together. */
const MAX_HEADER_BYTES = 16 * 1024;

export const API_DESCRIPTION = `
The registry of China's labor service brands (劳务品牌): organizations and keys, brands and their certification,
trainees, skill certificates, placements, per-brand statistics, and webhooks and an event feed for integrators
(tag Integrations).

**Authentication**: \`Authorization: Bearer <api key>\` on every route except \`/health/*\`, \`/docs*\`,
\`/.well-known/jwks.json\`, \`/v1/public/*\` and the public pages (marked \`security: []\`). Metrics are not on this
port: Prometheus scrapes \`/metrics\` on a listener of its own (\`METRICS_PORT\`).

**Public pages**: the service's own website for the public and the bureaus, at \`/\` (the directory of public brands),
\`/brands/{id}\` and \`/regions/{regionCode}\`, in Simplified Chinese (English by the switch on every page, remembered,
or \`?lang=en\`, or when the browser's first language is English). They read only the \`/v1/public/*\` routes; a
bureau that signs in with its API key (kept in the tab's session storage, sent as a bearer header, never in a URL or
a cookie) also reads the authenticated routes and sees its jurisdiction unsuppressed. The routes without a key
(\`/v1/public/*\` and the pages) are limited per client address: \`PUBLIC_RATE_LIMIT_MAX\` requests a minute (default
600; 429 \`RATE_LIMITED\` with \`Retry-After\`).

**Errors** are RFC 9457 \`application/problem+json\` documents \`{ type, title, status, detail, code, errors? }\`;
branch on \`code\`. A path id that is not a UUID is 400 \`VALIDATION_FAILED\`; an object you may not see is 404.

**Lists** take \`limit\` (1–500, default 50) and an opaque \`cursor\` and answer \`{ items, nextCursor }\`, newest
first, keyset-paginated: no row is skipped or repeated while rows are inserted.

**Idempotency**: any POST may carry \`Idempotency-Key\` (1–255 printable ASCII characters, scoped to the API key).
The same key and body within 24 h return the first response with \`Idempotent-Replayed: true\`; another body 422
\`IDEMPOTENCY_KEY_REUSED\`; while the first is running 409 \`IDEMPOTENCY_IN_PROGRESS\`. Server errors (5xx) are not
stored, so a retry after one does the work.

**Limits**: JSON bodies up to 1 MiB (413 \`PAYLOAD_TOO_LARGE\`); a per-key rate limit (429 \`RATE_LIMITED\` with
\`Retry-After\`; \`RateLimit-Limit\`, \`RateLimit-Remaining\` and \`RateLimit-Reset\` on every authenticated response).
Strings are stored as sent; a NUL character anywhere in a body is refused.

**Region codes** (GB/T 2260): \`XX0000\` is a province and covers \`XX****\`; \`XXXX00\` a city covering
\`XXXX**\`; any other code a district covering itself. \`100000\` stands for the national level and covers every code.

**Queues** (platform keys only): \`/admin/queues\` is the queue dashboard (Bull Board) for a person in a browser.
Besides \`Authorization: Bearer <key>\` it accepts HTTP Basic credentials with any user name and the API key as the
password, since a browser cannot send a bearer header itself: opened without credentials it answers 401 with a
Basic challenge and the browser asks for them. Dead letters (jobs that failed every try, kept 7 days) are also
listed as JSON at \`GET /v1/admin/failed-jobs\` and retried with \`POST /v1/admin/failed-jobs/{queue}/{jobId}/retry\`.
Domain events reach their processors at least once: a job's id is its event id and its name the event type.
`;

export interface CreatedApp {
  app: NestFastifyApplication;
  logger: Logger;
}

export interface CreateAppOptions {
  /**
   * Called once every provider exists and before any lifecycle hook runs (onModuleInit, the workers'
   * onApplicationBootstrap): the place to reach into the container first, e.g. a test registering event handlers
   * before the domain-events worker takes its first job.
   */
  beforeInit?: (app: NestFastifyApplication) => void | Promise<void>;
}

export async function createApp(config: AppConfig, roles: Roles = { api: true, worker: config.role !== 'api' }, options: CreateAppOptions = {}): Promise<CreatedApp> {
  const logger = createLogger(config.logLevel);
  const limits: HttpLimits = {
    headersTimeoutMs: config.httpHeadersTimeoutMs,
    bodyTimeoutMs: config.httpBodyTimeoutMs,
    idleTimeoutMs: config.httpIdleTimeoutMs,
    requestTimeoutMs: config.httpRequestTimeoutMs,
    maxParamLength: MAX_PARAM_LENGTH,
    maxHeaderBytes: MAX_HEADER_BYTES,
  };
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    bodyLimit: config.bodyLimitBytes,
    serverFactory: httpServerFactory(limits),
    clientErrorHandler: clientErrorHandler(limits),
    frameworkErrors: frameworkErrors(limits),
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    trustProxy: config.trustProxyHops > 0 ? config.trustProxyHops : false,
    requestIdHeader: false,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    // Fastify's two lines per request (received, completed) at info cost a serialization and a write each on the
    // hot path; one line at debug replaces them (below), and unexpected failures are logged where they are handled.
    logController: new LogController({ disableRequestLogging: true }),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, roles), adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
    // Our own JSON parser replaces Fastify's (see registerJsonParser); Nest must not add a third.
    bodyParser: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  // Nest registers its routes in app.init(), below: this sees every one, for 405 answers.
  const routes = new RouteMethods();
  fastify.addHook('onRoute', (route) => routes.add(route.method, route.url));
  fastify.addHook('onRequest', refuseBrokenRequests);
  if (logger.isLevelEnabled('debug')) {
    fastify.addHook('onResponse', async (request, reply) => {
      request.log.debug({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
    });
  }

  registerSecurityHeaders(fastify, {
    // The Swagger UI at /docs needs inline scripts and styles; the API itself serves only JSON.
    contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], scriptSrc: ["'self'", "'unsafe-inline'"], styleSrc: ["'self'", "'unsafe-inline'"], imgSrc: ["'self'", 'data:'] } },
    crossOriginEmbedderPolicy: false,
  });
  registerJsonParser(fastify, config.bodyLimitBytes);
  registerStreamedBodyParser(fastify, IMPORT_MEDIA_TYPES, isImportRoute);
  fastify.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
    // Every text for a person in an answer is in the language the request asked for (common/i18n).
    if (!reply.hasHeader('content-language')) void reply.header('content-language', CONTENT_LANGUAGE[languageOf(request.headers['accept-language'])]);
  });
  app.get(Metrics).instrument(fastify);
  // The public pages at /, /brands/:id and /regions/:regionCode, and their assets (API.md, Public pages).
  const dashboard = app.get(DashboardService);
  await mountWebsite(fastify, app.get(AddressRateLimiter), { isPublicBrand: (id) => dashboard.isPublicBrand(id) });
  // Platform keys only (Bearer, or HTTP Basic with the key as password, for browsers): see queue-board.ts.
  await mountQueueBoard(fastify, app.get(BullQueues), app.get<ActorResolver>(ACTOR_RESOLVER), app.get(AuditLog));

  app.useGlobalFilters(new ProblemFilter(routes));
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();

  const document = finishDocument(
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Labor service brands API')
        .setDescription(API_DESCRIPTION)
        .setVersion('1')
        // An opaque key, not a JWT: nothing in it can be read or verified without the service.
        .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'opaque API key (lbk_…)', description: 'An API key: `Authorization: Bearer lbk_…`' })
        .build(),
    ),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });

  await options.beforeInit?.(app);
  await app.init();
  await fastify.ready();
  return { app, logger };
}
