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
 * Fixed-window counter per API key in Redis, shared by every API instance. When Redis does not answer the
 * limit fails open: refusing all traffic because a counter store is away would turn a cache outage into an
 * API outage.
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
    const { rateLimitMax: limit, rateLimitWindowMs: windowMs, redisPrefix } = this.config;
    if (limit === 0) return null;
    const now = Date.now();
    const window = Math.floor(now / windowMs);
    const resetSeconds = Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000));
    try {
      const count = Number(await this.redis.eval(INCREMENT, 1, `${redisPrefix}:rl:${apiKeyId}:${window}`, String(windowMs + 1000)));
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
