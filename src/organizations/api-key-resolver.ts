import { Inject, Injectable } from '@nestjs/common';
import type { Actor } from '../common/auth/actor';
import type { ActorResolver } from '../common/auth/actor-resolver';
import { hashApiKeySecret } from '../common/auth/api-key-secret';
import { APP_CONFIG, AppConfig } from '../config/config';
import { OrganizationsRepository } from './organizations.repository';

interface Entry {
  actor: Actor | null;
  expiresAt: number;
}

const MAX_ENTRIES = 50_000;
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Resolves an API key secret to its actor (the ACTOR_RESOLVER of the guard and the queue dashboard). Each
 * answer, found or not, is trusted for at most `apiKeyCacheTtlMs` (1 s by default): one indexed read per key per
 * second per instance, and a revoked key fails everywhere within that bound without any cross-instance messaging.
 */
@Injectable()
export class ApiKeyResolver implements ActorResolver {
  private readonly cache = new Map<string, Entry>();
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(
    private readonly organizations: OrganizationsRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async resolve(secret: string): Promise<Actor | null> {
    const hash = hashApiKeySecret(secret);
    const cacheKey = hash.toString('base64');
    const now = Date.now();
    const hit = this.cache.get(cacheKey);
    if (hit && hit.expiresAt > now) return hit.actor;

    const actor = await this.organizations.findActorByKeyHash(hash);
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
    this.organizations.touchApiKey(apiKeyId).catch(() => this.lastUsedWritten.delete(apiKeyId));
  }

  /** Forget local answers at once (the instance that revokes a key need not wait for the TTL). */
  forgetAll(): void {
    this.cache.clear();
  }
}
