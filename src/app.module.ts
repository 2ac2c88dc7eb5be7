import { DynamicModule, Module, Type } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from './audit/audit.module';
import { PlatformReadAuditInterceptor } from './audit/platform-read-audit.interceptor';
import { BrandsModule } from './brands/brands.module';
import { CertificationsModule } from './certifications/certifications.module';
import { AuthGuard } from './common/auth/auth.guard';
import { CommonModule } from './common/common.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { IdempotencyInterceptor } from './common/idempotency/idempotency.interceptor';
import { QueueWorkersModule } from './common/queue/queue.module';
import type { AppConfig } from './config/config';
import { dataSourceOptions } from './database/data-source';
import { DIRECT_DATA_SOURCE } from './database/transactions';
import { ENTITIES } from './entities';
import { EventsAdminModule, EventsModule, EventsWorkerModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { OrganizationsModule } from './organizations/organizations.module';
import { PlacementsModule } from './placements/placements.module';
import { StatisticsModule } from './statistics/statistics.module';
import { TraineesModule } from './trainees/trainees.module';
import { WebhooksModule, WebhooksWorkerModule } from './webhooks/webhooks.module';

export interface Roles {
  api: boolean;
  worker: boolean;
}

/**
 * The modules with their services and jobs, in both roles: their controllers only matter where HTTP is served,
 * their `@QueueJob` classes only where the worker role runs them.
 */
const DOMAIN_MODULES: Type[] = [AuditModule, EventsModule, OrganizationsModule, BrandsModule, TraineesModule, PlacementsModule, CertificationsModule, StatisticsModule, WebhooksModule];

/** The composition root: which modules run in which role (API, workers, or both in one process). */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, roles: Roles): DynamicModule {
    const imports: Array<Type | DynamicModule> = [
      CommonModule.forRoot(config, roles.api || roles.worker),
      TypeOrmModule.forRoot(dataSourceOptions(config.databaseUrl, config.databasePoolSize, ENTITIES, config.databasePooled)),
      ...DOMAIN_MODULES,
    ];
    // Behind PgBouncer, long transactions get a small session pool on Postgres itself (Transactions.runLong).
    if (config.databasePooled && roles.api) {
      imports.push(TypeOrmModule.forRoot({ ...dataSourceOptions(config.databaseDirectUrl, config.databaseDirectPoolSize, ENTITIES), name: DIRECT_DATA_SOURCE }));
    }
    if (roles.worker) imports.push(QueueWorkersModule, EventsWorkerModule, WebhooksWorkerModule);
    if (roles.api) imports.push(HealthModule, EventsAdminModule, DashboardModule);
    return {
      module: AppModule,
      imports,
      providers: roles.api
        ? [
            { provide: APP_GUARD, useClass: AuthGuard },
            { provide: APP_INTERCEPTOR, useClass: PlatformReadAuditInterceptor },
            { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
          ]
        : [],
    };
  }
}
