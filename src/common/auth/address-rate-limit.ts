import { applyDecorators, CanActivate, ExecutionContext, Inject, Injectable, UseGuards } from '@nestjs/common';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { isIPv4, isIPv6 } from 'node:net';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { ProblemError } from '../problems/problem';
import { sendProblem } from '../problems/problem.filter';
import { RateDecision, RateLimiter } from './rate-limiter';

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
export const ADDRESS_RATE_LIMIT_WINDOW_MS = 60_000;

/** Counters of this limit live under `<prefix>:<scope>:<address key>:<window>` in Redis. */
const SCOPE = 'rl-addr';

/**
 * The key a client address counts under: an IPv4 address as it is (also when written IPv4-mapped, `::ffff:a.b.c.d`),
 * an IPv6 address by its /64 prefix — one subscriber's network, in which a client may pick a new address for every
 * request.
 */
export function clientAddressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped && isIPv4(mapped[1])) return mapped[1];
  if (isIPv4(ip)) return ip;
  const bare = ip.replace(/%.*$/, '');
  if (!isIPv6(bare)) return ip;
  const [head, tail = ''] = bare.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  // An embedded IPv4 tail (…:1.2.3.4) is the low 32 bits: outside the /64 either way.
  const groups = bare.includes('::') ? [...headGroups, ...Array(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill('0'), ...tailGroups] : headGroups;
  return `${groups
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}

/** Sets the RateLimit-* headers of a decision; throws 429 RATE_LIMITED (with Retry-After) when it refused. */
export function enforceRateDecision(reply: FastifyReply, decision: RateDecision | null, what: string): void {
  if (!decision) return;
  void reply.header('ratelimit-limit', decision.limit).header('ratelimit-remaining', decision.remaining).header('ratelimit-reset', decision.resetSeconds);
  if (!decision.allowed) {
    throw new ProblemError('RATE_LIMITED', `Rate limit of ${decision.limit} requests ${what} exceeded; retry after ${decision.resetSeconds} s`, undefined, {
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
    return this.limiter.count(SCOPE, clientAddressKey(ip), this.config.publicRateLimitMax, ADDRESS_RATE_LIMIT_WINDOW_MS);
  }

  /** Counts the request and sets its headers; throws 429 RATE_LIMITED when its address has used its minute. */
  async enforce(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    enforceRateDecision(reply, await this.hit(request.ip), 'a minute from one address');
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
export const LimitByAddress = (): MethodDecorator & ClassDecorator => applyDecorators(UseGuards(AddressRateLimitGuard));

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
