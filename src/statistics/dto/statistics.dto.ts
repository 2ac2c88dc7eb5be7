import { ApiProperty, ApiPropertyOptional, IntersectionType, OmitType, PickType } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { BRAND_LEVELS, BRAND_STATUSES, type BrandLevel, type BrandStatus } from '../../brands/brand.rules';
import { ListBrandsQuery } from '../../brands/dto/brand.dto';
import { PageOf } from '../../common/pagination/pagination';

export class SalaryView {
  @ApiProperty({ description: 'Active (confirmed, not ended) placements counted' }) sampleSize: number;
  @ApiProperty({ nullable: true, type: Number, description: 'percentile_cont(0.5) of current annual salaries, fen, rounded to the nearest fen' }) medianAnnualFen: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'percentile_cont(0.25), linear interpolation' }) p25AnnualFen: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'percentile_cont(0.75), linear interpolation' }) p75AnnualFen: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Arithmetic mean, rounded to the nearest fen for privileged readers (the operator, bureaus with jurisdiction, the platform) and to whole CNY 1,000 a year (100,000 fen) for everyone else, so that means published before and after a change cannot be differenced into one salary' }) meanAnnualFen: number | null;
  @ApiProperty({ description: 'True when you are not privileged and either sampleSize < 5 or (for a region) subtracting the figures published for the brands and sub-regions inside it would isolate the salaries of brands whose own figures are suppressed (complementary suppression): the salary figures are then null' }) suppressed: boolean;
}

export class TraineesByStatusView {
  @ApiProperty() registered: number;
  @ApiProperty() training: number;
  @ApiProperty() completed: number;
  @ApiProperty() placed: number;
  @ApiProperty() withdrawn: number;
}

export class BrandStatisticsView {
  @ApiProperty({ format: 'uuid' }) brandId: string;
  @ApiProperty({ description: "All the brand's trainees, erased ones included" }) traineeCount: number;
  @ApiProperty({ type: TraineesByStatusView }) traineesByStatus: TraineesByStatusView;
  @ApiProperty({ description: 'Trainees holding an active, unexpired certification' }) certifiedTraineeCount: number;
  @ApiProperty({ nullable: true, type: Number, description: 'certifiedTraineeCount / traineeCount (0–1); null without trainees' }) certificationRate: number | null;
  @ApiProperty({ description: 'Trainees who have had a confirmed placement (active or ended)' }) placedTraineeCount: number;
  @ApiProperty({ nullable: true, type: Number, description: 'placedTraineeCount / traineeCount (0–1); null without trainees' }) placementRate: number | null;
  @ApiProperty() activePlacementCount: number;
  @ApiProperty() endedPlacementCount: number;
  @ApiProperty({ description: 'Distinct employers of confirmed placements (active or ended)' }) employerCount: number;
  @ApiProperty({ type: SalaryView }) salary: SalaryView;
  @ApiProperty({ nullable: true, type: Number, description: 'Median over trainees with an active placement and an expected salary of (current monthly ÷ expected monthly − 1) × 100; suppressed with the salary' }) medianSalaryUpliftPct: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Median days (fractional) from registration to first confirmation' }) medianDaysToPlacement: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'Of placements confirmed at least 6 calendar months ago, the share not ended within 6 months of confirmation; null when none is old enough' }) retention6mRate: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'As retention6mRate, over 12 months' }) retention12mRate: number | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'Time of the newest event included' }) asOf: string | null;
  @ApiProperty({ format: 'date-time' }) computedAt: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) lastEventId: string | null;
}

export class BrandStatisticsListItem extends BrandStatisticsView {
  @ApiProperty() brandName: string;
  @ApiProperty() regionCode: string;
  @ApiProperty() occupationCode: string;
}

export class BrandStatisticsPage extends PageOf(BrandStatisticsListItem) {}

