import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { ProblemError } from '../problems/problem';
import type { OrganizationKind } from './actor';
import { ACTOR_RESOLVER, ActorResolver } from './actor-resolver';
import { ALLOWED_KINDS, AuthenticatedRequest, PUBLIC_ROUTE } from './decorators';
import { enforceRateDecision } from './address-rate-limit';
import { RateLimiter } from './rate-limiter';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Authentication, then the per-key rate limit, then the route's allowed organization kinds. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(ACTOR_RESOLVER) private readonly keys: ActorResolver,
    private readonly rateLimiter: RateLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? BEARER.exec(header) : null;
    if (!match) {
      throw new ProblemError('UNAUTHENTICATED', 'Send your API key as `Authorization: Bearer <key>`', undefined, { 'www-authenticate': 'Bearer' });
    }
    const actor = match[1].length <= 256 ? await this.keys.resolve(match[1]) : null;
    if (!actor) {
      throw new ProblemError('UNAUTHENTICATED', 'The API key is unknown or revoked', undefined, { 'www-authenticate': 'Bearer error="invalid_token"' });
    }
    request.actor = actor;
    this.keys.touch(actor.apiKeyId);

    enforceRateDecision(reply, await this.rateLimiter.hit(actor.apiKeyId), 'per window');

    const kinds = this.reflector.getAllAndOverride<OrganizationKind[] | undefined>(ALLOWED_KINDS, targets);
    if (kinds && !kinds.includes(actor.kind)) {
      throw new ProblemError('FORBIDDEN', `This route is for ${kinds.join(', ')} organizations`);
    }
    return true;
  }
}
