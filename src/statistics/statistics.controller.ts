import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../common/auth/actor';
import { CurrentActor } from '../common/auth/decorators';
import { ApiProblems, STANDARD_AUTH_PROBLEMS } from '../common/openapi/problems';
import { requireRegionCode } from '../common/validation/identifiers';
import { UuidParam } from '../common/validation/validation';
import { ExportBrandStatisticsQuery, BrandStatisticsPage, BrandStatisticsView, ListBrandStatisticsQuery, RegionStatisticsView } from './dto/statistics.dto';
import { StatisticsService } from './statistics.service';
import type { Language } from '../common/i18n/language';
import { msg, render } from '../common/i18n/message';
import { RequestLanguage } from '../common/i18n/request-language';
import { ApiTabularFile } from '../common/openapi/tabular';
import { requireTabularFormat, sendTabularFile } from '../common/tabular/tabular-reply';
import { mapBatches } from '../common/tabular/tabular-stream';
import { chinaToday } from '../common/time/china-time';
import { statisticsExportHeader, statisticsExportRow } from './statistics-export';

const DEFINITIONS =
  'Computed by the workers from events and exact: quartiles and median are Postgres `percentile_cont` (linear interpolation; an even count\'s median is the mean of the two middle values) over the current annual salary of active placements, each rounded to the nearest fen. With fewer than 5 salaries every salary figure and `medianSalaryUpliftPct` are null (`suppressed: true`) except for the operator, bureaus with jurisdiction and the platform. Readers without that privilege see means rounded to whole CNY 1,000 a year, and a region\'s salary figures withheld where subtracting the brands and sub-regions shown inside it would isolate the salaries of suppressed brands (complementary suppression). Visible within about 1 s of the commit; figures that move with time alone (retention, expiry) are refreshed daily.';

@ApiTags('Statistics')
@ApiBearerAuth()
@Controller('v1')
export class StatisticsController {
  constructor(private readonly statistics: StatisticsService) {}

  @Get('brands/:id/statistics')
  @ApiOperation({ summary: "A brand's figures (whoever may see the brand)", description: DEFINITIONS })
  @ApiOkResponse({ type: BrandStatisticsView })
  @ApiProblems(400, 404, ...STANDARD_AUTH_PROBLEMS)
  forBrand(@CurrentActor() actor: Actor, @UuidParam('id') id: string): Promise<BrandStatisticsView> {
    return this.statistics.forBrand(actor, id);
  }

  @Get('statistics/brands')
  @ApiOperation({ summary: 'Figures of public brands, filtered and sorted, keyset-paginated in the chosen order', description: `${DEFINITIONS} Default order: traineeCount, descending; ties by brand id.` })
  @ApiOkResponse({ type: BrandStatisticsPage })
  @ApiProblems(400, ...STANDARD_AUTH_PROBLEMS)
  list(@CurrentActor() actor: Actor, @Query() query: ListBrandStatisticsQuery): Promise<BrandStatisticsPage> {
    return this.statistics.list(actor, query);
  }

  @Get('statistics/brands/export')
  @ApiOperation({
    summary: 'Export the figures of public brands as CSV or .xlsx, filtered and sorted as the list',
    description: `One row per public brand, in the list's order, every figure of its items as a column (nested ones as \`traineesByStatus.placed\`, \`salary.medianAnnualFen\`); a figure the list withholds from you is an empty cell, exactly as in JSON. ${DEFINITIONS}`,
  })
  @ApiTabularFile('The brands and their figures.')
  @ApiProblems(400, ...STANDARD_AUTH_PROBLEMS)
  async export(
    @CurrentActor() actor: Actor,
    @Query() query: ExportBrandStatisticsQuery,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @RequestLanguage() language: Language,
  ): Promise<FastifyReply> {
    const format = requireTabularFormat(request.headers.accept);
    const pages = await this.statistics.exportPages(actor, query);
    const date = chinaToday();
    return sendTabularFile(reply, {
      format,
      language,
      name: render(msg('export.statisticsFile', { date }), language),
      asciiName: `brand-statistics-${date}`,
      table: { header: statisticsExportHeader(language), batches: mapBatches(pages, statisticsExportRow), sheetName: render(msg('export.statisticsSheet'), language) },
    });
  }

  @Get('statistics/regions/:regionCode')
  @ApiParam({ name: 'regionCode', example: '310000', description: 'GB/T 2260 code; covers codes as a jurisdiction does (100000: the nation)' })
  @ApiOperation({ summary: "A region's figures over the public brands it covers", description: 'A true median over all their active placements (never a median of medians), fresh within 5 s. Suppression as for a brand; covering bureaus and the platform are privileged.' })
  @ApiOkResponse({ type: RegionStatisticsView })
  @ApiProblems(400, ...STANDARD_AUTH_PROBLEMS)
  forRegion(@CurrentActor() actor: Actor, @Param('regionCode') regionCode: string): Promise<RegionStatisticsView> {
    return this.statistics.forRegion(actor, requireRegionCode(regionCode));
  }
}
