import { Body, Controller, Get, HttpCode, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Actor } from '../common/auth/actor';
import { AllowKinds, CurrentActor } from '../common/auth/decorators';
import { IfMatch } from '../common/http/if-match';
import { ApiProblems, STANDARD_AUTH_PROBLEMS, STANDARD_POST_PROBLEMS } from '../common/openapi/problems';
import { PageQuery } from '../common/pagination/pagination';
import { EmptyBody } from '../common/validation/empty-body';
import { UuidParam } from '../common/validation/validation';
import { IDEMPOTENCY_HEADER } from '../common/idempotency/idempotency.openapi';
import { BrandHistoryPage, BrandPage, BrandReasonDto, BrandView, CertifyBrandDto, CreateBrandDto, ListBrandsQuery, UpdateBrandDto } from './dto/brand.dto';
import { BrandsService, BureauDecision } from './brands.service';

const IF_MATCH = ApiHeader({ name: 'If-Match', required: false, description: 'The version you read (`3` or `"3"`); stale: 409 `VERSION_CONFLICT`' });
const ETAG = { ETag: { description: 'The brand\'s version, for If-Match', schema: { type: 'string' } } };
const TRANSITION_PROBLEMS = [...STANDARD_POST_PROBLEMS, [403, '`FORBIDDEN` (not the operator / not a bureau) or `OUT_OF_JURISDICTION`'] as [number, string], 404, [409, '`INVALID_TRANSITION`, `VERSION_CONFLICT` or `IDEMPOTENCY_IN_PROGRESS`'] as [number, string]];

function withEtag(reply: FastifyReply, brand: BrandView): BrandView {
  void reply.header('etag', `"${brand.version}"`);
  return brand;
}

@ApiTags('Brands')
@ApiBearerAuth()
@Controller('v1/brands')
export class BrandsController {
  constructor(private readonly brands: BrandsService) {}

