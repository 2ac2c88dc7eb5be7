import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AuditLog } from '../audit/audit.service';
import { hashApiKeySecret } from '../common/auth/api-key-secret';
import { creditCodeCheckCharacter } from '../common/identifiers/credit-code';
import { NATIONAL_REGION_CODE } from '../common/identifiers/region-code';
import { APP_CONFIG, AppConfig } from '../config/config';
import { Transactions } from '../database/transactions';
import { OrganizationsRepository } from './organizations.repository';

/** The platform organization the bootstrap creates; its credit code is fixed so every instance finds the same one. */
const PLATFORM_CREDIT_CODE_BASE = '91100000MA0000000';
export const BOOTSTRAP_PLATFORM_CREDIT_CODE = PLATFORM_CREDIT_CODE_BASE + creditCodeCheckCharacter(PLATFORM_CREDIT_CODE_BASE);

/**
 * Afterwards a platform organization holds a key with exactly `secret` (`BOOTSTRAP_ADMIN_KEY`, `npm run
 * key:create`). Safe to run on every start of every instance (an advisory lock serialises them). A bootstrap key
 * that was revoked stays revoked: restarting must not resurrect a key an administrator withdrew.
 */
@Injectable()
export class PlatformKeys {
  constructor(
    private readonly transactions: Transactions,
    private readonly organizations: OrganizationsRepository,
    private readonly audit: AuditLog,
  ) {}

  ensure(secret: string): Promise<'exists' | 'revoked' | 'created'> {
    const hash = hashApiKeySecret(secret);
    return this.transactions.run(async (m) => {
      await this.organizations.lockBootstrap(m);
      const state = await this.organizations.keyState(m, hash);
      if (state) return state === 'revoked' ? 'revoked' : 'exists';
      const platformId = await this.organizations.ensurePlatform(m, 'Platform administrator', BOOTSTRAP_PLATFORM_CREDIT_CODE, NATIONAL_REGION_CODE);
      if (!platformId) throw new Error(`credit code ${BOOTSTRAP_PLATFORM_CREDIT_CODE} belongs to an organization that is not the platform`);
      const key = await this.organizations.insertApiKey(m, platformId, hash);
      await this.audit.record(m, null, { action: 'api_key.bootstrap', objectType: 'api_key', objectId: key.id, details: { organizationId: platformId } });
      return 'created';
    });
  }
}

/** `BOOTSTRAP_ADMIN_KEY` at start-up. */
@Injectable()
export class BootstrapAdmin implements OnApplicationBootstrap {
  private readonly logger = new Logger('Bootstrap');

  constructor(
    private readonly platformKeys: PlatformKeys,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.bootstrapAdminKey) return;
    const outcome = await this.platformKeys.ensure(this.config.bootstrapAdminKey);
    if (outcome === 'created') this.logger.log('BOOTSTRAP_ADMIN_KEY registered as a platform key');
    if (outcome === 'revoked') this.logger.warn('BOOTSTRAP_ADMIN_KEY was revoked and stays revoked; unset it or choose a new one');
  }
}
