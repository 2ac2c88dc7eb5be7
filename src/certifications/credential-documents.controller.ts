import { Controller, Get, Header, Param, Res } from '@nestjs/common';
import { ApiExtraModels, ApiOperation, ApiParam, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { LimitByAddress } from '../common/auth/address-rate-limit';
import { Public } from '../common/auth/decorators';
import { msg } from '../common/i18n/message';
import { ProblemSchema } from '../common/openapi/problems';
import { notFound, validationFailed } from '../common/problems/problem';
import { CertificationsService } from './certifications.service';
import { CREDENTIALS_CONTEXT_PATH } from './credential';
import { STATUS_LIST_LENGTH } from './status-list';
import { STATUS_LIST_TTL_MS } from './status-lists.service';

/** VC-JOSE-COSE §3.1.1 / §6.1: a credential secured as a compact JWS. */
const VC_JWT = 'application/vc+jwt';
const JSON_LD = 'application/ld+json';
const LIST_NUMBER = /^[1-9][0-9]{0,8}$/;
const COMPACT_JWS = '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$';

const problem = (status: number, description: string) =>
  ApiResponse({ status, description, content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemSchema) } } } });

/**
 * The documents a verifier fetches while checking a credential, without a key: the revocation status lists (W3C
 * Bitstring Status List) and this registry's JSON-LD context. The certificate by serial and the JWKS are in
 * CertificateVerificationController.
 */
@ApiTags('Public verification')
@ApiExtraModels(ProblemSchema)
@Public()
@LimitByAddress()
@Controller('v1/public')
export class CredentialDocumentsController {
  constructor(private readonly certifications: CertificationsService) {}

  @Get('status-lists/:list')
  @Header('access-control-allow-origin', '*')
  @ApiOperation({
    summary: 'A revocation status list: W3C Bitstring Status List credential, signed as a compact JWS (no key needed)',
    description:
      "Every certificate's credential carries a `credentialStatus` of type `BitstringStatusListEntry` (`statusPurpose` `revocation`, " +
      '`statusListIndex`, `statusListCredential`: the URL of this route). This route answers that status list credential, a ' +
      '`BitstringStatusListCredential` secured as VC-JOSE-COSE prescribes: a compact JWS (`application/vc+jwt`; header `alg: EdDSA`, ' +
      '`typ: vc+jwt`, `kid` in `/.well-known/jwks.json`) whose payload is the credential. Its `credentialSubject.encodedList` is the ' +
      `multibase (\`u\`, base64url without padding) GZIP of a bitstring of ${STATUS_LIST_LENGTH} bits, index 0 the most significant bit ` +
      'of the first byte; a set bit is a revoked certificate. A revocation shows here within a minute (at once through the process ' +
      `that revoked it). \`ttl\` and \`Cache-Control\` allow caching for ${STATUS_LIST_TTL_MS / 1000} s; \`validUntil\` is a day after ` +
      '`validFrom`. Lists are numbered from 1; a number that is not a list is 404.',
    security: [],
  })
  @ApiParam({ name: 'list', description: 'The status list number (1, 2, …) as in `statusListCredential`', example: '1' })
  @ApiResponse({
    status: 200,
    description: 'The status list credential as a compact JWS',
    headers: { 'Cache-Control': { description: `\`public, max-age=${STATUS_LIST_TTL_MS / 1000}\``, schema: { type: 'string' } } },
    content: { [VC_JWT]: { schema: { type: 'string', pattern: COMPACT_JWS, example: 'eyJhbGciOiJFZERTQSIsImtpZCI6ImNyZWQtMjAyNiIsInR5cCI6InZjK2p3dCIsImN0eSI6InZjIn0.eyJAY29udGV4dCI6W119.c2lnbmF0dXJl' } } },
  })
  @problem(400, '`VALIDATION_FAILED`: not a list number')
  @problem(404, '`NOT_FOUND`: no such status list')
  @problem(503, '`SERVICE_UNAVAILABLE`: a dependency is down; retry')
  async statusList(@Param('list') list: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    if (!LIST_NUMBER.test(list)) throw validationFailed('list', 'INVALID_STATUS_LIST', msg('field.statusList', { field: 'list' }));
    const published = await this.certifications.statusList(Number(list));
    if (!published) throw notFound(msg('object.statusList'));
    void reply.header('content-type', VC_JWT);
    void reply.header('cache-control', `public, max-age=${STATUS_LIST_TTL_MS / 1000}`);
    void reply.header('last-modified', published.builtAt.toUTCString());
    return published.jws;
  }

  @Get(CREDENTIALS_CONTEXT_PATH.replace(/^\/v1\/public\//, ''))
  @Header('content-type', `${JSON_LD}; charset=utf-8`)
  @Header('cache-control', 'public, max-age=86400')
  @Header('access-control-allow-origin', '*')
  @ApiOperation({
    summary: "This registry's JSON-LD context, listed by every credential it signs (no key needed)",
    description:
      'Credentials list `https://www.w3.org/ns/credentials/v2`, `https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json` and this ' +
      'document, in that order, so every term of the credential (and of the JWS payload, which adds the JWT claims `iss`, `jti` and ' +
      '`iat`) is defined and JSON-LD processing in safe mode drops nothing. It defines `jti`, the one claim the other two leave out, ' +
      'exactly as the later revision of the Open Badges context does. Version 1 never changes.',
    security: [],
  })
  @ApiResponse({
    status: 200,
    description: 'The JSON-LD context document',
    content: { [JSON_LD]: { schema: { type: 'object', required: ['@context'], properties: { '@context': { type: 'object' } } } } },
  })
  credentialsContext(): ReturnType<CertificationsService['credentialsContext']> {
    return this.certifications.credentialsContext();
  }
}
