import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Length, Max, Min, Validate } from 'class-validator';
import { PageOf } from '../../common/pagination/pagination';
import { BRAND_STATUSES, BrandStatus } from '../../brands/brand.rules';
import { CalendarDate, FutureDate } from '../../common/validation/dates';
import { CERTIFICATION_STATUSES, CertificationStatus, MAX_CERTIFICATION_LEVEL, MIN_CERTIFICATION_LEVEL } from '../certification.rules';

const LEVEL_DESCRIPTION = 'National vocational skill level: 1 高级技师 senior technician (the highest), 2 技师, 3 高级工, 4 中级工, 5 初级工 junior worker';

export class IssueCertificationDto {
  @ApiProperty({ minimum: MIN_CERTIFICATION_LEVEL, maximum: MAX_CERTIFICATION_LEVEL, example: 3, description: LEVEL_DESCRIPTION })
  @IsInt()
  @Min(MIN_CERTIFICATION_LEVEL)
  @Max(MAX_CERTIFICATION_LEVEL)
  level: number;

  @ApiPropertyOptional({ format: 'date', example: '2029-12-31', nullable: true, type: String, description: 'Last day of validity (inclusive, China date), after today; omitted or null: no end' })
  @IsOptional()
  @Validate(CalendarDate)
  @Validate(FutureDate)
  validUntil?: string | null;
}

export class RevokeCertificationDto {
  @ApiProperty({ example: 'Assessment records found to be falsified', minLength: 1, maxLength: 2000 })
  @IsString()
  @Length(1, 2000)
  reason: string;
}

export class CertificationView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'LB-7K3M-9QXD-4TPW-B2R0', description: 'Public serial: the key of `GET /v1/public/certifications/{serial}`' }) serial: string;
  @ApiProperty({ format: 'uuid' }) traineeId: string;
  @ApiProperty({ format: 'uuid' }) brandId: string;
  @ApiProperty({ example: '4-04-05-05', description: "The brand's occupation when the certificate was issued" }) occupationCode: string;
  @ApiProperty({ example: '人工智能训练师' }) occupationName: string;
  @ApiProperty({ minimum: 1, maximum: 5, description: LEVEL_DESCRIPTION }) level: number;
  @ApiProperty({ example: '高级工 senior worker' }) levelName: string;
  @ApiProperty({ format: 'uuid', description: "The issuing organization: the brand's operator or a bureau" }) issuerId: string;
  @ApiProperty({ format: 'date-time' }) issuedAt: string;
  @ApiProperty({ format: 'date', nullable: true, type: String, description: 'Last day of validity (inclusive, China date); null: no end' }) validUntil: string | null;
  @ApiProperty({ enum: CERTIFICATION_STATUSES }) status: CertificationStatus;
  @ApiProperty({ description: 'Active and not past validUntil, now' }) valid: boolean;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) revokedAt: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) revokedById: string | null;
  @ApiProperty({ nullable: true, type: String }) revocationReason: string | null;
  @ApiProperty({ example: '张*', description: 'The only personal data on the certificate and in the credential' }) holderNameMasked: string;
  @ApiProperty({ description: 'Compact JWS (EdDSA, `typ: vc+jwt`) of the W3C Verifiable Credential; keys at `/.well-known/jwks.json`' }) credential: string;
  @ApiProperty({ example: 'https://registry.example.cn/v1/public/certifications/LB-7K3M-9QXD-4TPW-B2R0', description: 'Where anyone checks its current status' }) verificationUrl: string;
  @ApiProperty({ example: 1 }) version: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class CertificationPage extends PageOf(CertificationView) {}

export class PublicBrandView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: '徐汇AI训练师' }) name: string;
  @ApiProperty({ example: '310104' }) regionCode: string;
  @ApiProperty({ enum: BRAND_STATUSES, description: "The brand's status now (a later suspension or revocation of the brand does not undo a certificate)" }) status: BrandStatus;
}

export class PublicIssuerView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
}

export class PublicCertificationView {
  @ApiProperty({ description: 'Active and not past validUntil, at the time of the request' }) valid: boolean;
  @ApiProperty({ example: 'LB-7K3M-9QXD-4TPW-B2R0' }) serial: string;
  @ApiProperty({ enum: CERTIFICATION_STATUSES }) status: CertificationStatus;
  @ApiProperty({ minimum: 1, maximum: 5 }) level: number;
  @ApiProperty({ example: '高级工 senior worker' }) levelName: string;
  @ApiProperty({ type: PublicBrandView }) brand: PublicBrandView;
  @ApiProperty({ type: PublicIssuerView }) issuer: PublicIssuerView;
  @ApiProperty({ example: '4-04-05-05' }) occupationCode: string;
  @ApiProperty({ example: '人工智能训练师' }) occupationName: string;
  @ApiProperty({ example: '张*' }) holderNameMasked: string;
  @ApiProperty({ format: 'date-time' }) issuedAt: string;
  @ApiProperty({ format: 'date', nullable: true, type: String }) validUntil: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) revokedAt: string | null;
  @ApiProperty({ description: 'The signed credential (compact JWS); verify it with the keys at `/.well-known/jwks.json`' }) credential: string;
}

export class JwksKeyView {
  @ApiProperty({ example: 'OKP' }) kty: string;
  @ApiProperty({ example: 'Ed25519' }) crv: string;
  @ApiProperty({ description: 'The public key, base64url' }) x: string;
  @ApiProperty() kid: string;
  @ApiProperty({ example: 'EdDSA' }) alg: string;
  @ApiProperty({ example: 'sig' }) use: string;
}

export class JwksView {
  @ApiProperty({ type: [JwksKeyView] }) keys: JwksKeyView[];
}
