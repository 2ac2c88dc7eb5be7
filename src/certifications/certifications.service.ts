import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AuditLog } from '../audit/audit.service';
import { effectiveBrandStatus } from '../brands/brand.rules';
import { BrandsService, type BrandFacts } from '../brands/brands.service';
import type { Actor } from '../common/auth/actor';
import { requireVersion } from '../common/http/if-match';
import { newestFirst, newestFirstPageOf, Page, PageQuery } from '../common/pagination/pagination';
import { notFound, ProblemError, validationFailed } from '../common/problems/problem';
import { APP_CONFIG, AppConfig } from '../config/config';
import type { Db } from '../database/repository';
import { isUniqueViolation, Transactions } from '../database/transactions';
import { Outbox } from '../events/outbox.service';
import { OrganizationsService } from '../organizations/organizations.service';
import { Policy } from '../policy/policy';
import { maskName } from '../trainees/trainee.rules';
import { TraineesService } from '../trainees/trainees.service';
import { Certification } from './certification.entity';
import { checkIssue, checkRevoke, CertificationCheck, generateSerial, IssuerRelation, isCertificationValid, parseSerial, RevokerRelation } from './certification.rules';
import { buildCredential, certificationLevelName, CREDENTIAL_KEYRING, CREDENTIALS_CONTEXT, CredentialKeyring, hashedIdentity, jwks, publicVerificationUrl, signCredential } from './credential';
import { CertificationsRepository } from './certifications.repository';
import { StatusListPublisher, type PublishedStatusList } from './status-lists.service';
import type { CertificationView, IssueCertificationDto, PublicCertificationView } from './dto/certification.dto';
import { msg, type Message } from '../common/i18n/message';

/** A serial collision (75 random bits) is all but impossible; should one happen, the issue is retried with a new serial. */
const SERIAL_ATTEMPTS = 3;

function requireOk(check: CertificationCheck, action: Message): void {
  if (!check.ok) throw new ProblemError(check.code, check.code === 'INVALID_TRANSITION' ? msg('certification.cannot', { action, reason: check.reason }) : check.reason);
}

