import { ArgumentsHost, Catch, ExceptionFilter, NotFoundException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { methodNotAllowed, RouteMethods } from '../http/server-errors';
import { languageOf } from '../i18n/language';
import { StoredResponse } from '../idempotency/stored-response';
import { safeError } from '../logging/logger';
import { PROBLEM_CONTENT_TYPE, ProblemError } from './problem';
import { documentForRequest, toProblem } from './to-problem';

export { PROBLEM_CONTENT_TYPE };

export function sendProblem(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof StoredResponse) {
    void reply
      .status(err.status)
      .headers(err.headers)
      .type(err.headers['content-type'] ?? 'application/json; charset=utf-8')
      .send(err.bodyText ?? undefined);
    return;
  }
  const { document, headers, unexpected } = toProblem(err, languageOf(request.headers['accept-language']));
  // Never the query's parameters or a value the database quotes back: they may be personal data.
  if (unexpected) request.log.error({ err: safeError(err) }, 'request failed unexpectedly');
  if (reply.sent) return;
  void reply.status(document.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(documentForRequest(document, request.url));
}

/**
 * Every error leaving a Nest handler becomes an RFC 9457 problem document; a path no route takes with this method,
 * but some route takes with another, is 405 with `Allow` (`routes` knows the methods of every path).
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly routes?: RouteMethods) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    if (exception instanceof NotFoundException && this.routes && !request.routeOptions?.url) {
      const wrongMethod = methodNotAllowed(this.routes, { method: request.method, url: request.url });
      if (wrongMethod) {
        sendProblem(new ProblemError('METHOD_NOT_ALLOWED', wrongMethod.detail, undefined, { allow: wrongMethod.allow }), request, reply);
        return;
      }
    }
    sendProblem(exception, request, reply);
  }
}
