import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { fieldMessage } from '../../common/validation/validation';
import { PageOf, PageQuery } from '../../common/pagination/pagination';
import { IsCreditCode, IsRegionCode } from '../../common/validation/identifiers';
import { ORGANIZATION_KINDS, OrganizationKind } from '../../common/auth/actor';

export class CreateOrganizationDto {
  @ApiProperty({ enum: ORGANIZATION_KINDS, example: 'hr_firm' })
  @IsIn(ORGANIZATION_KINDS)
  kind: OrganizationKind;

  @ApiProperty({ example: '上海徐汇人力资源有限公司', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiProperty({ example: '91350100M000100Y43', description: 'Unified Social Credit Code (GB 32100-2015), check character verified; unique' })
  @IsCreditCode()
  creditCode: string;

  @ApiProperty({ example: '310104', description: 'GB/T 2260 administrative division code; for a bureau, its jurisdiction' })
  @IsRegionCode()
  regionCode: string;
}

export class ListOrganizationsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ORGANIZATION_KINDS })
  @IsOptional()
  @IsIn(ORGANIZATION_KINDS)
  kind?: OrganizationKind;

  @ApiPropertyOptional({ description: 'Prefix of the region code, 2 to 6 digits', example: '3101' })
  @IsOptional()
  @Matches(/^\d{2,6}$/, { message: fieldMessage('field.regionPrefix') })
  regionCode?: string;
}

export class OrganizationView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ORGANIZATION_KINDS }) kind: OrganizationKind;
  @ApiProperty() name: string;
  @ApiProperty({ example: '91350100M000100Y43' }) creditCode: string;
  @ApiProperty({ example: '310104' }) regionCode: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class OrganizationPage extends PageOf(OrganizationView) {}

export class NewApiKeySecretView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: 'The secret, shown this once; only its hash is stored', example: 'lbk_3q2b…' }) secret: string;
}

export class CreatedOrganizationView {
  @ApiProperty({ type: OrganizationView }) organization: OrganizationView;
  @ApiProperty({ type: NewApiKeySecretView }) apiKey: NewApiKeySecretView;
}

export class CreatedApiKeyView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: 'The secret, shown this once; only its hash is stored' }) secret: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class ApiKeyView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String, description: 'Recorded at one-minute resolution' }) lastUsedAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) revokedAt: string | null;
}

export class ApiKeyPage extends PageOf(ApiKeyView) {}

export class MeView {
  @ApiProperty({ type: OrganizationView }) organization: OrganizationView;
  @ApiProperty({ format: 'uuid' }) apiKeyId: string;
}
