import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditLog } from '../audit/audit.service';
import type { ActorResolver } from '../common/auth/actor-resolver';
import { languageOf } from '../common/i18n/language';
import { msg, type Message } from '../common/i18n/message';
import { problemDocument, ProblemCode } from '../common/problems/problem';
import { PROBLEM_CONTENT_TYPE } from '../common/problems/problem.filter';
import type { BullQueues } from '../common/queue/bull-queues';
import { safeMessage } from '../common/logging/logger';

export const QUEUE_BOARD_PATH = '/admin/queues';

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const BASIC = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i;
const MAX_KEY_LENGTH = 256;

/**
 * Dashboard actions refused even to the platform: jobs are derived from the outbox (the source of truth), so
 * adding or editing one would forge an event, and emptying or obliterating a queue would silently drop events
 * already marked delivered. Retrying, promoting, cleaning finished jobs and pausing stay available.
 */
const REFUSED_ACTIONS = new Set([
  `POST ${QUEUE_BOARD_PATH}/api/queues/:queueName/add`,
  `PATCH ${QUEUE_BOARD_PATH}/api/queues/:queueName/:jobId/update-data`,
  `PUT ${QUEUE_BOARD_PATH}/api/queues/:queueName/empty`,
  `PUT ${QUEUE_BOARD_PATH}/api/queues/:queueName/obliterate`,
]);

/**
 * The API key of a dashboard request: `Authorization: Bearer <key>`, or HTTP Basic with the key as the password
 * (any user name), because a browser cannot send a bearer header by itself but prompts for Basic credentials.
 */
export function dashboardKey(header: string | undefined): string | null {
  if (typeof header !== 'string') return null;
  const bearer = BEARER.exec(header);
  if (bearer) return bearer[1];
  const basic = BASIC.exec(header);
  if (!basic) return null;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const password = colon >= 0 ? decoded.slice(colon + 1) : '';
  return password.length > 0 ? password : null;
}

/**
 * Mounts the Bull Board dashboard of every queue at /admin/queues, for platform keys only. The check is a Fastify
 * onRequest hook in an encapsulated scope holding just the dashboard's routes (its page, assets and JSON API),
 * so it guards exactly that prefix; Nest's guard never sees these routes. Without a key, or with an unknown or
 * revoked one: 401 with a Basic challenge (a browser then asks for the key: any user name, the key as password);
 * another organization kind: 403. The dashboard's actions (retry, promote, clean, …) are audited; those that would
 * forge or drop events are refused (REFUSED_ACTIONS).
 */
export async function mountQueueBoard(fastify: FastifyInstance, queues: BullQueues, keys: ActorResolver, audit: AuditLog): Promise<void> {
  const serverAdapter = new BullBoardFastifyAdapter();
  serverAdapter.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: queues.all().map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Labor brands queues' } },
  });

  const deny = (request: FastifyRequest, reply: FastifyReply, code: ProblemCode, detail: Message): FastifyReply => {
    const language = languageOf(request.headers['accept-language']);
    if (code === 'UNAUTHENTICATED') void reply.header('www-authenticate', ['Basic realm="labor-brands queues", charset="UTF-8"', 'Bearer']);
    return reply
      .status(problemDocument(language, code).status)
      .type(PROBLEM_CONTENT_TYPE)
      .header('cache-control', 'no-store')
      .send({ ...problemDocument(language, code, detail), instance: request.url.split('?')[0] });
  };

  await fastify.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      const secret = dashboardKey(request.headers.authorization);
      if (!secret) return deny(request, reply, 'UNAUTHENTICATED', msg('auth.dashboardKey'));
      let actor;
      try {
        actor = secret.length <= MAX_KEY_LENGTH ? await keys.resolve(secret) : null;
      } catch {
        void reply.header('retry-after', '1');
        return deny(request, reply, 'SERVICE_UNAVAILABLE', msg('auth.keyUncheckable'));
      }
      if (!actor) return deny(request, reply, 'UNAUTHENTICATED', msg('auth.unknownKey'));
      if (actor.kind !== 'platform') return deny(request, reply, 'FORBIDDEN', msg('auth.dashboardPlatformOnly'));
      keys.touch(actor.apiKeyId);
      // The matched route pattern, not the raw URL: percent-encoding cannot sneak past it.
      if (REFUSED_ACTIONS.has(`${request.method} ${request.routeOptions.url}`)) {
        return deny(request, reply, 'FORBIDDEN', msg('auth.dashboardActionRefused'));
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        const path = request.url.split('?')[0];
        audit.recordNow(actor, { action: 'queue_dashboard', objectType: 'queue_dashboard', objectId: path, details: { method: request.method, path } }).catch((err: Error) => request.log.warn(`queue dashboard action not audited: ${safeMessage(err)}`));
      }
      void reply.header('cache-control', 'no-store');
    });
    await scope.register(serverAdapter.registerPlugin(), { prefix: QUEUE_BOARD_PATH });
  });
}
