import { Module } from '@nestjs/common';
import { BrandsController } from './brands.controller';
import { BrandsRepository } from './brands.repository';
import { BrandsService } from './brands.service';
import { ExpireBrandsJob } from './jobs/expire-brands.job';

@Module({
  controllers: [BrandsController],
  providers: [BrandsRepository, BrandsService, ExpireBrandsJob],
  exports: [BrandsService],
})
export class BrandsModule {}
