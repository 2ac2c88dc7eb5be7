import { DynamicModule, Module, Type } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PlatformReadAuditInterceptor } from './audit/platform-read-audit.interceptor';
import { BrandsModule } from './brands/brands.module';
import { CertificationsModule } from './certifications/certifications.module';
import { AuthGuard } from './common/auth/auth.guard';
import { CommonModule } from './common/common.module';
import { IdempotencyInterceptor } from './common/idempotency/idempotency.interceptor';
import type { AppConfig } from './config/config';
import { dataSourceOptions } from './database/data-source';
import { EventsAdminModule } from './events/events-admin.module';
import { EventsWorkerModule } from './events/events-worker.module';
import { HealthController } from './health/health.controller';
import { MaintenanceWorker } from './maintenance/maintenance.worker';
import { OrganizationsModule } from './organizations/organizations.module';
import { PlacementsModule } from './placements/placements.module';
import { StatisticsModule, StatisticsWorkerModule } from './statistics/statistics.module';
import { TraineesModule } from './trainees/trainees.module';

export interface Roles {
  api: boolean;
  worker: boolean;
}

/** Domain modules: their services serve both roles; their controllers only matter where HTTP is served. */
const DOMAIN_MODULES: Type[] = [OrganizationsModule, BrandsModule, TraineesModule, PlacementsModule, CertificationsModule, StatisticsModule];

@Module({})
class WorkerModule {}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, roles: Roles): DynamicModule {
    const imports: Array<Type | DynamicModule> = [
      CommonModule.forRoot(config),
      TypeOrmModule.forRoot({ ...dataSourceOptions(config.databaseUrl, config.databasePoolSize) }),
      ...DOMAIN_MODULES,
    ];
    if (roles.worker) imports.push({ module: WorkerModule, imports: [BrandsModule], providers: [MaintenanceWorker] }, EventsWorkerModule, StatisticsWorkerModule);
    if (roles.api) imports.push(EventsAdminModule);
    return {
      module: AppModule,
      imports,
      controllers: roles.api ? [HealthController] : [],
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
