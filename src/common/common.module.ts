import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AuditLog } from '../audit/audit-log';
import { APP_CONFIG, AppConfig } from '../config/config';
import { BullQueues } from '../events/bull-queues';
import { EventHandlers } from '../events/event-processing';
import { Outbox } from '../events/outbox';
import { Metrics } from '../health/metrics';
import { ApiKeyResolver } from './auth/api-key-cache';
import { PII_CIPHER, piiCipherProvider } from './crypto/pii.provider';
import { RateLimiter } from './auth/rate-limiter';
import { connectedRedis, REDIS } from './redis/redis';

class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** The cross-cutting pieces every domain module uses, provided once. */
@Global()
@Module({})
export class CommonModule {
  static forRoot(config: AppConfig): DynamicModule {
    const providers = [
      { provide: APP_CONFIG, useValue: config },
      { provide: REDIS, useFactory: () => connectedRedis(config.redisUrl, `labor-brands:${config.role}`) },
      RedisCloser,
      ApiKeyResolver,
      RateLimiter,
      AuditLog,
      Outbox,
      BullQueues,
      EventHandlers,
      Metrics,
      piiCipherProvider,
    ];
    return { module: CommonModule, providers, exports: [APP_CONFIG, REDIS, ApiKeyResolver, RateLimiter, AuditLog, Outbox, BullQueues, EventHandlers, Metrics, PII_CIPHER] };
  }
}
