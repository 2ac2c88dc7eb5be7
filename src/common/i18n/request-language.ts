import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { languageOf, type Language } from './language';

/** The language the request asks for (Accept-Language), for handlers that render texts into a body themselves. */
export const RequestLanguage = createParamDecorator((_data: unknown, ctx: ExecutionContext): Language =>
  languageOf(ctx.switchToHttp().getRequest<FastifyRequest>().headers['accept-language']),
);
