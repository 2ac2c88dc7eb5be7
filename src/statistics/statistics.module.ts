import { Module } from '@nestjs/common';
import { BrandsModule } from '../brands/brands.module';
import { RecomputeBrandJob, RecomputeRegionJob, StatisticsScheduler } from './jobs/recompute.jobs';
import { ReconcileJob, RefreshAllJob } from './jobs/upkeep.jobs';
import { StatisticsCalculator } from './statistics.calculator';
import { StatisticsController } from './statistics.controller';
import { StatisticsMetrics } from './statistics.metrics';
import { StatisticsRepository } from './statistics.repository';
import { StatisticsService } from './statistics.service';

@Module({
  imports: [BrandsModule],
  controllers: [StatisticsController],
  providers: [
    StatisticsRepository,
    StatisticsCalculator,
    StatisticsService,
    StatisticsMetrics,
    StatisticsScheduler,
    RecomputeBrandJob,
    RecomputeRegionJob,
    RefreshAllJob,
    ReconcileJob,
  ],
  exports: [StatisticsCalculator, StatisticsService],
})
export class StatisticsModule {}
