import { Body, Controller, Get, Header, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Actor } from '../common/auth/actor';
import { LimitByAddress } from '../common/auth/address-rate-limit';
import { CurrentActor, Public } from '../common/auth/decorators';
import { IfMatch } from '../common/http/if-match';
import { ApiProblems, STANDARD_AUTH_PROBLEMS, STANDARD_POST_PROBLEMS } from '../common/openapi/problems';
import { PageQuery } from '../common/pagination/pagination';
import { UuidParam } from '../common/validation/validation';
import { IDEMPOTENCY_HEADER } from '../common/idempotency/idempotency.openapi';
import { CertificationsService } from './certifications.service';
import { CertificationPage, CertificationView, IssueCertificationDto, JwksView, PublicCertificationView, RevokeCertificationDto } from './dto/certification.dto';

const IF_MATCH = ApiHeader({ name: 'If-Match', required: false, description: 'The version you read; stale: 409 `VERSION_CONFLICT`' });
const ETAG = { ETag: { description: "The certification's version, for If-Match", schema: { type: 'string' } } };

function tagged(reply: FastifyReply, certification: CertificationView): CertificationView {
  void reply.header('etag', `"${certification.version}"`);
  return certification;
}

@ApiTags('Certifications')
@ApiBearerAuth()
@Controller('v1')
export class CertificationsController {
  constructor(private readonly certifications: CertificationsService) {}