export const STATISTICS_SORTS = ['medianAnnualFen', 'placementRate', 'traineeCount', 'placedTraineeCount'] as const;
export type StatisticsSort = (typeof STATISTICS_SORTS)[number];

/** The brand list's paging and its region and occupation filters, and a sort by the figures. */
export class ListBrandStatisticsQuery extends PickType(ListBrandsQuery, ['limit', 'cursor', 'regionCode', 'occupationCode'] as const) {
  @ApiPropertyOptional({ enum: STATISTICS_SORTS, default: 'traineeCount', description: 'Brands without a value (or whose salary is suppressed) come last in either order' })
  @IsOptional()
  @IsIn(STATISTICS_SORTS)
  sort?: StatisticsSort;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';
}

/** The list's filters and sort, without its paging: an export holds every matching brand. */
export class ExportBrandStatisticsQuery extends OmitType(ListBrandStatisticsQuery, ['limit', 'cursor'] as const) {}

export class RegionStatisticsView {
  @ApiProperty() regionCode: string;
  @ApiProperty() brandCount: number;
  @ApiProperty() traineeCount: number;
  @ApiProperty() placedTraineeCount: number;
  @ApiProperty() activePlacementCount: number;
  @ApiProperty({ type: SalaryView }) salary: SalaryView;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) asOf: string | null;
  @ApiProperty({ format: 'date-time' }) computedAt: string;
}

/** The public directory's query: the filters and sorts of `/v1/statistics/brands`, and a search by name. */
export class ListPublicBrandsQuery extends IntersectionType(ListBrandStatisticsQuery, PickType(ListBrandsQuery, ['q'] as const)) {}

export class PublicBrandListItem extends BrandStatisticsListItem {
  @ApiProperty({ example: '人工智能训练师' }) occupationName: string;
  @ApiProperty({ enum: BRAND_STATUSES, description: 'As readers see it: a certified brand past validUntil reads `expired`' }) status: BrandStatus;
  @ApiProperty({ enum: BRAND_LEVELS, nullable: true }) level: BrandLevel | null;
}

export class PublicBrandPage extends PageOf(PublicBrandListItem) {}

export class DistributionBucketView {
  @ApiProperty({ description: 'Lower edge (inclusive) of the annual salaries counted, fen; a multiple of 100000 (CNY 1,000)' }) fromFen: number;
  @ApiProperty({ description: 'Upper edge (exclusive), fen; a merged bucket spans several bucketWidthFen' }) toFen: number;
  @ApiProperty({ minimum: 5, description: 'People (active placements) whose annual salary lies in [fromFen, toFen); never fewer than 5' }) count: number;
}

export class SalaryDistributionView {
  @ApiProperty({ example: 1_000_000, description: 'Width the salaries were binned by, fen: CNY 1,000, 2,000, 5,000, 10,000, … a year, chosen so that the middle 90 % of salaries spans at most 12 bins' })
  bucketWidthFen: number;
  @ApiProperty({ type: [DistributionBucketView], description: 'Ascending and disjoint; a bin of fewer than 5 people is merged into the nearer neighbour until none is left; bins nobody falls in are left out' })
  buckets: DistributionBucketView[];
  @ApiProperty({ description: 'Active placements counted (as `salary.sampleSize` of the figures)' }) sampleSize: number;
  @ApiProperty({ description: 'True with fewer than 5 active placements: `buckets` is then empty' }) suppressed: boolean;
}

export class MonthCountView {
  @ApiProperty({ example: '2026-03', description: 'Calendar month, China time' }) month: string;
  @ApiProperty({ description: 'Placements confirmed in the month (whether or not they have ended since)' }) confirmed: number;
  @ApiProperty({ description: 'Placements whose last working day (endDate) falls in the month' }) ended: number;
}

export class PlacementsByMonthView {
  @ApiProperty({ type: [MonthCountView], description: 'Oldest first: every month from the first with a confirmation or an end through the current month, months without either as zeros; empty without any placement' })
  items: MonthCountView[];
}
