import { Module } from '@nestjs/common';
import { BrandsModule } from '../brands/brands.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { StatisticsModule } from '../statistics/statistics.module';
import { DashboardController } from './dashboard.controller';
import { DashboardService } from './dashboard.service';

/** The public pages' JSON (`/v1/public/*`); the website itself is mounted by website.ts. */
@Module({
  imports: [BrandsModule, StatisticsModule, OrganizationsModule],
  controllers: [DashboardController],
  providers: [DashboardService],
})
export class DashboardModule {}
