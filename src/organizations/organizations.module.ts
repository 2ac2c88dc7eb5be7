import { Module } from '@nestjs/common';
import { BootstrapAdmin } from './bootstrap';
import { OrganizationsController } from './organizations.controller';
import { OrganizationsService } from './organizations.service';

@Module({
  controllers: [OrganizationsController],
  providers: [OrganizationsService, BootstrapAdmin],
  exports: [OrganizationsService],
})
export class OrganizationsModule {}
