import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { ApiKey } from './api-key.entity';

/** `lbk_` marks the string as a labor-brands key (secret scanners can find leaked ones); 256 random bits follow. */
export const API_KEY_PREFIX = 'lbk_';

export function newApiKeySecret(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function hashApiKeySecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Stores a key for an organization (only the hash of its secret) in the caller's transaction. */
export async function insertApiKey(manager: EntityManager, organizationId: string, secret = newApiKeySecret()): Promise<{ id: string; secret: string; createdAt: Date }> {
  const key = await manager.save(manager.create(ApiKey, { organizationId, secretHash: hashApiKeySecret(secret) }));
  return { id: key.id, secret, createdAt: key.createdAt };
}
