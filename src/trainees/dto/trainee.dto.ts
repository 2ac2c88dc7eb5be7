import { ApiProperty, ApiPropertyOptional, PartialType, PickType } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayUnique, IsArray, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { fieldMessage } from '../../common/validation/validation';
import { PageOf, PageQuery } from '../../common/pagination/pagination';
import { IsNationalId } from '../../common/validation/identifiers';
import { MAX_COHORT_LENGTH, MAX_NAME_LENGTH, MAX_SALARY_FEN } from '../registration';
import { TARGET_GROUPS, TargetGroup, TRAINEE_STATUSES, TraineeStatus } from '../trainee.rules';

const MOBILE = /^1[3-9]\d{9}$/;

export class RegisterTraineeDto {
  @ApiProperty({ example: '张伟', maxLength: MAX_NAME_LENGTH })
  @IsString()
  @Length(1, MAX_NAME_LENGTH)
  fullName: string;

  @ApiProperty({ example: '11010519491231002X', description: 'Resident identity number, 18 characters, checksum verified (GB 11643-1999). Input only: stored encrypted, shown masked.' })
  @IsString()
  @IsNationalId()
  nationalId: string;

  @ApiPropertyOptional({ example: '13812341234', description: '11-digit mainland mobile number; stored encrypted', nullable: true, type: String })
  @IsOptional()
  @IsString()
  @Matches(MOBILE, { message: fieldMessage('field.mobile') })
  phone?: string | null;

  @ApiPropertyOptional({ enum: TARGET_GROUPS, isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(TARGET_GROUPS.length)
  @ArrayUnique()
  @IsIn(TARGET_GROUPS, { each: true })
  targetGroups?: TargetGroup[];

  @ApiPropertyOptional({ example: '2026春季班', maxLength: MAX_COHORT_LENGTH, nullable: true, type: String })
  @IsOptional()
  @IsString()
  @Length(1, MAX_COHORT_LENGTH)
  cohort?: string | null;

  @ApiPropertyOptional({ example: 1_200_000, description: 'Expected monthly salary in fen', minimum: 0, nullable: true, type: Number })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_SALARY_FEN)
  expectedMonthlySalaryFen?: number | null;
}

/** The register body's fields but the identity number (a person is registered anew instead); `null` clears an optional one. */
export class UpdateTraineeDto extends PartialType(PickType(RegisterTraineeDto, ['fullName', 'phone', 'targetGroups', 'cohort', 'expectedMonthlySalaryFen'] as const), {
  // Left out is unchanged; `null` only clears a field that may be empty (phone, cohort, expected salary).
  skipNullProperties: false,
}) {
  // Any status is a valid value here; whether the move is allowed is the state machine's call (409), so that
  // asking for `placed` (the system's to set) answers INVALID_TRANSITION with the reason, not a bare enum error.
  @ApiPropertyOptional({
    enum: TRAINEE_STATUSES,
    description: 'registered → training → completed; any but placed → withdrawn. `placed` is set by the system (asking for it: 409 `INVALID_TRANSITION`).',
  })
  @IsOptional()
  @IsIn(TRAINEE_STATUSES)
  status?: TraineeStatus;
}

export class LookupTraineeDto {
  @ApiProperty({ example: '11010519491231002X' })
  @IsString()
  @IsNationalId()
  nationalId: string;
}

export class ListTraineesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: TRAINEE_STATUSES })
  @IsOptional()
  @IsIn(TRAINEE_STATUSES)
  status?: TraineeStatus;

  @ApiPropertyOptional({ maxLength: MAX_COHORT_LENGTH })
  @IsOptional()
  @IsString()
  @Length(1, MAX_COHORT_LENGTH)
  cohort?: string;
}

/** The list's filters, without its paging: an export holds every matching trainee. */
export class ExportTraineesQuery extends PickType(ListTraineesQuery, ['status', 'cohort'] as const) {}

export class TraineeView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) brandId: string;
  @ApiProperty({ nullable: true, type: String, description: 'null once erased' }) fullName: string | null;
  @ApiProperty({ nullable: true, type: String, example: '110105********002X' }) nationalIdMasked: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date' }) birthDate: string | null;
  @ApiProperty({ nullable: true, enum: ['male', 'female'] }) gender: 'male' | 'female' | null;
  @ApiProperty({ nullable: true, type: String, description: "In full for the brand's operator only; null for everyone else" }) phone: string | null;
  @ApiProperty({ nullable: true, type: String, example: '138****1234' }) phoneMasked: string | null;
  @ApiProperty({ enum: TARGET_GROUPS, isArray: true }) targetGroups: TargetGroup[];
  @ApiProperty({ nullable: true, type: String }) cohort: string | null;
  @ApiProperty({ nullable: true, type: Number }) expectedMonthlySalaryFen: number | null;
  @ApiProperty({ enum: TRAINEE_STATUSES }) status: TraineeStatus;
  @ApiProperty({ format: 'date-time' }) registeredAt: string;
  @ApiProperty() erased: boolean;
  @ApiProperty() version: number;
}

export class TraineePage extends PageOf(TraineeView) {}

export class TraineeList {
  @ApiProperty({ type: [TraineeView] }) items: TraineeView[];
}

export class ImportErrorView {
  @ApiProperty({ description: 'Data row, counting from 1 (the CSV header is not a row)' }) row: number;
  @ApiProperty({ example: 'nationalId' }) field: string;
  @ApiProperty({ example: 'INVALID_NATIONAL_ID' }) code: string;
  @ApiProperty() message: string;
}

export class ImportResultView {
  @ApiProperty({ description: 'Data rows read' }) received: number;
  @ApiProperty() created: number;
  @ApiProperty({ description: 'Rows whose person is already a trainee of the brand (or repeated in the file)' }) duplicates: number;
  @ApiProperty() rejected: number;
  @ApiProperty({ type: [ImportErrorView], description: 'At most 1,000 listed; `rejected` counts them all' }) errors: ImportErrorView[];
}
