import { applyDecorators, CanActivate, ExecutionContext, Inject, Injectable, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { msg, type Message } from '../i18n/message';
import { ApiProblem } from '../openapi/problems';
import { ProblemError } from '../problems/problem';
import { sendProblem } from '../problems/problem.filter';
import { RateDecision, RateLimiter } from './rate-limiter';

export { clientAddressKey } from './rate-limiter';

/**
 * The rate limit of the routes anyone may call without a key (API.md, Operations): `PUBLIC_RATE_LIMIT_MAX`
 * requests a minute per client address, shared by every API instance through Redis. Two ways to put a route under
 * it: `@LimitByAddress()` on a Nest controller or handler, `addressRateLimitHook(limiter)` as the `onRequest` hook
 * of a route registered on Fastify directly (the website's pages and assets). Either answers 429 `RATE_LIMITED`
 * with `Retry-After` once the address has used its minute, and sends `RateLimit-Limit`, `RateLimit-Remaining` and
 * `RateLimit-Reset` on every answer it lets through.
 *
 * The address is the TCP peer's (`request.ip`): behind a proxy, configure Fastify's `trustProxy` so that it is the
 * client's.
 */
/** Sets the RateLimit-* headers of a decision; throws 429 RATE_LIMITED (with Retry-After) when it refused. */
export function enforceRateDecision(reply: FastifyReply, decision: RateDecision | null, refusal: (d: RateDecision) => Message): void {
  if (!decision) return;
  void reply.header('ratelimit-limit', decision.limit).header('ratelimit-remaining', decision.remaining).header('ratelimit-reset', decision.resetSeconds);
  if (!decision.allowed) {
    throw new ProblemError('RATE_LIMITED', refusal(decision), undefined, {
      'retry-after': String(decision.resetSeconds),
    });
  }
}

@Injectable()
export class AddressRateLimiter {
  constructor(
    private readonly limiter: RateLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Counts one request from `ip`; null when the limit is off or Redis did not answer (the limit fails open). */
  hit(ip: string): Promise<RateDecision | null> {
    return this.limiter.hitAddress('public', ip, this.config.publicRateLimitMax);
  }

  /** Counts the request and sets its headers; throws 429 RATE_LIMITED when its address has used its minute. */
  async enforce(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    enforceRateDecision(reply, await this.hit(request.ip), (d) => msg('rateLimit.address', { limit: d.limit, seconds: d.resetSeconds }));
  }
}

@Injectable()
export class AddressRateLimitGuard implements CanActivate {
  constructor(private readonly limiter: AddressRateLimiter) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    await this.limiter.enforce(http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
    return true;
  }
}

/** Puts a Nest controller or handler that needs no key under the per-address limit. */
export const LimitByAddress = (): MethodDecorator & ClassDecorator =>
  applyDecorators(UseGuards(AddressRateLimitGuard), ApiProblem(429, '`RATE_LIMITED`: this address has used its requests of the minute (`PUBLIC_RATE_LIMIT_MAX`); see `Retry-After`'));

/** The same limit for a route registered on Fastify directly: its `onRequest` hook. */
export function addressRateLimitHook(limiter: AddressRateLimiter): onRequestHookHandler {
  return async (request, reply) => {
    try {
      await limiter.enforce(request, reply);
    } catch (err) {
      sendProblem(err, request, reply);
      return reply;
    }
  };
}
