import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Actor, OrganizationKind } from './actor';

export const PUBLIC_ROUTE = 'labor-brands:public';
export const ALLOWED_KINDS = 'labor-brands:kinds';
/** @nestjs/swagger's metadata key of `@ApiSecurity` (DECORATORS.API_SECURITY, not exported by the package). */
const SWAGGER_SECURITY = 'swagger/apiSecurity';

/**
 * The route needs no API key (health, docs, JWKS, public verification and pages). The OpenAPI document says so
 * too: `security: []` overrides the document's default, a bearer key.
 */
export const Public = (): MethodDecorator & ClassDecorator => applyDecorators(SetMetadata(PUBLIC_ROUTE, true), SetMetadata(SWAGGER_SECURITY, []));

/** Only organizations of these kinds may call the route; others get 403 FORBIDDEN. */
export const AllowKinds = (...kinds: OrganizationKind[]): MethodDecorator & ClassDecorator => SetMetadata(ALLOWED_KINDS, kinds);

export interface AuthenticatedRequest extends FastifyRequest {
  actor?: Actor;
}

export const CurrentActor = createParamDecorator((_data: unknown, ctx: ExecutionContext): Actor => {
  const actor = ctx.switchToHttp().getRequest<AuthenticatedRequest>().actor;
  if (!actor) throw new Error('CurrentActor used on a route without authentication');
  return actor;
});