  @Post()
  @AllowKinds('hr_firm')
  @IDEMPOTENCY_HEADER
  @ApiOperation({ summary: 'Create a draft brand (HR firms; the caller becomes its operator)' })
  @ApiCreatedResponse({ type: BrandView, headers: { Location: { description: 'URL of the brand', schema: { type: 'string' } }, ...ETAG } })
  @ApiProblems(...STANDARD_POST_PROBLEMS, 403, [409, '`IDEMPOTENCY_IN_PROGRESS`'])
  async create(@CurrentActor() actor: Actor, @Body() dto: CreateBrandDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<BrandView> {
    const brand = await this.brands.create(actor, dto);
    void reply.header('location', `/v1/brands/${brand.id}`);
    return withEtag(reply, brand);
  }

  @Get()
  @ApiOperation({
    summary: 'List brands the caller may see, newest first',
    description: 'Drafts and submitted brands appear only to their operator, covering bureaus and the platform. `q` matches every whitespace-separated word of it anywhere in the name (case-insensitive, Chinese included).',
  })
  @ApiOkResponse({ type: BrandPage })
  @ApiProblems(400, ...STANDARD_AUTH_PROBLEMS)
  list(@CurrentActor() actor: Actor, @Query() query: ListBrandsQuery): Promise<BrandPage> {
    return this.brands.list(actor, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One brand' })
  @ApiOkResponse({ type: BrandView, headers: ETAG })
  @ApiProblems(400, 404, ...STANDARD_AUTH_PROBLEMS)
  async get(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<BrandView> {
    return withEtag(reply, await this.brands.get(actor, id));
  }

  @Patch(':id')
  @IF_MATCH
  @ApiOperation({ summary: 'Edit a draft (operator only)', description: 'Any subset of the create fields; at least one.' })
  @ApiOkResponse({ type: BrandView, headers: ETAG })
  @ApiProblems(...TRANSITION_PROBLEMS.filter((s) => s !== 422))
  async update(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @Body() dto: UpdateBrandDto, @IfMatch() ifMatch: number | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<BrandView> {
    return withEtag(reply, await this.brands.update(actor, id, dto, ifMatch));
  }

  @Post(':id/submit')
  @HttpCode(200)
  @IDEMPOTENCY_HEADER
  @IF_MATCH
  @ApiOperation({ summary: 'Submit a draft for certification (operator): draft → submitted', description: 'No body.' })
  @ApiOkResponse({ type: BrandView, headers: ETAG })
  @ApiProblems(...TRANSITION_PROBLEMS)
  async submit(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @EmptyBody() _body: undefined, @IfMatch() ifMatch: number | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<BrandView> {
    return withEtag(reply, await this.brands.submit(actor, id, ifMatch));
  }

  @Post(':id/certify')
  @HttpCode(200)
  @IDEMPOTENCY_HEADER
  @IF_MATCH
  @ApiOperation({ summary: 'Certify (bureau with jurisdiction): submitted → certified' })
  @ApiOkResponse({ type: BrandView, headers: ETAG })
  @ApiProblems(...TRANSITION_PROBLEMS)
  async certify(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @Body() dto: CertifyBrandDto, @IfMatch() ifMatch: number | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<BrandView> {
    return withEtag(reply, await this.brands.decide(actor, id, 'certify', dto, ifMatch));
  }

  @Post(':id/reject')
  @HttpCode(200)
  @IDEMPOTENCY_HEADER
  @IF_MATCH
  @ApiOperation({ summary: 'Reject (bureau with jurisdiction): submitted → draft, the reason kept' })
  @ApiBody({ type: BrandReasonDto })
  @ApiOkResponse({ type: BrandView, headers: ETAG })
  @ApiProblems(...TRANSITION_PROBLEMS)
  reject(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @Body() dto: BrandReasonDto, @IfMatch() ifMatch: number | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<BrandView> {
    return this.reasoned(actor, id, 'reject', dto, ifMatch, reply);
  }

  @Post(':id/suspend')
  @HttpCode(200)
  @IDEMPOTENCY_HEADER
  @IF_MATCH
  @ApiOperation({ summary: 'Suspend (bureau with jurisdiction): certified → suspended' })
  @ApiOkResponse({ type: BrandView, headers: ETAG })
  @ApiProblems(...TRANSITION_PROBLEMS)
  suspend(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @Body() dto: BrandReasonDto, @IfMatch() ifMatch: number | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<BrandView> {
    return this.reasoned(actor, id, 'suspend', dto, ifMatch, reply);
  }

  @Post(':id/reinstate')
  @HttpCode(200)
  @IDEMPOTENCY_HEADER
  @IF_MATCH
  @ApiOperation({ summary: 'Reinstate (bureau with jurisdiction): suspended → certified' })
  @ApiOkResponse({ type: BrandView, headers: ETAG })
  @ApiProblems(...TRANSITION_PROBLEMS)
  reinstate(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @Body() dto: BrandReasonDto, @IfMatch() ifMatch: number | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<BrandView> {
    return this.reasoned(actor, id, 'reinstate', dto, ifMatch, reply);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @IDEMPOTENCY_HEADER
  @IF_MATCH
  @ApiOperation({ summary: 'Revoke (bureau with jurisdiction): certified or suspended → revoked (final)' })
  @ApiOkResponse({ type: BrandView, headers: ETAG })
  @ApiProblems(...TRANSITION_PROBLEMS)
  revoke(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @Body() dto: BrandReasonDto, @IfMatch() ifMatch: number | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<BrandView> {
    return this.reasoned(actor, id, 'revoke', dto, ifMatch, reply);
  }

  @Get(':id/history')
  @ApiOperation({ summary: 'Decisions on the brand, oldest first' })
  @ApiOkResponse({ type: BrandHistoryPage })
  @ApiProblems(400, 404, ...STANDARD_AUTH_PROBLEMS)
  history(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @Query() query: PageQuery): Promise<BrandHistoryPage> {
    return this.brands.history(actor, id, query);
  }

  private async reasoned(actor: Actor, id: string, action: BureauDecision, dto: BrandReasonDto, ifMatch: number | undefined, reply: FastifyReply): Promise<BrandView> {
    return withEtag(reply, await this.brands.decide(actor, id, action, dto, ifMatch));
  }
}
