import { Module } from '@nestjs/common';
import { ACTOR_RESOLVER } from '../common/auth/actor-resolver';
import { ApiKeyResolver } from './api-key-resolver';
import { BootstrapAdmin, PlatformKeys } from './bootstrap';
import { OrganizationsController } from './organizations.controller';
import { OrganizationsRepository } from './organizations.repository';
import { OrganizationsService } from './organizations.service';

@Module({
  controllers: [OrganizationsController],
  providers: [OrganizationsRepository, OrganizationsService, ApiKeyResolver, { provide: ACTOR_RESOLVER, useExisting: ApiKeyResolver }, PlatformKeys, BootstrapAdmin],
  exports: [OrganizationsService, ACTOR_RESOLVER, PlatformKeys],
})
export class OrganizationsModule {}
