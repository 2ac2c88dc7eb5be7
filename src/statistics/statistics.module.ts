import { Module } from '@nestjs/common';
import { BrandsModule } from '../brands/brands.module';
import { StatisticsCalculator } from './statistics.calculator';
import { StatisticsController } from './statistics.controller';
import { StatisticsService } from './statistics.service';
import { StatisticsWorker } from './statistics.worker';

@Module({
  imports: [BrandsModule],
  controllers: [StatisticsController],
  providers: [StatisticsCalculator, StatisticsService],
  exports: [StatisticsCalculator, StatisticsService],
})
export class StatisticsModule {}

/** Worker role: the processors that keep the read models fresh. */
@Module({
  imports: [StatisticsModule],
  providers: [StatisticsWorker],
})
export class StatisticsWorkerModule {}
