import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length, Matches, MaxLength, Validate } from 'class-validator';
import { PageOf, PageQuery } from '../../common/pagination/pagination';
import { IsRegionCode } from '../../common/validation/identifiers';
import { BRAND_ACTIONS, BRAND_LEVELS, BRAND_STATUSES, BrandLevel, BrandStatus, OCCUPATION_CODE } from '../brand.rules';
import { CalendarDate, FutureDate } from '../../common/validation/dates';
import { fieldMessage } from '../../common/validation/validation';

export class CreateBrandDto {
  @ApiProperty({ example: '徐汇AI训练师', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiProperty({ example: '4-04-05-05', description: 'National occupational classification code, `D-DD-DD-DD`' })
  @IsString()
  @Matches(OCCUPATION_CODE, { message: fieldMessage('field.occupationCode') })
  occupationCode: string;

  @ApiProperty({ example: '人工智能训练师', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  occupationName: string;

  @ApiProperty({ example: '信息技术', minLength: 1, maxLength: 100 })
  @IsString()
  @Length(1, 100)
  sector: string;

  @ApiProperty({ example: '310104', description: 'GB/T 2260 code of the region the brand belongs to' })
  @IsRegionCode()
  regionCode: string;

  @ApiPropertyOptional({ maxLength: 5000, nullable: true, type: String })
  @IsOptional()
  @IsString()
  @MaxLength(5000)
  description?: string | null;
}

/**
 * Every field of a draft may change; at least one must be sent. A field may be left out, but `null` is only for
 * those that may be empty (description): `skipNullProperties: false` keeps validating a `null` name.
 */
export class UpdateBrandDto extends PartialType(CreateBrandDto, { skipNullProperties: false }) {}

export class CertifyBrandDto {
  @ApiProperty({ enum: BRAND_LEVELS })
  @IsIn(BRAND_LEVELS)
  level: BrandLevel;

  @ApiProperty({ example: '2029-12-31', description: 'Last day of validity (inclusive, China date); must be after today' })
  @Validate(CalendarDate)
  @Validate(FutureDate)
  validUntil: string;
}

export class BrandReasonDto {
  @ApiProperty({ example: 'Placement records incomplete for 2026 Q3', minLength: 1, maxLength: 2000 })
  @IsString()
  @Length(1, 2000)
  reason: string;
}

export class ListBrandsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: BRAND_STATUSES, description: '`expired` includes certified brands past validUntil not yet recorded by the job' })
  @IsOptional()
  @IsIn(BRAND_STATUSES)
  status?: BrandStatus;

  @ApiPropertyOptional({ description: 'Region code prefix, 2–6 digits', example: '3101' })
  @IsOptional()
  @Matches(/^\d{2,6}$/, { message: fieldMessage('field.regionPrefix') })
  regionCode?: string;

  @ApiPropertyOptional({ example: '4-04-05-05' })
  @IsOptional()
  @Matches(OCCUPATION_CODE, { message: fieldMessage('field.occupationCode') })
  occupationCode?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  operatorId?: string;

  @ApiPropertyOptional({ description: 'Words of the name (whitespace-separated, each must occur; Chinese included)', maxLength: 100 })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  q?: string;
}

export class BrandView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ example: '4-04-05-05' }) occupationCode: string;
  @ApiProperty() occupationName: string;
  @ApiProperty() sector: string;
  @ApiProperty({ example: '310104' }) regionCode: string;
  @ApiProperty({ format: 'uuid' }) operatorId: string;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({ enum: BRAND_STATUSES }) status: BrandStatus;
  @ApiProperty({ nullable: true, type: String, description: 'Reason given with the latest reject, suspend, reinstate or revoke' }) statusReason: string | null;
  @ApiProperty({ enum: BRAND_LEVELS, nullable: true }) level: BrandLevel | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) certifiedById: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) certifiedAt: string | null;
  @ApiProperty({ format: 'date', nullable: true, type: String }) validUntil: string | null;
  @ApiProperty({ example: 1 }) version: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class BrandPage extends PageOf(BrandView) {}

export class BrandDecisionView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: BRAND_ACTIONS }) action: string;
  @ApiProperty({ enum: BRAND_STATUSES, nullable: true }) fromStatus: BrandStatus | null;
  @ApiProperty({ enum: BRAND_STATUSES }) toStatus: BrandStatus;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'Null for the scheduler (expire)' }) actorOrganizationId: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) actorApiKeyId: string | null;
  @ApiProperty({ nullable: true, type: String }) reason: string | null;
  @ApiProperty({ format: 'date-time' }) at: string;
}

export class BrandHistoryPage extends PageOf(BrandDecisionView) {}
