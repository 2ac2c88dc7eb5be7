import { ApiProperty, ApiPropertyOptional, PartialType, PickType } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, Min, Validate } from 'class-validator';
import { fieldMessage } from '../../common/validation/validation';
import { OCCUPATION_CODE } from '../../brands/brand.rules';
import { CalendarDate } from '../../common/validation/dates';
import { PageOf, PageQuery } from '../../common/pagination/pagination';
import { IsRegionCode } from '../../common/validation/identifiers';
import { PLACEMENT_STATUSES, PlacementStatus, SALARY_PERIODS, SalaryPeriod } from '../placement.rules';

/** CNY 1 billion a year, in fen: far above any real salary, well inside 2^53 even × 12. */
export const MAX_SALARY_FEN = 100_000_000_000;

/** A salary as given: an amount for a period. */
class SalaryTerms {
  @ApiProperty({ example: 1_500_000, description: 'Salary in fen for the period', minimum: 1 })
  @IsInt()
  @Min(1)
  @Max(MAX_SALARY_FEN)
  salaryFen: number;

  @ApiProperty({ enum: SALARY_PERIODS })
  @IsIn(SALARY_PERIODS)
  salaryPeriod: SalaryPeriod;
}

export class ProposePlacementDto extends SalaryTerms {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  traineeId: string;

  @ApiProperty({ format: 'uuid', description: 'An organization of kind employer' })
  @IsUUID()
  employerId: string;

  @ApiProperty({ example: 'AI数据标注工程师', maxLength: 200 })
  @IsString()
  @Length(1, 200)
  jobTitle: string;

  @ApiPropertyOptional({ example: '4-04-05-05', description: "Defaults to the brand's occupation" })
  @IsOptional()
  @Matches(OCCUPATION_CODE, { message: fieldMessage('field.occupationCode') })
  occupationCode?: string;

  @ApiProperty({ example: '310104' })
  @IsRegionCode()
  workRegionCode: string;

  @ApiProperty({ format: 'date', example: '2026-12-01' })
  @Validate(CalendarDate)
  startDate: string;
}

/** The agreed terms when they differ from the proposal; without any, the placement is confirmed as proposed. */
export class ConfirmPlacementDto extends PartialType(PickType(ProposePlacementDto, ['salaryFen', 'salaryPeriod', 'startDate'] as const)) {}

export class PlacementReasonDto {
  @ApiProperty({ maxLength: 2000 })
  @IsString()
  @Length(1, 2000)
  reason: string;
}

export class EndPlacementDto {
  @ApiProperty({ format: 'date', description: 'Last working day: not before the start date, not after today (China)' })
  @Validate(CalendarDate)
  endDate: string;

  @ApiProperty({ maxLength: 2000, example: 'contract ended' })
  @IsString()
  @Length(1, 2000)
  reason: string;
}

export class SalaryChangeDto extends SalaryTerms {
  @ApiProperty({ format: 'date', description: 'From when the salary applies: not before the start date, not in the future' })
  @Validate(CalendarDate)
  effectiveDate: string;
}

export class ListPlacementsQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() brandId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() employerId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() traineeId?: string;
  @ApiPropertyOptional({ enum: PLACEMENT_STATUSES }) @IsOptional() @IsIn(PLACEMENT_STATUSES) status?: PlacementStatus;
}

export class PlacementView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) traineeId: string;
  @ApiProperty({ format: 'uuid' }) brandId: string;
  @ApiProperty({ format: 'uuid' }) employerId: string;
  @ApiProperty({ format: 'uuid' }) proposedById: string;
  @ApiProperty() jobTitle: string;
  @ApiProperty({ nullable: true, type: String }) occupationCode: string | null;
  @ApiProperty() workRegionCode: string;
  @ApiProperty({ description: 'Current salary for its period, fen' }) salaryFen: number;
  @ApiProperty({ enum: SALARY_PERIODS }) salaryPeriod: SalaryPeriod;
  @ApiProperty({ description: 'salaryFen × 12 for monthly salaries' }) annualSalaryFen: number;
  @ApiProperty({ format: 'date' }) startDate: string;
  @ApiProperty({ enum: PLACEMENT_STATUSES }) status: PlacementStatus;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) confirmedAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'When a proposal was rejected or withdrawn, or the job ended' }) closedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) rejectReason: string | null;
  @ApiProperty({ format: 'date', nullable: true, type: String, description: 'Last working day' }) endDate: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) endedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) endReason: string | null;
  @ApiProperty() version: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class PlacementPage extends PageOf(PlacementView) {}

export class PlacementEventView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'placement.confirmed' }) type: string;
  @ApiProperty({ format: 'date-time' }) occurredAt: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) actorOrganizationId: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Ids and facts; never personal data' }) data: Record<string, unknown>;
}

export class PlacementEventPage extends PageOf(PlacementEventView) {}
