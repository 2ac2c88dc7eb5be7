import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config';
import { DatabaseHealth } from '../database/database-health';
import { Transactions } from '../database/transactions';
import { AddressRateLimiter, AddressRateLimitGuard } from './auth/address-rate-limit';
import { RateLimiter } from './auth/rate-limiter';
import { PII_CIPHER, piiCipherProvider } from './crypto/pii.provider';
import { IdempotencyRepository } from './idempotency/idempotency.repository';
import { PurgeIdempotencyKeysJob } from './idempotency/purge-idempotency-keys.job';
import { Metrics } from './metrics/metrics';
import { MetricsServer } from './metrics/metrics-server';
import { BullQueues } from './queue/bull-queues';
import { QueueMetrics } from './queue/queue-metrics';
import { closeRedisClient, connectedRedis, REDIS, type RedisClient } from './redis/redis';

class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}
  async onApplicationShutdown(): Promise<void> {
    await closeRedisClient(this.redis);
  }
}

/** The cross-cutting pieces every module uses, provided once for the whole application. */
@Global()
@Module({})
export class CommonModule {
  /** `serveMetrics`: false for the command-line tools, which must not take the metrics port of a running service. */
  static forRoot(config: AppConfig, serveMetrics = true): DynamicModule {
    const exported = [
      { provide: APP_CONFIG, useValue: config },
      { provide: REDIS, useFactory: () => connectedRedis(config.redis, `labor-brands:${config.role}`) },
      piiCipherProvider,
      Transactions,
      DatabaseHealth,
      RateLimiter,
      AddressRateLimiter,
      AddressRateLimitGuard,
      Metrics,
      BullQueues,
      IdempotencyRepository,
    ];
    return {
      module: CommonModule,
      providers: [...exported, RedisCloser, QueueMetrics, ...(serveMetrics ? [MetricsServer] : []), PurgeIdempotencyKeysJob],
      exports: [APP_CONFIG, REDIS, PII_CIPHER, Transactions, DatabaseHealth, RateLimiter, AddressRateLimiter, AddressRateLimitGuard, Metrics, ...(serveMetrics ? [MetricsServer] : []), BullQueues, IdempotencyRepository],
    };
  }
}
