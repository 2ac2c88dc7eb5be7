import { Inject, Injectable, Logger } from '@nestjs/common';
import { isIPv4, isIPv6 } from 'node:net';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { REDIS, type RedisClient } from '../redis/redis';
import { safeMessage } from '../logging/logger';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the current window ends. */
  resetSeconds: number;
}

// INCR and the first PEXPIRE in one step, so a counter can never be left without an expiry.
const INCREMENT = `local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n`;

/** The window of the per-address limits (API.md, Operations: so many a minute). */
const ADDRESS_WINDOW_MS = 60_000;

/** What a client address is counted for: failed key checks, or requests to routes that take no key. */
export type AddressBucket = 'auth-failure' | 'public';

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

/**
 * Fixed-window counters in Redis, shared by every API instance: per API key for authenticated requests, and per
 * client address for failed key checks and unauthenticated routes. When Redis does not answer a limit fails open:
 * refusing all traffic because a counter store is away would turn a cache outage into an API outage.
 */
@Injectable()
export class RateLimiter {
  private readonly logger = new Logger(RateLimiter.name);
  private lastWarning = 0;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Counts a request of an API key (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS); null when the limit is off or Redis is away. */
  hit(apiKeyId: string): Promise<RateDecision | null> {
    return this.count(`key:${apiKeyId}`, this.config.rateLimitMax, this.config.rateLimitWindowMs);
  }

  /** Counts an event of a client address in a bucket, `limit` a minute. */
  hitAddress(bucket: AddressBucket, address: string, limit: number): Promise<RateDecision | null> {
    return this.count(`${bucket}:${clientAddressKey(address)}`, limit, ADDRESS_WINDOW_MS);
  }

  private async count(subject: string, limit: number, windowMs: number): Promise<RateDecision | null> {
    if (limit === 0) return null;
    const now = Date.now();
    const window = Math.floor(now / windowMs);
    const resetSeconds = Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000));
    const key = `${this.config.redisPrefix}:rl:${subject}:${window}`;
    try {
      const count = Number(await this.redis.eval(INCREMENT, 1, key, String(windowMs + 1000)));
      return { allowed: count <= limit, limit, remaining: Math.max(0, limit - count), resetSeconds };
    } catch (err) {
      if (now - this.lastWarning > 10_000) {
        this.lastWarning = now;
        this.logger.warn(`rate limit not enforced: Redis did not answer (${safeMessage(err)})`);
      }
      return null;
    }
  }
}
