import { Module } from '@nestjs/common';
import { BrandsModule } from '../brands/brands.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { TraineesModule } from '../trainees/trainees.module';
import { PlacementsController } from './placements.controller';
import { PlacementsRepository } from './placements.repository';
import { PlacementsService } from './placements.service';

@Module({
  imports: [BrandsModule, TraineesModule, OrganizationsModule],
  controllers: [PlacementsController],
  providers: [PlacementsRepository, PlacementsService],
  exports: [PlacementsService],
})
export class PlacementsModule {}
