import { createHash, randomBytes } from 'node:crypto';

/** `lbk_` marks the string as a labor-brands key (secret scanners can find leaked ones); 256 random bits follow. */
export const API_KEY_PREFIX = 'lbk_';

export function newApiKeySecret(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** Keys are stored and looked up by this hash only (256 random bits need no slow hash). */
export function hashApiKeySecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}