  @Post('trainees/:id/certifications')
  @IDEMPOTENCY_HEADER
  @ApiOperation({
    summary: "Issue a skill certificate to a trainee (the brand's operator, or a bureau whose jurisdiction covers the brand)",
    description:
      'The brand must be certified and within its validity (409 `BRAND_NOT_CERTIFIED`). A withdrawn or erased trainee cannot be certified ' +
      '(409 `INVALID_TRANSITION`); registered, training, completed and placed trainees can. The certificate gets a random public serial ' +
      '(`LB-XXXX-XXXX-XXXX-XXXC`, Crockford base32 with a check symbol) and a credential: a compact JWS (EdDSA) of a W3C Verifiable Credential ' +
      '(Open Badges 3.0) naming the holder only by the masked name (张*) and a salted SHA-256 of the identity number (`identifier`), with a ' +
      '`BitstringStatusListEntry` for revocation, verifiable with `/.well-known/jwks.json`. Others who can see the trainee ' +
      '(the platform, an employer with a placement for it) get 403; callers who cannot see it, 404.',
  })
  @ApiCreatedResponse({ type: CertificationView, headers: { Location: { description: 'URL of the certification', schema: { type: 'string' } }, ...ETAG } })
  @ApiProblems(
    ...STANDARD_POST_PROBLEMS,
    [403, "`FORBIDDEN`: you can see the trainee but are neither the brand's operator nor a bureau with jurisdiction"],
    [404, 'The trainee does not exist or is not visible to you'],
    [409, '`BRAND_NOT_CERTIFIED`, `INVALID_TRANSITION` (withdrawn or erased trainee) or `IDEMPOTENCY_IN_PROGRESS`'],
  )
  async issue(@CurrentActor() actor: Actor, @UuidParam('id') traineeId: string, @Body() dto: IssueCertificationDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<CertificationView> {
    const certification = await this.certifications.issue(actor, traineeId, dto);
    void reply.header('location', `/v1/certifications/${certification.id}`);
    return tagged(reply, certification);
  }

  @Get('trainees/:id/certifications')
  @ApiOperation({ summary: "A trainee's certificates, newest first (whoever may see the trainee)", description: 'Revoked certificates are listed too, with their status.' })
  @ApiOkResponse({ type: CertificationPage })
  @ApiProblems(400, [404, 'The trainee does not exist or is not visible to you'], ...STANDARD_AUTH_PROBLEMS)
  list(@CurrentActor() actor: Actor, @UuidParam('id') traineeId: string, @Query() query: PageQuery): Promise<CertificationPage> {
    return this.certifications.listForTrainee(actor, traineeId, query);
  }

  @Get('certifications/:id')
  @ApiOperation({ summary: 'One certification', description: 'Visible to whoever may see its trainee; 404 for anyone else.' })
  @ApiOkResponse({ type: CertificationView, headers: ETAG })
  @ApiProblems(400, 404, ...STANDARD_AUTH_PROBLEMS)
  async get(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<CertificationView> {
    return tagged(reply, await this.certifications.get(actor, id));
  }

  @Post('certifications/:id/revoke')
  @HttpCode(200)
  @IDEMPOTENCY_HEADER
  @IF_MATCH
  @ApiOperation({
    summary: 'Revoke a certificate (its issuer, or a bureau whose jurisdiction covers the brand): active → revoked (final)',
    description:
      'Shows at the public verification route on the next request (`valid: false`, `status: "revoked"`), and sets the certificate\'s bit in its ' +
      'W3C Bitstring Status List (`GET /v1/public/status-lists/{n}`) within a minute. The credential itself is unchanged: its signature stays ' +
      'good, its status is what changes.',
  })
  @ApiOkResponse({ type: CertificationView, headers: ETAG })
  @ApiProblems(
    ...STANDARD_POST_PROBLEMS,
    [403, '`FORBIDDEN`: you can see the certificate but neither issued it nor have jurisdiction over its brand'],
    404,
    [409, '`INVALID_TRANSITION` (already revoked; also for the loser of concurrent revocations), `VERSION_CONFLICT` or `IDEMPOTENCY_IN_PROGRESS`'],
  )
  async revoke(@CurrentActor() actor: Actor, @UuidParam('id') id: string, @Body() dto: RevokeCertificationDto, @IfMatch() ifMatch: number | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<CertificationView> {
    return tagged(reply, await this.certifications.revoke(actor, id, dto.reason, ifMatch));
  }
}

/** What anyone may check without a key: a certificate by its serial, and the keys that verify credentials. */
@ApiTags('Public verification')
@Public()
@LimitByAddress()
@Controller()
export class CertificateVerificationController {
  constructor(private readonly certifications: CertificationsService) {}

  @Get('v1/public/certifications/:serial')
  @Header('cache-control', 'no-store')
  @Header('access-control-allow-origin', '*')
  @ApiOperation({
    summary: 'Check a certificate by its serial (no key needed)',
    description:
      'Read live on every request (`Cache-Control: no-store`): a revocation shows at once. `valid` is true while the certificate is active and ' +
      'not past `validUntil` (the end of that day in China). The holder appears only as a masked name. The serial is read leniently ' +
      '(any case, hyphens optional, O as 0, I and L as 1); a malformed serial or one with a wrong check symbol (a typo) is 400 ' +
      '`VALIDATION_FAILED` (field codes `INVALID_SERIAL`, `INVALID_CHECK_CHARACTER`), a well-formed one that no certificate has is 404.',
  })
  @ApiParam({ name: 'serial', example: 'LB-7K3M-9QXD-4TPW-B2R0' })
  @ApiOkResponse({ type: PublicCertificationView })
  @ApiProblems([400, '`VALIDATION_FAILED`: not a serial, or a wrong check symbol'], [404, '`NOT_FOUND`: no certificate has this serial'], 503)
  verify(@Param('serial') serial: string): Promise<PublicCertificationView> {
    return this.certifications.verify(serial);
  }

  @Get('.well-known/jwks.json')
  @Header('cache-control', 'public, max-age=300')
  @Header('content-type', 'application/jwk-set+json; charset=utf-8')
  @Header('access-control-allow-origin', '*')
  @ApiProduces('application/jwk-set+json')
  @ApiOperation({
    summary: 'The public keys that verify certificate credentials (JWKS, RFC 7517)',
    description: 'Ed25519 keys (`kty: OKP`, `alg: EdDSA`); a credential names its key by the `kid` of its JWS header. Keys of earlier signing keys stay listed after a rotation so their credentials keep verifying.',
  })
  @ApiOkResponse({ type: JwksView })
  jwks(): ReturnType<CertificationsService['jwks']> {
    return this.certifications.jwks();
  }
}
