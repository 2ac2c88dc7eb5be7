import { Body, Controller, Delete, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Actor } from '../common/auth/actor';
import { AllowKinds, CurrentActor } from '../common/auth/decorators';
import { IDEMPOTENCY_HEADER } from '../common/idempotency/idempotency.openapi';
import { ApiProblems, STANDARD_AUTH_PROBLEMS, STANDARD_POST_PROBLEMS } from '../common/openapi/problems';
import { PageQuery } from '../common/pagination/pagination';
import { EmptyBody } from '../common/validation/empty-body';
import { UuidParam } from '../common/validation/validation';
import {
  ApiKeyPage,
  ApiKeyView,
  CreatedApiKeyView,
  CreatedOrganizationView,
  CreateOrganizationDto,
  ListOrganizationsQuery,
  MeView,
  OrganizationPage,
  OrganizationView,
} from './dto/organization.dto';
import { OrganizationsService, presentOrganization } from './organizations.service';

@ApiTags('Organizations and keys')
@ApiBearerAuth()
@Controller('v1')
export class OrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Post('organizations')
  @AllowKinds('platform')
  @IDEMPOTENCY_HEADER
  @ApiOperation({ summary: 'Create an organization with its first API key (platform only)', description: 'The secret of the key is shown in this response only; the service keeps its SHA-256.' })
  @ApiCreatedResponse({ type: CreatedOrganizationView, headers: { Location: { description: 'URL of the new organization', schema: { type: 'string' } } } })
  @ApiProblems(...STANDARD_POST_PROBLEMS, 403, [409, '`DUPLICATE_CREDIT_CODE`, or `IDEMPOTENCY_IN_PROGRESS`'])
  async create(@CurrentActor() actor: Actor, @Body() dto: CreateOrganizationDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<CreatedOrganizationView> {
    const created = await this.organizations.createOrganization(actor, dto);
    void reply.header('location', `/v1/organizations/${created.organization.id}`);
    return created;
  }

  @Get('organizations')
  @ApiOperation({ summary: 'List organizations (public facts), newest first' })
  @ApiOkResponse({ type: OrganizationPage })
  @ApiProblems(400, ...STANDARD_AUTH_PROBLEMS)
  list(@Query() query: ListOrganizationsQuery): Promise<OrganizationPage> {
    return this.organizations.listOrganizations(query);
  }

  @Get('organizations/:id')
  @ApiOperation({ summary: 'One organization (public facts)' })
  @ApiOkResponse({ type: OrganizationView })
  @ApiProblems(400, 404, ...STANDARD_AUTH_PROBLEMS)
  async get(@UuidParam('id') id: string): Promise<OrganizationView> {
    return presentOrganization(await this.organizations.getOrganization(id));
  }

  @Get('me')
  @ApiOperation({ summary: 'The organization and key making the call' })
  @ApiOkResponse({ type: MeView })
  @ApiProblems(...STANDARD_AUTH_PROBLEMS)
  async me(@CurrentActor() actor: Actor): Promise<MeView> {
    return { organization: presentOrganization(await this.organizations.getOrganization(actor.organizationId)), apiKeyId: actor.apiKeyId };
  }

  @Post('organizations/:id/api-keys')
  @IDEMPOTENCY_HEADER
  @ApiOperation({ summary: 'Create another API key (the platform, or the organization itself)', description: 'The request has no body (or `{}`; any field is a 400). The secret is shown once.' })
  @ApiCreatedResponse({ type: CreatedApiKeyView, headers: { Location: { description: 'URL of the new key', schema: { type: 'string' } } } })
  @ApiProblems(...STANDARD_POST_PROBLEMS, 403, 404, [409, '`IDEMPOTENCY_IN_PROGRESS`'])
  async createKey(
    @CurrentActor() actor: Actor,
    @UuidParam('id') id: string,
    @EmptyBody() _body: undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CreatedApiKeyView> {
    const key = await this.organizations.createApiKey(actor, id);
    void reply.header('location', `/v1/organizations/${id}/api-keys/${key.id}`);
    return key;
  }

  @Get('organizations/:id/api-keys')
  @ApiOperation({ summary: "The organization's keys, newest first; never a secret" })
  @ApiOkResponse({ type: ApiKeyPage })
  @ApiProblems(400, 403, 404, ...STANDARD_AUTH_PROBLEMS)
  listKeys(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @Query() query: PageQuery): Promise<ApiKeyPage> {
    return this.organizations.listApiKeys(actor, id, query);
  }

  @Get('organizations/:id/api-keys/:keyId')
  @ApiOperation({ summary: 'One key; never its secret' })
  @ApiOkResponse({ type: ApiKeyView })
  @ApiProblems(400, 403, 404, ...STANDARD_AUTH_PROBLEMS)
  getKey(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @UuidParam('keyId') keyId: string): Promise<ApiKeyView> {
    return this.organizations.getApiKey(actor, id, keyId);
  }

  @Delete('organizations/:id/api-keys/:keyId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a key', description: 'Within 1 s every instance answers 401 to the key. Revoking a revoked key is a no-op (204).' })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiProblems(400, 403, 404, ...STANDARD_AUTH_PROBLEMS)
  revokeKey(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @UuidParam('keyId') keyId: string): Promise<void> {
    return this.organizations.revokeApiKey(actor, id, keyId);
  }
}
