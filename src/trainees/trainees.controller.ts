import { Body, Controller, Get, HttpCode, Inject, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { Actor } from '../common/auth/actor';
import { AllowKinds, CurrentActor } from '../common/auth/decorators';
import { IfMatch } from '../common/http/if-match';
import { ApiProblems, STANDARD_AUTH_PROBLEMS, STANDARD_POST_PROBLEMS } from '../common/openapi/problems';
import { ProblemError } from '../common/problems/problem';
import { EmptyBody } from '../common/validation/empty-body';
import { UuidParam } from '../common/validation/validation';
import { APP_CONFIG, AppConfig } from '../config/config';
import { IDEMPOTENCY_HEADER } from '../common/idempotency/idempotency.openapi';
import { ExportTraineesQuery, ImportResultView, ListTraineesQuery, LookupTraineeDto, RegisterTraineeDto, TraineeList, TraineePage, TraineeView, UpdateTraineeDto } from './dto/trainee.dto';
import { importFileType, limitImportBody } from './import/import-body';
import { ApiRosterFileBody, ROSTER_FILE_DESCRIPTION } from './import/import-openapi';
import { TraineesService } from './trainees.service';
import type { Language } from '../common/i18n/language';
import { msg, render } from '../common/i18n/message';
import { RequestLanguage } from '../common/i18n/request-language';
import { ApiTabularFile } from '../common/openapi/tabular';
import { requireTabularFormat, sendTabularFile } from '../common/tabular/tabular-reply';
import { mapBatches } from '../common/tabular/tabular-stream';
import { chinaToday } from '../common/time/china-time';
import { rosterExportHeader, rosterExportRow } from './export/roster-export';

const ETAG = { ETag: { description: "The trainee's version, for If-Match", schema: { type: 'string' } } };

@ApiTags('Trainees')
@ApiBearerAuth()
@Controller('v1')
export class TraineesController {
  constructor(
    private readonly trainees: TraineesService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('brands/:brandId/trainees')
  @IDEMPOTENCY_HEADER
  @ApiOperation({ summary: "Register a trainee (the brand's operator)", description: 'Birth date and gender are derived from the identity number. Not under a revoked or expired brand (409 INVALID_TRANSITION).' })
  @ApiCreatedResponse({ type: TraineeView, headers: { Location: { description: 'URL of the trainee', schema: { type: 'string' } }, ...ETAG } })
  @ApiProblems(...STANDARD_POST_PROBLEMS, 403, 404, [409, '`DUPLICATE_TRAINEE` (one trainee per person per brand), `INVALID_TRANSITION` or `IDEMPOTENCY_IN_PROGRESS`'])
  async register(@CurrentActor() actor: Actor, @UuidParam('brandId') brandId: string, @Body() dto: RegisterTraineeDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<TraineeView> {
    const trainee = await this.trainees.register(actor, brandId, dto);
    void reply.header('location', `/v1/trainees/${trainee.id}`).header('etag', `"${trainee.version}"`);
    return trainee;
  }

  @Post('brands/:brandId/trainees/import')
  @HttpCode(200)
  @IDEMPOTENCY_HEADER
  @ApiRosterFileBody(`${ROSTER_FILE_DESCRIPTION} All rows are written in one transaction: a file that cannot be read writes nothing.`)
  @ApiOperation({ summary: "Bulk-register trainees from a file (the brand's operator)", description: 'Invalid rows are reported (row numbers count data rows from 1) and skipped; people already in the brand count as duplicates, so re-importing a file creates nothing new.' })
  @ApiOkResponse({ type: ImportResultView })
  @ApiProblems([400, '`INVALID_IMPORT_FILE` (no header, unknown or missing required column, undecodable text, not a workbook) or `VALIDATION_FAILED`'], 401, 403, 404, [409, '`INVALID_TRANSITION` (brand revoked or expired) or `IDEMPOTENCY_IN_PROGRESS`'], 413, 415, 422, 429, 503)
  async import(@CurrentActor() actor: Actor, @UuidParam('brandId') brandId: string, @Req() request: FastifyRequest, @RequestLanguage() language: Language): Promise<ImportResultView> {
    const file = importFileType(request.headers['content-type']);
    const body = request.body as Readable | undefined;
    if (!body || typeof body.pipe !== 'function') throw new ProblemError('UNSUPPORTED_MEDIA_TYPE', msg('import.mediaType'));
    const result = await this.trainees.import(actor, brandId, limitImportBody(body, request.headers['content-length'], this.config.importBodyLimitBytes), file);
    return { ...result, errors: result.errors.map((e) => ({ ...e, message: render(e.message, language) })) };
  }

  @Get('brands/:brandId/trainees')
  @ApiOperation({ summary: "A brand's trainees, newest first (its operator, bureaus with jurisdiction, the platform)" })
  @ApiOkResponse({ type: TraineePage })
  @ApiProblems(400, 403, 404, ...STANDARD_AUTH_PROBLEMS)
  list(@CurrentActor() actor: Actor, @UuidParam('brandId') brandId: string, @Query() query: ListTraineesQuery): Promise<TraineePage> {
    return this.trainees.list(actor, brandId, query);
  }

  @Get('brands/:brandId/trainees/export')
  @ApiOperation({
    summary: "Export a brand's trainees as CSV or .xlsx (its operator, bureaus with jurisdiction, the platform)",
    description:
      'Every trainee matching the filters of the list, newest first, in one file streamed as it is read (a million rows in constant memory). Columns: `id, fullName, nationalIdMasked, gender, birthDate, phoneMasked, targetGroups, cohort, expectedMonthlySalaryFen, status, registeredAt`: identity numbers and phones only masked, for every caller. With `Accept-Language: zh-CN` the heading row is in Chinese, in the names the importer reads back. Audited.',
  })
  @ApiTabularFile("The brand's trainees.")
  @ApiProblems(400, 403, 404, ...STANDARD_AUTH_PROBLEMS)
  async export(
    @CurrentActor() actor: Actor,
    @UuidParam('brandId') brandId: string,
    @Query() query: ExportTraineesQuery,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @RequestLanguage() language: Language,
  ): Promise<FastifyReply> {
    const format = requireTabularFormat(request.headers.accept);
    const { brand, batches } = await this.trainees.exportRoster(actor, brandId, query);
    return sendTabularFile(reply, {
      format,
      language,
      name: render(msg('export.rosterFile', { brand: brand.name, date: chinaToday() }), language),
      asciiName: `trainees-${brand.id}-${chinaToday()}`,
      table: { header: rosterExportHeader(language), batches: mapBatches(batches, (row) => rosterExportRow(row, language)), sheetName: render(msg('export.rosterSheet'), language) },
    });
  }

  @Post('trainees/lookup')
  @HttpCode(200)
  @AllowKinds('hr_firm')
  @IDEMPOTENCY_HEADER
  @ApiOperation({ summary: "Find the caller's own trainees by identity number", description: 'A POST so the number never appears in a URL or an access log. Looks up the keyed hash; answers only trainees of brands the caller operates.' })
  @ApiOkResponse({ type: TraineeList })
  @ApiProblems(...STANDARD_POST_PROBLEMS, 403, [409, '`IDEMPOTENCY_IN_PROGRESS`'])
  lookup(@CurrentActor() actor: Actor, @Body() dto: LookupTraineeDto): Promise<TraineeList> {
    return this.trainees.lookup(actor, dto.nationalId);
  }

  @Get('trainees/:id')
  @ApiOperation({ summary: 'One trainee', description: 'Visible to the operator, bureaus with jurisdiction, employers with a placement for the trainee, and the platform; 404 for anyone else. Only the operator sees `phone` in full.' })
  @ApiOkResponse({ type: TraineeView, headers: ETAG })
  @ApiProblems(400, 404, ...STANDARD_AUTH_PROBLEMS)
  async get(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<TraineeView> {
    const trainee = await this.trainees.get(actor, id);
    void reply.header('etag', `"${trainee.version}"`);
    return trainee;
  }

  @Patch('trainees/:id')
  @ApiHeader({ name: 'If-Match', required: false, description: 'The version you read; stale: 409 `VERSION_CONFLICT`' })
  @ApiOperation({ summary: 'Edit a trainee or change its status (operator)', description: 'The identity number cannot change (register the person anew). Status: registered → training → completed; any but placed → withdrawn.' })
  @ApiOkResponse({ type: TraineeView, headers: ETAG })
  @ApiProblems(400, 401, 403, 404, [409, '`INVALID_TRANSITION` or `VERSION_CONFLICT`'], 413, 415, 429, 503)
  async update(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @Body() dto: UpdateTraineeDto, @IfMatch() ifMatch: number | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<TraineeView> {
    const trainee = await this.trainees.update(actor, id, dto, ifMatch);
    void reply.header('etag', `"${trainee.version}"`);
    return trainee;
  }

  @Post('trainees/:id/erase')
  @HttpCode(200)
  @IDEMPOTENCY_HEADER
  @ApiOperation({ summary: 'Erase personal data for good (operator or platform)', description: 'Name, identity number, phone and the blind index are removed; the anonymous record stays (`erased: true`) so statistics do not change. Erasing twice is harmless. Audited.' })
  @ApiOkResponse({ type: TraineeView })
  @ApiProblems(...STANDARD_POST_PROBLEMS, 403, 404, [409, '`IDEMPOTENCY_IN_PROGRESS`'])
  erase(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @EmptyBody() _body: undefined): Promise<TraineeView> {
    return this.trainees.erase(actor, id);
  }
}
