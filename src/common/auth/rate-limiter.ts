import { Inject, Injectable, Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { REDIS } from '../redis/redis';
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
 * Fixed-window counters in Redis, shared by every API instance: per API key for authenticated requests, and per
 * client address for failed key checks and unauthenticated routes. When Redis does not answer a limit fails open:
 * refusing all traffic because a counter store is away would turn a cache outage into an API outage.
 */
@Injectable()
export class RateLimiter {
  private readonly logger = new Logger(RateLimiter.name);
  private lastWarning = 0;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Counts a request of an API key (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS); null when the limit is off or Redis is away. */
  hit(apiKeyId: string): Promise<RateDecision | null> {
    return this.count(`key:${apiKeyId}`, this.config.rateLimitMax, this.config.rateLimitWindowMs);
  }

  /** Counts an event of a client address in a bucket, `limit` a minute. */
  hitAddress(bucket: AddressBucket, address: string, limit: number): Promise<RateDecision | null> {
    return this.count(`${bucket}:${address}`, limit, ADDRESS_WINDOW_MS);
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
