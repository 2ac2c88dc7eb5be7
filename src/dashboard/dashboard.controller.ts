import { Controller, Get, Header, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { LimitByAddress } from '../common/auth/address-rate-limit';
import { Public } from '../common/auth/decorators';
import { ApiProblems } from '../common/openapi/problems';
import { requireRegionCode } from '../common/validation/identifiers';
import { UuidParam } from '../common/validation/validation';
import {
  ListPublicBrandsQuery,
  PlacementsByMonthView,
  PublicBrandPage,
  RegionStatisticsView,
  SalaryDistributionView,
} from '../statistics/dto/statistics.dto';
import { StatisticsService } from '../statistics/statistics.service';
import { DashboardService } from './dashboard.service';
import { OccupationsView, PublicBrandDetailView } from './dto/dashboard.dto';

const PUBLIC =
  'No key: answers every caller as it answers a key with no privilege (only public brands — not drafts or submitted ones, which are 404 — and salary figures of fewer than 5 salaries suppressed). ' +
  'Limited per client address to `PUBLIC_RATE_LIMIT_MAX` requests a minute (default 600; 429 `RATE_LIMITED` with `Retry-After`, `RateLimit-*` headers on every answer). ' +
  'Answers carry `Access-Control-Allow-Origin: *`, so other sites may show the figures.';
const NO_KEY = { security: [] };

/** The JSON the public pages read (API.md, Public pages): anyone may call it, without a key. */
@ApiTags('Public pages')
@Public()
@LimitByAddress()
@Controller('v1/public')
export class DashboardController {
  constructor(
    private readonly dashboard: DashboardService,
    private readonly statistics: StatisticsService,
  ) {}

  @Get('brands')
  @Header('access-control-allow-origin', '*')
  @ApiOperation({
    ...NO_KEY,
    summary: 'The directory of public brands with their figures, filtered, searched and sorted, keyset-paginated in that order',
    description:
      `The filters and sorts of \`GET /v1/statistics/brands\` (default order: traineeCount, descending; ties by brand id; brands without a value, or whose salary is suppressed, last in either order), and \`q\`: every whitespace-separated word of it occurs in the name (case-insensitive, Chinese included). Items add the brand's \`occupationName\`, \`status\` and \`level\`. ${PUBLIC}`,
  })
  @ApiOkResponse({ type: PublicBrandPage })
  @ApiProblems(400, 429, 503)
  brands(@Query() query: ListPublicBrandsQuery): Promise<PublicBrandPage> {
    return this.statistics.listPublic(query);
  }

  @Get('brands/:id')
  @Header('access-control-allow-origin', '*')
  @ApiOperation({ ...NO_KEY, summary: 'A public brand with its operator, certifier, figures and whole certification history', description: PUBLIC })
  @ApiOkResponse({ type: PublicBrandDetailView })
  @ApiProblems(400, [404, '`NOT_FOUND`: no such brand, or one not public yet (draft, submitted)'], 429, 503)
  brand(@UuidParam('id') id: string): Promise<PublicBrandDetailView> {
    return this.dashboard.brand(id);
  }

  @Get('brands/:id/salary-distribution')
  @Header('access-control-allow-origin', '*')
  @ApiOperation({
    ...NO_KEY,
    summary: "A public brand's distribution of current annual salaries (active placements), with no bucket of fewer than 5 people",
    description:
      'Read from the tallies (how many salaries fall in each CNY 1,000 band), never from the placements, and current to the last commit. The salaries are binned by `bucketWidthFen` (CNY 1,000, 2,000, 5,000, 10,000, … a year, the narrowest that spreads the middle 90 % of them over at most 12 bins); ' +
      'then every bin of fewer than 5 people is merged into its nearer neighbour (on a tie the smaller, then the lower) until none is left, so a bucket may span several widths (`toFen`). Bins nobody falls in are left out. Every edge is a multiple of CNY 1,000, so no bucket places a salary more finely than that. ' +
      `With fewer than 5 active placements nothing is shown: \`suppressed: true\`, \`buckets: []\`. ${PUBLIC}`,
  })
  @ApiOkResponse({ type: SalaryDistributionView })
  @ApiProblems(400, [404, '`NOT_FOUND`: no such brand, or one not public yet'], 429, 503)
  salaryDistribution(@UuidParam('id') id: string): Promise<SalaryDistributionView> {
    return this.statistics.salaryDistribution(null, id);
  }

  @Get('brands/:id/placements-by-month')
  @Header('access-control-allow-origin', '*')
  @ApiOperation({
    ...NO_KEY,
    summary: "A public brand's placements confirmed and ended in each month, oldest first",
    description: `Months in China time: a placement counts as confirmed in the month of its confirmation and as ended in the month of its last working day (\`endDate\`). Read from the tallies, current to the last commit. ${PUBLIC}`,
  })
  @ApiOkResponse({ type: PlacementsByMonthView })
  @ApiProblems(400, [404, '`NOT_FOUND`: no such brand, or one not public yet'], 429, 503)
  async placementsByMonth(@UuidParam('id') id: string): Promise<PlacementsByMonthView> {
    return { items: await this.statistics.placementsByMonth(null, id) };
  }

  @Get('regions/:regionCode')
  @Header('access-control-allow-origin', '*')
  @ApiParam({ name: 'regionCode', example: '310000', description: 'GB/T 2260 code; covers codes as a jurisdiction does (100000: the nation)' })
  @ApiOperation({
    ...NO_KEY,
    summary: "A region's roll-up over the public brands it covers",
    description: `As \`GET /v1/statistics/regions/{regionCode}\` answers a key with no privilege (salary figures suppressed under 5 salaries). Its brands: \`GET /v1/public/brands?regionCode=\` with the code's prefix. ${PUBLIC}`,
  })
  @ApiOkResponse({ type: RegionStatisticsView })
  @ApiProblems([400, '`INVALID_REGION_CODE`'], 429, 503)
  region(@Param('regionCode') regionCode: string): Promise<RegionStatisticsView> {
    return this.statistics.forRegion(null, requireRegionCode(regionCode));
  }

  @Get('occupations')
  @Header('access-control-allow-origin', '*')
  @ApiOperation({ ...NO_KEY, summary: 'The occupations of the public brands, with how many brands each (the directory\'s occupation filter)', description: PUBLIC })
  @ApiOkResponse({ type: OccupationsView })
  @ApiProblems(429, 503)
  occupations(): Promise<OccupationsView> {
    return this.dashboard.occupations();
  }
}