@Injectable()
export class CertificationsService {
  constructor(
    private readonly transactions: Transactions,
    private readonly certifications: CertificationsRepository,
    private readonly trainees: TraineesService,
    private readonly brands: BrandsService,
    private readonly organizations: OrganizationsService,
    private readonly audit: AuditLog,
    private readonly outbox: Outbox,
    private readonly statusLists: StatusListPublisher,
    @Inject(CREDENTIAL_KEYRING) private readonly keyring: CredentialKeyring,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  present(c: Certification, now = new Date()): CertificationView {
    return {
      id: c.id,
      serial: c.serial,
      traineeId: c.traineeId,
      brandId: c.brandId,
      occupationCode: c.occupationCode,
      occupationName: c.occupationName,
      level: c.level,
      levelName: certificationLevelName(c.level),
      issuerId: c.issuerId,
      issuedAt: c.issuedAt.toISOString(),
      validUntil: c.validUntil,
      status: c.status,
      valid: isCertificationValid(c.status, c.validUntil, now),
      revokedAt: c.revokedAt ? c.revokedAt.toISOString() : null,
      revokedById: c.revokedById,
      revocationReason: c.revocationReason,
      holderNameMasked: c.holderNameMasked,
      credential: c.credential,
      verificationUrl: publicVerificationUrl(this.config.publicBaseUrl, c.serial),
      version: c.version,
      createdAt: c.createdAt.toISOString(),
    };
  }

  /** The public key set that verifies every credential this service signed (current key first). */
  jwks(): ReturnType<typeof jwks> {
    return jwks(this.keyring);
  }

  /** The signed revocation status list `list` (a compact JWS), or null when there is no such list. */
  statusList(list: number): Promise<PublishedStatusList | null> {
    return this.statusLists.get(list);
  }

  /** This registry's JSON-LD context, which every credential lists after the VC 2.0 and Open Badges ones. */
  credentialsContext(): typeof CREDENTIALS_CONTEXT {
    return CREDENTIALS_CONTEXT;
  }

  /**
   * Issues a certificate: the row, its signed credential, the `certification.issued` event and the audit entry
   * in one transaction. The credential names the certificate's own position in a revocation status list, and the
   * holder by the masked name and a salted hash of the identity number (read from the trainees module for this
   * moment only; the number is not stored here, the salted hash only inside the signed credential). The trainee
   * row is locked (an erasure or withdrawal waits, or goes first and is seen), and the brand is read FOR SHARE so
   * a concurrent suspension either commits first and is seen or waits.
   */
  async issue(actor: Actor, traineeId: string, dto: IssueCertificationDto): Promise<CertificationView> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.transactions.run((m) => this.issueIn(m, actor, traineeId, dto));
      } catch (err) {
        if (attempt < SERIAL_ATTEMPTS && isUniqueViolation(err, 'ux_certifications_serial')) continue;
        throw err;
      }
    }
  }

  private async issueIn(m: Db, actor: Actor, traineeId: string, dto: IssueCertificationDto): Promise<CertificationView> {
    const { trainee } = await this.trainees.getVisible(actor, traineeId, m, true);
    const brand = (await this.brands.facts(trainee.brandId, m, 'share')) as BrandFacts;
    const relation = Policy.relationToBrand(actor, brand);
    const by: IssuerRelation = relation === 'operator' || relation === 'bureau' ? relation : 'other';
    requireOk(checkIssue({ by, brand, trainee }), msg('certification.actionIssue'));

    const issuer = await this.organizations.getOrganization(actor.organizationId, m);
    const id = randomUUID();
    const serial = generateSerial();
    // A Date holds whole milliseconds, as timestamptz(3) does: the row and the signed credential state one instant.
    const issuedAt = new Date();
    const holderNameMasked = maskName(trainee.fullName ?? '') || '*';
    const validUntil = dto.validUntil ?? null;
    const identityNumber = this.trainees.identityNumberOf(trainee);
    // checkIssue refused erased trainees, the only ones without an identity number.
    if (identityNumber === null) throw new Error('a certifiable trainee has no identity number');
    const status = await this.statusLists.allocate(m);
    const credential = await signCredential(
      buildCredential({
        serial,
        certificationId: id,
        issuer: { id: issuer.id, name: issuer.name },
        brand: { id: brand.id, name: brand.name },
        occupationCode: brand.occupationCode,
        occupationName: brand.occupationName,
        level: dto.level,
        holderNameMasked,
        identity: hashedIdentity(identityNumber),
        status,
        issuedAt,
        validUntil: validUntil ?? undefined,
        baseUrl: this.config.publicBaseUrl,
      }),
      this.keyring,
      { now: issuedAt },
    );
    const certification = Object.assign(new Certification(), {
      id,
      serial,
      traineeId: trainee.id,
      brandId: brand.id,
      occupationCode: brand.occupationCode,
      occupationName: brand.occupationName,
      level: dto.level,
      issuerId: issuer.id,
      issuedAt,
      validUntil,
      status: 'active',
      revokedAt: null,
      revocationReason: null,
      revokedById: null,
      credential,
      credentialKeyId: this.keyring.current.kid,
      statusList: status.list,
      statusListIndex: status.index,
      holderNameMasked,
      version: 1,
      createdAt: issuedAt,
    });
    await this.certifications.insert(m, certification);
    await this.outbox.append(m, actor, [
      {
        type: 'certification.issued',
        aggregateType: 'certification',
        aggregateId: id,
        brandId: brand.id,
        data: { certificationId: id, traineeId: trainee.id, brandId: brand.id, level: dto.level, issuerId: issuer.id, validUntil, status: 'active' },
      },
    ]);
    await this.audit.record(m, actor, { action: 'certification.issue', objectType: 'certification', objectId: id, brandId: brand.id, details: { traineeId: trainee.id, level: dto.level, serial } });
    return this.present(certification, issuedAt);
  }

  /** A trainee's certificates, newest first, for whoever may see the trainee. */
  async listForTrainee(actor: Actor, traineeId: string, query: PageQuery): Promise<Page<CertificationView>> {
    await this.trainees.getVisible(actor, traineeId);
    const page = newestFirst(query);
    const rows = await this.certifications.listByTrainee(traineeId, page.after, page.fetch);
    const now = new Date();
    return newestFirstPageOf(rows, page, (c) => c.issuedAt, (c) => this.present(c, now));
  }

  /** A certificate is visible to whoever may see its trainee; to anyone else it does not exist. */
  private async loadVisible(actor: Actor, id: string, m?: Db, lock = false): Promise<{ certification: Certification; brand: BrandFacts }> {
    const certification = await this.certifications.findById(id, m, lock);
    if (!certification) throw notFound(msg('object.certification'));
    try {
      const { brand } = await this.trainees.getVisible(actor, certification.traineeId, m);
      return { certification, brand };
    } catch (err) {
      if (err instanceof ProblemError && err.code === 'NOT_FOUND') throw notFound(msg('object.certification'));
      throw err;
    }
  }

  async get(actor: Actor, id: string): Promise<CertificationView> {
    return this.present((await this.loadVisible(actor, id)).certification);
  }

  /**
   * active → revoked, by the issuer or a covering bureau. The row lock makes one of concurrent revocations win. The
   * certificate's bit in its status list is the revoked row itself (status-lists.service.ts reads them).
   */
  async revoke(actor: Actor, id: string, reason: string, ifMatch: number | undefined): Promise<CertificationView> {
    let statusList: number | null = null;
    const revoked = await this.transactions.run(async (m) => {
      const { certification: c, brand } = await this.loadVisible(actor, id, m, true);
      const by: RevokerRelation = actor.organizationId === c.issuerId ? 'issuer' : Policy.hasJurisdiction(actor, brand.regionCode) ? 'bureau' : 'other';
      // Who may act first (403), then the version the caller read (409 VERSION_CONFLICT), then the status (409).
      if (by === 'other') requireOk(checkRevoke({ by, status: c.status }), msg('certification.actionRevoke'));
      requireVersion(c.version, ifMatch, msg('object.certification'));
      requireOk(checkRevoke({ by, status: c.status }), msg('certification.actionRevoke'));

      const now = new Date();
      statusList = c.statusList;
      Object.assign(c, { status: 'revoked', revokedAt: now, revocationReason: reason, revokedById: actor.organizationId, version: c.version + 1 });
      await this.certifications.save(m, id, { status: c.status, revokedAt: now, revocationReason: reason, revokedById: actor.organizationId, version: c.version });
      await this.outbox.append(m, actor, [
        {
          type: 'certification.revoked',
          aggregateType: 'certification',
          aggregateId: id,
          brandId: c.brandId,
          data: { certificationId: id, traineeId: c.traineeId, brandId: c.brandId, level: c.level, issuerId: c.issuerId, revokedById: actor.organizationId, validUntil: c.validUntil, status: c.status },
        },
      ]);
      await this.audit.record(m, actor, { action: 'certification.revoke', objectType: 'certification', objectId: id, brandId: c.brandId, details: { fromStatus: 'active', toStatus: 'revoked' } });
      return this.present(c, now);
    });
    // Committed: the published status list of this certificate is read again on its next request.
    if (statusList !== null) this.statusLists.invalidate(statusList);
    return revoked;
  }

  /**
   * The public check of a certificate by its serial: no key, read from Postgres on every call (no cache), so a
   * revocation shows on the next request. It reads the certificate, its brand and issuer, never the trainee.
   */
  async verify(serialInput: string): Promise<PublicCertificationView> {
    const parsed = parseSerial(serialInput);
    if (!parsed.ok) {
      throw parsed.reason === 'CHECK_SYMBOL'
        ? validationFailed('serial', 'INVALID_CHECK_CHARACTER', msg('field.serialCheck', { field: 'serial' }))
        : validationFailed('serial', 'INVALID_SERIAL', msg('field.serialFormat', { field: 'serial' }));
    }
    const r = await this.certifications.findForVerification(parsed.serial);
    if (!r) throw notFound(msg('object.certification'));
    return {
      valid: isCertificationValid(r.status, r.valid_until),
      serial: r.serial,
      status: r.status,
      level: r.level,
      levelName: certificationLevelName(r.level),
      brand: { id: r.brand_id, name: r.brand_name, regionCode: r.brand_region_code, status: effectiveBrandStatus(r.brand_status, r.brand_valid_until) },
      issuer: { id: r.issuer_id, name: r.issuer_name },
      occupationCode: r.occupation_code,
      occupationName: r.occupation_name,
      holderNameMasked: r.holder_name_masked,
      issuedAt: r.issued_at.toISOString(),
      validUntil: r.valid_until,
      revokedAt: r.revoked_at ? r.revoked_at.toISOString() : null,
      credential: r.credential,
    };
  }
}
