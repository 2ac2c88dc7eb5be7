import { Module } from '@nestjs/common';
import { BrandsModule } from '../brands/brands.module';
import { TraineesController } from './trainees.controller';
import { TraineesRepository } from './trainees.repository';
import { TraineesService } from './trainees.service';

@Module({
  imports: [BrandsModule],
  controllers: [TraineesController],
  providers: [TraineesRepository, TraineesService],
  exports: [TraineesService],
})
export class TraineesModule {}
