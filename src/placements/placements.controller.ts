import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Actor } from '../common/auth/actor';
import { AllowKinds, CurrentActor } from '../common/auth/decorators';
import { IfMatch } from '../common/http/if-match';
import { ApiProblems, STANDARD_AUTH_PROBLEMS, STANDARD_POST_PROBLEMS } from '../common/openapi/problems';
import { PageQuery } from '../common/pagination/pagination';
import { EmptyBody } from '../common/validation/empty-body';
import { UuidParam } from '../common/validation/validation';
import { IDEMPOTENCY_HEADER } from '../common/idempotency/idempotency.openapi';
import { ConfirmPlacementDto, EndPlacementDto, ListPlacementsQuery, PlacementEventPage, PlacementPage, PlacementReasonDto, PlacementView, ProposePlacementDto, SalaryChangeDto } from './dto/placement.dto';
import { PlacementsService } from './placements.service';

const IF_MATCH = ApiHeader({ name: 'If-Match', required: false, description: 'The version you read; stale: 409 `VERSION_CONFLICT`' });
const ETAG = { ETag: { description: "The placement's version, for If-Match", schema: { type: 'string' } } };
const ACTION_PROBLEMS: Array<number | [number, string]> = [
  ...STANDARD_POST_PROBLEMS,
  [403, '`FORBIDDEN`: you can see the placement but this action is for another party'],
  404,
  [409, '`INVALID_TRANSITION` (also for the loser of concurrent transitions), `VERSION_CONFLICT` or `IDEMPOTENCY_IN_PROGRESS`'],
];

function tagged(reply: FastifyReply, placement: PlacementView): PlacementView {
  void reply.header('etag', `"${placement.version}"`);
  return placement;
}

@ApiTags('Placements')
@ApiBearerAuth()
@Controller('v1/placements')
export class PlacementsController {
  constructor(private readonly placements: PlacementsService) {}

  @Post()
  @AllowKinds('hr_firm')
  @IDEMPOTENCY_HEADER
  @ApiOperation({ summary: "Propose a placement (the operator of the trainee's brand)", description: 'The brand must be certified (409 `BRAND_NOT_CERTIFIED`); the trainee may have no other proposed or confirmed placement (409 `TRAINEE_HAS_OPEN_PLACEMENT`); `employerId` must name an employer (400).' })
  @ApiCreatedResponse({ type: PlacementView, headers: { Location: { description: 'URL of the placement', schema: { type: 'string' } }, ...ETAG } })
  @ApiProblems(...STANDARD_POST_PROBLEMS, 403, [404, 'The trainee does not exist or is not visible to you'], [409, '`BRAND_NOT_CERTIFIED`, `TRAINEE_HAS_OPEN_PLACEMENT`, `INVALID_TRANSITION` (withdrawn or erased trainee) or `IDEMPOTENCY_IN_PROGRESS`'])
  async propose(@CurrentActor() actor: Actor, @Body() dto: ProposePlacementDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<PlacementView> {
    const placement = await this.placements.propose(actor, dto);
    void reply.header('location', `/v1/placements/${placement.id}`);
    return tagged(reply, placement);
  }

  @Get()
  @ApiOperation({ summary: 'Placements in your scope, newest first', description: "An HR firm sees its brands' placements, an employer those naming it, a bureau those of brands in its jurisdiction, the platform all." })
  @ApiOkResponse({ type: PlacementPage })
  @ApiProblems(400, ...STANDARD_AUTH_PROBLEMS)
  list(@CurrentActor() actor: Actor, @Query() query: ListPlacementsQuery): Promise<PlacementPage> {
    return this.placements.list(actor, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One placement' })
  @ApiOkResponse({ type: PlacementView, headers: ETAG })
  @ApiProblems(400, 404, ...STANDARD_AUTH_PROBLEMS)
  async get(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<PlacementView> {
    return tagged(reply, await this.placements.get(actor, id));
  }

  @Get(':id/events')
  @ApiOperation({ summary: "The placement's event timeline, oldest first" })
  @ApiOkResponse({ type: PlacementEventPage })
  @ApiProblems(400, 404, ...STANDARD_AUTH_PROBLEMS)
  events(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @Query() query: PageQuery): Promise<PlacementEventPage> {
    return this.placements.events(actor, id, query);
  }

  @Post(':id/confirm')
  @HttpCode(200)
  @IDEMPOTENCY_HEADER
  @IF_MATCH
  @ApiOperation({ summary: 'Confirm (the named employer): proposed → confirmed', description: 'Optionally with the agreed salary and start date. The trainee becomes `placed`.' })
  @ApiOkResponse({ type: PlacementView, headers: ETAG })
  @ApiProblems(...ACTION_PROBLEMS)
  async confirm(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @Body() dto: ConfirmPlacementDto, @IfMatch() ifMatch: number | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<PlacementView> {
    return tagged(reply, await this.placements.confirm(actor, id, dto, ifMatch));
  }

  @Post(':id/reject')
  @HttpCode(200)
  @IDEMPOTENCY_HEADER
  @IF_MATCH
  @ApiOperation({ summary: 'Reject (the named employer): proposed → rejected' })
  @ApiOkResponse({ type: PlacementView, headers: ETAG })
  @ApiProblems(...ACTION_PROBLEMS)
  async reject(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @Body() dto: PlacementReasonDto, @IfMatch() ifMatch: number | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<PlacementView> {
    return tagged(reply, await this.placements.reject(actor, id, dto.reason, ifMatch));
  }

  @Post(':id/withdraw')
  @HttpCode(200)
  @IDEMPOTENCY_HEADER
  @IF_MATCH
  @ApiOperation({ summary: "Withdraw (the brand's operator): proposed → withdrawn", description: 'No body.' })
  @ApiOkResponse({ type: PlacementView, headers: ETAG })
  @ApiProblems(...ACTION_PROBLEMS)
  async withdraw(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @EmptyBody() _body: undefined, @IfMatch() ifMatch: number | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<PlacementView> {
    return tagged(reply, await this.placements.withdraw(actor, id, ifMatch));
  }

  @Post(':id/end')
  @HttpCode(200)
  @IDEMPOTENCY_HEADER
  @IF_MATCH
  @ApiOperation({ summary: "End the job (the employer or the brand's operator): confirmed → ended", description: 'The trainee returns to `completed`.' })
  @ApiOkResponse({ type: PlacementView, headers: ETAG })
  @ApiProblems(...ACTION_PROBLEMS)
  async end(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @Body() dto: EndPlacementDto, @IfMatch() ifMatch: number | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<PlacementView> {
    return tagged(reply, await this.placements.end(actor, id, dto, ifMatch));
  }

  @Post(':id/salary-changes')
  @HttpCode(200)
  @IDEMPOTENCY_HEADER
  @IF_MATCH
  @ApiOperation({ summary: 'Report a salary change (the employer) on a confirmed placement', description: 'Kept in the salary history; the current salary is the one with the latest effective date. Answers the updated placement.' })
  @ApiOkResponse({ type: PlacementView, headers: ETAG })
  @ApiProblems(...ACTION_PROBLEMS)
  async changeSalary(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @Body() dto: SalaryChangeDto, @IfMatch() ifMatch: number | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<PlacementView> {
    return tagged(reply, await this.placements.changeSalary(actor, id, dto, ifMatch));
  }
}
