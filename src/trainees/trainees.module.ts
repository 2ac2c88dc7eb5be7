import { Module } from '@nestjs/common';
import { BrandsModule } from '../brands/brands.module';
import { TraineesController } from './trainees.controller';
import { TraineesRepository } from './trainees.repository';
import { TraineesService } from './trainees.service';
import { TraineeImportsController } from './imports/trainee-imports.controller';
import { TraineeImportsRepository } from './imports/trainee-imports.repository';
import { IMPORT_RUNS, TraineeImportsService } from './imports/trainee-imports.service';
import { BullImportRuns, RequeueStalledImportsJob, RunTraineeImportJob } from './jobs/run-trainee-import.job';

@Module({
  imports: [BrandsModule],
  controllers: [TraineesController, TraineeImportsController],
  providers: [
    TraineesRepository,
    TraineesService,
    TraineeImportsRepository,
    TraineeImportsService,
    { provide: IMPORT_RUNS, useClass: BullImportRuns },
    RunTraineeImportJob,
    RequeueStalledImportsJob,
  ],
  exports: [TraineesService],
})
export class TraineesModule {}
