import { Inject, Injectable, Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { REDIS } from '../redis/redis';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the current window ends. */
  resetSeconds: number;
}

// INCR and the first PEXPIRE in one step, so a counter can never be left without an expiry.
const INCREMENT = `local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n`;

/**
 * Fixed-window counters in Redis, shared by every API instance: per API key, and per client address on the routes
 * that need no key (address-rate-limit.ts). When Redis does not answer the limit fails open: refusing all traffic
 * because a counter store is away would turn a cache outage into an API outage.
 */
@Injectable()
export class RateLimiter {
  private readonly logger = new Logger(RateLimiter.name);
  private lastWarning = 0;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async hit(apiKeyId: string): Promise<RateDecision | null> {
    return this.count('rl', apiKeyId, this.config.rateLimitMax, this.config.rateLimitWindowMs);
  }

  /**
   * Counts one request of `id` in the current fixed window of `windowMs` under `scope` (a limit of its own, e.g. per
   * API key or per client address); null when the limit is off (`limit` 0) or Redis did not answer.
   */
  async count(scope: string, id: string, limit: number, windowMs: number): Promise<RateDecision | null> {
    if (limit === 0) return null;
    const now = Date.now();
    const window = Math.floor(now / windowMs);
    const resetSeconds = Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000));
    try {
      const count = Number(await this.redis.eval(INCREMENT, 1, `${this.config.redisPrefix}:${scope}:${id}:${window}`, String(windowMs + 1000)));
      return { allowed: count <= limit, limit, remaining: Math.max(0, limit - count), resetSeconds };
    } catch (err) {
      if (now - this.lastWarning > 10_000) {
        this.lastWarning = now;
        this.logger.warn(`rate limit not enforced: Redis did not answer (${(err as Error).message})`);
      }
      return null;
    }
  }
}
