import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { languageOf } from '../i18n/language';
import { StoredResponse } from '../idempotency/stored-response';
import { documentForRequest, toProblem } from './to-problem';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

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
  if (unexpected) request.log.error({ err }, 'request failed unexpectedly');
  if (reply.sent) return;
  void reply.status(document.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(documentForRequest(document, request.url));
}

/** Every error leaving a Nest handler becomes an RFC 9457 problem document. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }
}
