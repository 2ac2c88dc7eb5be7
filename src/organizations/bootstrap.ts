import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditLog } from '../audit/audit-log';
import { APP_CONFIG, AppConfig } from '../config/config';
import { creditCodeCheckCharacter } from '../common/identifiers/credit-code';
import { NATIONAL_REGION_CODE } from '../common/identifiers/region-code';
import { hashApiKeySecret, insertApiKey } from './api-key-secret';

/** The platform organization the bootstrap creates; its credit code is fixed so every instance finds the same one. */
const PLATFORM_CREDIT_CODE_BASE = '91100000MA0000000';
export const BOOTSTRAP_PLATFORM_CREDIT_CODE = PLATFORM_CREDIT_CODE_BASE + creditCodeCheckCharacter(PLATFORM_CREDIT_CODE_BASE);

/**
 * `BOOTSTRAP_ADMIN_KEY`: afterwards a platform organization holds a key with exactly that secret. Safe to run on
 * every start of every instance (an advisory lock serialises them). A bootstrap key that was revoked stays
 * revoked: restarting must not resurrect a key an administrator withdrew.
 */
export async function ensureBootstrapAdmin(dataSource: DataSource, audit: AuditLog, secret: string): Promise<'exists' | 'revoked' | 'created'> {
  return dataSource.transaction(async (manager) => {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext('labor-brands:bootstrap-admin'))`);
    const keys: Array<{ revoked: boolean }> = await manager.query(`SELECT revoked_at IS NOT NULL AS revoked FROM api_keys WHERE secret_hash = $1`, [hashApiKeySecret(secret)]);
    if (keys.length) return keys[0].revoked ? 'revoked' : 'exists';
    const platform: Array<{ id: string }> = await manager.query(
      `INSERT INTO organizations (kind, name, credit_code, region_code) VALUES ('platform', 'Platform administrator', $1, $2)
       ON CONFLICT (credit_code) DO UPDATE SET kind = organizations.kind WHERE organizations.kind = 'platform' RETURNING id`,
      [BOOTSTRAP_PLATFORM_CREDIT_CODE, NATIONAL_REGION_CODE],
    );
    if (!platform.length) throw new Error(`credit code ${BOOTSTRAP_PLATFORM_CREDIT_CODE} belongs to an organization that is not the platform`);
    const { id: apiKeyId } = await insertApiKey(manager, platform[0].id, secret);
    await audit.record(manager, null, { action: 'api_key.bootstrap', objectType: 'api_key', objectId: apiKeyId, details: { organizationId: platform[0].id } });
    return 'created';
  });
}

@Injectable()
export class BootstrapAdmin implements OnApplicationBootstrap {
  private readonly logger = new Logger('Bootstrap');

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditLog,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.bootstrapAdminKey) return;
    const outcome = await ensureBootstrapAdmin(this.dataSource, this.audit, this.config.bootstrapAdminKey);
    if (outcome === 'created') this.logger.log('BOOTSTRAP_ADMIN_KEY registered as a platform key');
    if (outcome === 'revoked') this.logger.warn('BOOTSTRAP_ADMIN_KEY was revoked and stays revoked; unset it or choose a new one');
  }
}
