import { Module } from '@nestjs/common';
import { HealthController } from './health.controller';

/** Liveness, readiness and the Prometheus scrape (API role). */
@Module({ controllers: [HealthController] })
export class HealthModule {}
