import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { ProblemError } from '../problems/problem';
import type { OrganizationKind } from './actor';
import { ACTOR_RESOLVER, ActorResolver } from './actor-resolver';
import { ALLOWED_KINDS, AuthenticatedRequest, PUBLIC_ROUTE } from './decorators';
import { enforceRateDecision } from './address-rate-limit';
import { RateLimiter } from './rate-limiter';
import { msg } from '../i18n/message';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Authentication, then the per-key rate limit, then the route's allowed organization kinds. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(ACTOR_RESOLVER) private readonly keys: ActorResolver,
    private readonly rateLimiter: RateLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? BEARER.exec(header) : null;
    if (!match) {
      await this.countFailure(request);
      throw new ProblemError('UNAUTHENTICATED', msg('auth.missingKey'), undefined, { 'www-authenticate': 'Bearer' });
    }
    const actor = match[1].length <= 256 ? await this.keys.resolve(match[1]) : null;
    if (!actor) {
      await this.countFailure(request);
      throw new ProblemError('UNAUTHENTICATED', msg('auth.unknownKey'), undefined, { 'www-authenticate': 'Bearer error="invalid_token"' });
    }
    request.actor = actor;
    this.keys.touch(actor.apiKeyId);

    enforceRateDecision(reply, await this.rateLimiter.hit(actor.apiKeyId), (d) => msg('auth.rateLimited', { limit: d.limit, seconds: d.resetSeconds }));

    const kinds = this.reflector.getAllAndOverride<OrganizationKind[] | undefined>(ALLOWED_KINDS, targets);
    if (kinds && !kinds.includes(actor.kind)) {
      throw new ProblemError('FORBIDDEN', msg('auth.kindOnly', { kinds: kinds.join(', ') }));
    }
    return true;
  }

  /**
   * A failed key check counts against the client's address (AUTH_FAILURE_RATE_LIMIT_MAX a minute): past the limit
   * the answer is 429 instead of 401, so guessing keys is slow. A valid key from the same address is still served:
   * only failures are counted and refused.
   */
  private async countFailure(request: AuthenticatedRequest): Promise<void> {
    const decision = await this.rateLimiter.hitAddress('auth-failure', request.ip, this.config.authFailureRateLimitMax);
    if (decision && !decision.allowed) {
      throw new ProblemError('RATE_LIMITED', msg('auth.tooManyFailures', { limit: decision.limit, seconds: decision.resetSeconds }), undefined, {
        'retry-after': String(decision.resetSeconds),
      });
    }
  }
}
