import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { hashApiKeySecret } from '../../organizations/api-key-secret';
import type { Actor } from './actor';

interface Entry {
  actor: Actor | null;
  expiresAt: number;
}

const MAX_ENTRIES = 50_000;
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Resolves an API key secret to its actor. Each answer, found or not, is trusted for at most
 * `apiKeyCacheTtlMs` (1 s by default): one indexed read per key per second per instance, and a revoked key
 * fails everywhere within that bound without any cross-instance messaging.
 */
@Injectable()
export class ApiKeyResolver {
  private readonly cache = new Map<string, Entry>();
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async resolve(secret: string): Promise<Actor | null> {
    const hash = hashApiKeySecret(secret);
    const cacheKey = hash.toString('base64');
    const now = Date.now();
    const hit = this.cache.get(cacheKey);
    if (hit && hit.expiresAt > now) return hit.actor;

    const rows: Array<{ api_key_id: string; organization_id: string; kind: Actor['kind']; region_code: string }> = await this.dataSource.query(
      `SELECT k.id AS api_key_id, o.id AS organization_id, o.kind, o.region_code
         FROM api_keys k JOIN organizations o ON o.id = k.organization_id
        WHERE k.secret_hash = $1 AND k.revoked_at IS NULL`,
      [hash],
    );
    const row = rows[0];
    const actor: Actor | null = row
      ? { apiKeyId: row.api_key_id, organizationId: row.organization_id, kind: row.kind, regionCode: row.region_code }
      : null;
    if (this.config.apiKeyCacheTtlMs > 0) {
      if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
      this.cache.set(cacheKey, { actor, expiresAt: now + this.config.apiKeyCacheTtlMs });
    }
    return actor;
  }

  /** Records use at minute resolution, off the request's path, so a busy key costs no write per request. */
  touch(apiKeyId: string): void {
    const now = Date.now();
    const last = this.lastUsedWritten.get(apiKeyId) ?? 0;
    if (now - last < LAST_USED_RESOLUTION_MS) return;
    if (this.lastUsedWritten.size >= MAX_ENTRIES) this.lastUsedWritten.clear();
    this.lastUsedWritten.set(apiKeyId, now);
    this.dataSource
      .query(`UPDATE api_keys SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, [apiKeyId])
      .catch(() => this.lastUsedWritten.delete(apiKeyId));
  }

  /** Forget local answers at once (the instance that revokes a key need not wait for the TTL). */
  forgetAll(): void {
    this.cache.clear();
  }
}
