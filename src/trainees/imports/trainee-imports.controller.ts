import { Controller, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import type { Actor } from '../../common/auth/actor';
import { CurrentActor } from '../../common/auth/decorators';
import type { Language } from '../../common/i18n/language';
import { msg } from '../../common/i18n/message';
import { RequestLanguage } from '../../common/i18n/request-language';
import { IDEMPOTENCY_HEADER } from '../../common/idempotency/idempotency.openapi';
import { ApiProblems, STANDARD_AUTH_PROBLEMS, STANDARD_POST_PROBLEMS } from '../../common/openapi/problems';
import { PageQuery } from '../../common/pagination/pagination';
import { ProblemError } from '../../common/problems/problem';
import { EmptyBody } from '../../common/validation/empty-body';
import { UuidParam } from '../../common/validation/validation';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { importFileType, limitImportBody } from '../import/import-body';
import { ApiRosterFileBody, ROSTER_FILE_DESCRIPTION } from '../import/import-openapi';
import { CreateTraineeImportQuery, TraineeImportPage, TraineeImportView } from './trainee-import.dto';
import { TraineeImportsService } from './trainee-imports.service';

@ApiTags('Trainee imports')
@ApiBearerAuth()
@Controller('v1')
export class TraineeImportsController {
  constructor(
    private readonly imports: TraineeImportsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('brands/:brandId/trainee-imports')
  @HttpCode(202)
  @IDEMPOTENCY_HEADER
  @ApiRosterFileBody(`${ROSTER_FILE_DESCRIPTION} Up to 1,000,000 rows. The file is stored encrypted until the import ends; its rows are read by a worker.`)
  @ApiOperation({
    summary: "Import trainees from a large file, with progress (the brand's operator)",
    description: 'Answered once the file is stored, before its rows are read. An unreadable file is accepted and the import ends `failed` with `failure.code` `INVALID_IMPORT_FILE`, nothing written.',
  })
  @ApiAcceptedResponse({ type: TraineeImportView, headers: { Location: { description: 'URL of the import', schema: { type: 'string' } } } })
  @ApiProblems(...STANDARD_POST_PROBLEMS, 403, 404, [409, '`INVALID_TRANSITION` (brand revoked or expired) or `IDEMPOTENCY_IN_PROGRESS`'])
  async create(
    @CurrentActor() actor: Actor,
    @UuidParam('brandId') brandId: string,
    @Query() query: CreateTraineeImportQuery,
    @Req() request: FastifyRequest,
    @RequestLanguage() language: Language,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TraineeImportView> {
    const file = importFileType(request.headers['content-type']);
    const body = request.body as Readable | undefined;
    if (!body || typeof body.pipe !== 'function') throw new ProblemError('UNSUPPORTED_MEDIA_TYPE', msg('import.mediaType'));
    const row = await this.imports.create(actor, brandId, limitImportBody(body, request.headers['content-length'], this.config.importBodyLimitBytes), file, query.fileName ?? null);
    void reply.header('location', `/v1/trainee-imports/${row.id}`);
    return this.imports.present(row, language);
  }

  @Get('brands/:brandId/trainee-imports')
  @ApiOperation({ summary: "A brand's imports, newest first (its operator)" })
  @ApiOkResponse({ type: TraineeImportPage })
  @ApiProblems(400, 403, 404, ...STANDARD_AUTH_PROBLEMS)
  list(@CurrentActor() actor: Actor, @UuidParam('brandId') brandId: string, @Query() query: PageQuery, @RequestLanguage() language: Language): Promise<TraineeImportPage> {
    return this.imports.list(actor, brandId, query, language);
  }

  @Get('trainee-imports/:id')
  @ApiOperation({ summary: 'An import and its progress (the operator of its brand)', description: 'While running, `progress` and the counters move at least once a second.' })
  @ApiOkResponse({ type: TraineeImportView })
  @ApiProblems(400, 404, ...STANDARD_AUTH_PROBLEMS)
  async get(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @RequestLanguage() language: Language): Promise<TraineeImportView> {
    return this.imports.present(await this.imports.get(actor, id), language);
  }

  @Post('trainee-imports/:id/cancel')
  @HttpCode(200)
  @IDEMPOTENCY_HEADER
  @ApiOperation({ summary: 'Stop a queued or running import', description: 'Rows already written stay and are counted; the stored file is deleted. An import already ended: 409 `INVALID_TRANSITION`.' })
  @ApiOkResponse({ type: TraineeImportView })
  @ApiProblems(...STANDARD_POST_PROBLEMS, 404, [409, '`INVALID_TRANSITION` (the import has ended) or `IDEMPOTENCY_IN_PROGRESS`'])
  async cancel(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @EmptyBody() _body: undefined, @RequestLanguage() language: Language): Promise<TraineeImportView> {
    return this.imports.present(await this.imports.cancel(actor, id), language);
  }

  @Get('trainee-imports/:id/errors')
  @ApiProduces('text/csv')
  @ApiOperation({
    summary: "An import's error report (CSV)",
    description: 'UTF-8 with a BOM (Excel opens it): columns `row,field,code,message`, every rejected row, messages in the language asked for (Accept-Language). Never an identity number or phone.',
  })
  @ApiOkResponse({
    description: 'The report, streamed',
    content: { 'text/csv': { schema: { type: 'string', example: '\uFEFFrow,field,code,message\r\n3,nationalId,INVALID_NATIONAL_ID,nationalId is not a valid identity number: the check character is wrong\r\n' } } },
    headers: { 'Content-Disposition': { description: 'attachment; filename="…-errors.csv"', schema: { type: 'string' } } },
  })
  @ApiProblems(400, 404, ...STANDARD_AUTH_PROBLEMS)
  async errors(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @RequestLanguage() language: Language, @Res() reply: FastifyReply): Promise<void> {
    await this.imports.get(actor, id);
    await reply
      .status(200)
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="trainee-import-${id}-errors.csv"`)
      .send(Readable.from(this.imports.errorReport(id, language)));
  }
}
