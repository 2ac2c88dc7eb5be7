import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { PageOf } from '../../common/pagination/pagination';
import type { ImportFormat } from '../import/row-reader';
import { IMPORT_STATUSES, type ImportStatus } from './trainee-import.rules';

export interface ImportFailureView {
  code: string;
  message: string;
}

export class TraineeImportView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) brandId: string;
  @ApiProperty({ enum: IMPORT_STATUSES }) status: ImportStatus;
  @ApiProperty({ enum: ['csv', 'ndjson', 'xlsx'] }) format: ImportFormat;
  @ApiProperty({ nullable: true, type: String, enum: ['utf-8', 'gb18030'], description: 'The text encoding a CSV is read in (declared, or found once the worker has read it); null for .xlsx' })
  encoding: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'As given by `?fileName=`' }) fileName: string | null;
  @ApiProperty({ description: 'Size of the file as uploaded' }) bytes: number;
  @ApiProperty({ minimum: 0, maximum: 1, description: 'Rows done of the rows in the file (0 until the worker has checked the file)' }) progress: number;
  @ApiProperty({ description: 'Data rows read so far' }) received: number;
  @ApiProperty() created: number;
  @ApiProperty({ description: 'Rows whose person is already a trainee of the brand (or repeated in the file)' }) duplicates: number;
  @ApiProperty({ description: 'Rows rejected; every error is in `GET /v1/trainee-imports/{id}/errors`' }) rejected: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) startedAt: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) finishedAt: string | null;
  @ApiProperty({
    nullable: true,
    type: 'object',
    required: ['code', 'message'],
    properties: {
      code: { type: 'string', example: 'INVALID_IMPORT_FILE', description: '`INVALID_IMPORT_FILE` (not a readable file; nothing written) or `PAYLOAD_TOO_LARGE` (more than 1,000,000 rows)' },
      message: { type: 'string', description: 'In the language asked for' },
    },
    description: 'Why a failed import failed; null otherwise',
  })
  failure: ImportFailureView | null;
}

export class TraineeImportPage extends PageOf(TraineeImportView) {}

export class CreateTraineeImportQuery {
  @ApiProperty({ required: false, maxLength: 255, description: 'The name of the file, shown back in the import' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  fileName?: string;
}
