/**
 * Protection of personal data at rest: resident identity numbers, phone numbers and, where asked, names.
 *
 * Two tools, because one cannot do both jobs:
 * - `encrypt`/`decrypt` (AES-256-GCM, a random IV per value): reading the value back. Random IVs make equal
 *   plaintexts encrypt differently, so ciphertexts can be neither compared nor indexed.
 * - `blindIndex` (HMAC-SHA-256 under a separate key): a deterministic fingerprint for uniqueness constraints
 *   and equality look-ups ("is this person already a trainee of the brand?"), without decrypting anything.
 *
 * Pure: no Nest, no database, no environment access. The caller reads the environment, passes the two
 * variables to `parsePiiKeyring`, and logs a warning when development keys were generated.
 */

import {
  KeyObject,
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  hkdfSync,
  randomFillSync,
  timingSafeEqual,
} from 'node:crypto';

export interface PiiKeyring {
  /** Id of the key new values are encrypted with. */
  current: string;
  /** Every key that may still be needed to decrypt, by id: the current one and those being rotated out. */
  keys: Map<string, Buffer /* 32 bytes */>;
  /** Key of the blind index (HMAC-SHA-256); at least 32 bytes, never one of `keys`. */
  hmacKey: Buffer;
}

export const PII_ENCRYPTION_KEYS_VARIABLE = 'PII_ENCRYPTION_KEYS';
export const PII_HMAC_KEY_VARIABLE = 'PII_HMAC_KEY';

const KEY_BYTES = 32;
const MIN_HMAC_KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const MAX_KEY_ID_LENGTH = 32;
/** Standard or URL-safe alphabet (both are what key generators print); padding optional. */
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const GENERATE_HINT = 'generate one with: openssl rand -base64 32';

/**
 * The development keys are derived, not random, so that a restarted development server can still read what it
 * wrote. They are public by construction (this string is in the repository), hence refused in production.
 */
const DEVELOPMENT_SEED = 'labor-brands development PII keys: public, never for real personal data';
export const DEVELOPMENT_KEY_ID = 'dev';

/** A configuration mistake found at start-up. The message names the variable and never contains key material. */
export class PiiKeyringError extends Error {
  override readonly name = 'PiiKeyringError';
}

/** A value that cannot be decrypted. The message never contains plaintext or key material. */
export class PiiDecryptionError extends Error {
  override readonly name = 'PiiDecryptionError';
}

/**
 * Reads the two environment variables.
 * `encryptionKeys`: `kid1:base64key1,kid2:base64key2`; the first key encrypts, all of them decrypt, so a new key is
 * rotated in by putting it first and the old one is kept after it until every value has been re-encrypted.
 * `hmacKey`: base64 of at least 32 bytes. It cannot be rotated the same way: every blind index would have to be
 * recomputed from the decrypted values first.
 */
export function parsePiiKeyring(
  encryptionKeys: string | undefined,
  hmacKey: string | undefined,
  options: { allowDevelopmentKeys: boolean },
): { keyring: PiiKeyring; generated: boolean } {
  const encryptionSetting = blankToUndefined(encryptionKeys);
  const hmacSetting = blankToUndefined(hmacKey);

  if (encryptionSetting === undefined && hmacSetting === undefined) {
    if (!options.allowDevelopmentKeys) {
      throw new PiiKeyringError(
        `${PII_ENCRYPTION_KEYS_VARIABLE} and ${PII_HMAC_KEY_VARIABLE} must be set ` +
          `(${PII_ENCRYPTION_KEYS_VARIABLE}=keyId:base64key, ${PII_HMAC_KEY_VARIABLE}=base64key; ${GENERATE_HINT})`,
      );
    }
    return { keyring: developmentKeyring(), generated: true };
  }
  // Half a configuration is a mistake even in development: silently generating the other half would make
  // data written now unreadable once the mistake is fixed.
  if (encryptionSetting === undefined) {
    throw new PiiKeyringError(`${PII_ENCRYPTION_KEYS_VARIABLE} is not set but ${PII_HMAC_KEY_VARIABLE} is: set both`);
  }
  if (hmacSetting === undefined) {
    throw new PiiKeyringError(`${PII_HMAC_KEY_VARIABLE} is not set but ${PII_ENCRYPTION_KEYS_VARIABLE} is: set both`);
  }

  const keys = new Map<string, Buffer>();
  let current: string | undefined;
  const entries = encryptionSetting.split(',');
  entries.forEach((rawEntry, index) => {
    const entry = rawEntry.trim();
    const position = `entry ${index + 1} of ${entries.length}`;
    if (entry === '') {
      throw new PiiKeyringError(`${PII_ENCRYPTION_KEYS_VARIABLE}: ${position} is empty`);
    }
    const colon = entry.indexOf(':');
    if (colon < 0) {
      throw new PiiKeyringError(`${PII_ENCRYPTION_KEYS_VARIABLE}: ${position} is not of the form keyId:base64key`);
    }
    const keyId = entry.slice(0, colon).trim();
    // An invalid id is not echoed: when the format is confused, the "id" may well be part of a key.
    if (!KEY_ID.test(keyId)) {
      throw new PiiKeyringError(
        `${PII_ENCRYPTION_KEYS_VARIABLE}: the key id of ${position} must be 1–${MAX_KEY_ID_LENGTH} characters ` +
          `from A–Z, a–z, 0–9, '_' and '-'`,
      );
    }
    if (keys.has(keyId)) {
      throw new PiiKeyringError(`${PII_ENCRYPTION_KEYS_VARIABLE} lists key id '${keyId}' more than once`);
    }
    const key = decodeBase64(entry.slice(colon + 1).trim());
    if (key === undefined) {
      throw new PiiKeyringError(`${PII_ENCRYPTION_KEYS_VARIABLE}: key '${keyId}' is not valid base64 (${GENERATE_HINT})`);
    }
    if (key.length !== KEY_BYTES) {
      throw new PiiKeyringError(
        `${PII_ENCRYPTION_KEYS_VARIABLE}: key '${keyId}' must decode to exactly ${KEY_BYTES} bytes, ` +
          `got ${key.length} (${GENERATE_HINT})`,
      );
    }
    keys.set(keyId, key);
    current ??= keyId;
  });

  const hmac = decodeBase64(hmacSetting);
  if (hmac === undefined) {
    throw new PiiKeyringError(`${PII_HMAC_KEY_VARIABLE} is not valid base64 (${GENERATE_HINT})`);
  }
  if (hmac.length < MIN_HMAC_KEY_BYTES) {
    throw new PiiKeyringError(
      `${PII_HMAC_KEY_VARIABLE} must decode to at least ${MIN_HMAC_KEY_BYTES} bytes, got ${hmac.length} (${GENERATE_HINT})`,
    );
  }
  for (const [keyId, key] of keys) {
    if (sameBytes(key, hmac)) {
      throw new PiiKeyringError(
        `${PII_HMAC_KEY_VARIABLE} must not be the same key as ${PII_ENCRYPTION_KEYS_VARIABLE} '${keyId}' (one key, one purpose)`,
      );
    }
  }

  if (!options.allowDevelopmentKeys) {
    // Someone copying the example from a development log into production would otherwise protect real
    // people's data with a key anyone can derive from the source code.
    const development = developmentKeyring();
    const developmentKey = development.keys.get(DEVELOPMENT_KEY_ID) as Buffer;
    for (const [keyId, key] of keys) {
      if (sameBytes(key, developmentKey)) {
        throw new PiiKeyringError(
          `${PII_ENCRYPTION_KEYS_VARIABLE}: key '${keyId}' is the public development key; generate a real one (${GENERATE_HINT})`,
        );
      }
    }
    if (sameBytes(hmac, development.hmacKey)) {
      throw new PiiKeyringError(`${PII_HMAC_KEY_VARIABLE} is the public development key; generate a real one (${GENERATE_HINT})`);
    }
  }

  return { keyring: { current: current as string, keys, hmacKey: hmac }, generated: false };
}

function developmentKeyring(): PiiKeyring {
  const derive = (purpose: string) => Buffer.from(hkdfSync('sha256', DEVELOPMENT_SEED, '', purpose, KEY_BYTES));
  return {
    current: DEVELOPMENT_KEY_ID,
    keys: new Map([[DEVELOPMENT_KEY_ID, derive('pii-encryption v1')]]),
    hmacKey: derive('pii-blind-index v1'),
  };
}

function blankToUndefined(value: string | undefined): string | undefined {
  // Secrets mounted from files often end in a newline; an empty variable means "not set", as elsewhere in config.
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/** Strict: Buffer.from(…, 'base64') silently skips characters it does not know, which would hide a typo. */
function decodeBase64(text: string): Buffer | undefined {
  if (!BASE64.test(text) || text.replace(/=+$/, '').length % 4 === 1) return undefined;
  return Buffer.from(text, 'base64');
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Layout of a stored value; version 1 is the only one so far. */
const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * crypto.randomBytes(12) costs about 2 µs a call (half as much as the encryption itself); drawing IVs from a
 * pool refilled 4,096 IVs (48 KiB) at a time costs a few dozen nanoseconds. Each 12-byte slice is used once and copied into the
 * value straight away, so the pool being refilled later cannot change an IV already used. Node's randomUUID
 * batches its entropy the same way.
 */
const IV_POOL_BYTES = IV_BYTES * 4096;

/**
 * AES-256-GCM encryption and HMAC-SHA-256 blind indexes over one keyring.
 *
 * A stored value is self-describing, so any configured key can read it and keys rotate without a flag day:
 *
 *     version (1 byte) | key id length (1 byte) | key id (ASCII) | IV (12) | auth tag (16) | ciphertext
 *
 * The header (version, key id) is authenticated along with `context`, the optional additional authenticated
 * data: pass the column it is stored in (e.g. `trainees.national_id`) so that a ciphertext copied into another
 * column, where it would be shown under another label, fails to decrypt instead. Decrypt with the same context.
 * The context could also name the row (its id) to stop values being swapped between people; that needs the id
 * before the value is encrypted and is the caller's decision.
 *
 * Random 96-bit IVs are safe for about 2^32 encryptions per key (NIST SP 800-38D); rotate long before that.
 */
export class PiiCipher {
  private readonly currentKeyIdValue: string;
  private readonly currentKey: KeyObject;
  private readonly currentHeader: Buffer;
  private readonly decryptionKeys: Map<string, KeyObject>;
  private readonly hmacKey: KeyObject;
  private readonly additionalData = new AdditionalDataCache();
  private readonly ivPool = Buffer.alloc(IV_POOL_BYTES);
  private ivPoolOffset = IV_POOL_BYTES;

  constructor(keyring: PiiKeyring) {
    if (keyring.keys.size === 0) throw new PiiKeyringError('the PII keyring has no encryption keys');
    // KeyObjects are built once here: they copy the bytes (later changes to the Buffers cannot affect them) and
    // spare each call from importing the raw key again.
    this.decryptionKeys = new Map();
    for (const [keyId, key] of keyring.keys) {
      if (!KEY_ID.test(keyId)) throw new PiiKeyringError('a PII key id is not 1–32 characters of [A-Za-z0-9_-]');
      if (key.length !== KEY_BYTES) throw new PiiKeyringError(`PII key '${keyId}' is not ${KEY_BYTES} bytes`);
      this.decryptionKeys.set(keyId, createSecretKey(Buffer.from(key)));
    }
    const current = this.decryptionKeys.get(keyring.current);
    if (current === undefined) throw new PiiKeyringError(`the current PII key '${keyring.current}' is not in the keyring`);
    if (keyring.hmacKey.length < MIN_HMAC_KEY_BYTES) {
      throw new PiiKeyringError(`the PII blind-index key is shorter than ${MIN_HMAC_KEY_BYTES} bytes`);
    }
    this.currentKeyIdValue = keyring.current;
    this.currentKey = current;
    this.currentHeader = header(keyring.current);
    this.hmacKey = createSecretKey(Buffer.from(keyring.hmacKey));
  }

  /** Id of the key `encrypt` uses; a value whose `keyIdOf` differs is due for re-encryption. */
  get currentKeyId(): string {
    return this.currentKeyIdValue;
  }

  encrypt(plaintext: string, context = ''): Buffer {
    return this.seal(plaintext, context);
  }

  /**
   * Bytes rather than text, in the same self-describing format: a stored import file, chunk by chunk. Give each
   * chunk a context naming its file and position, so chunks cannot be swapped, reordered or moved between files.
   */
  encryptBytes(plaintext: Buffer, context = ''): Buffer {
    return this.seal(plaintext, context);
  }

  decrypt(blob: Buffer, context = ''): string {
    return this.open(blob, context).toString('utf8');
  }

  decryptBytes(blob: Buffer, context = ''): Buffer {
    return this.open(blob, context);
  }

  private seal(plaintext: string | Buffer, context: string): Buffer {
    const headerBytes = this.currentHeader;
    const iv = this.nextIv();
    const cipher = createCipheriv('aes-256-gcm', this.currentKey, iv);
    cipher.setAAD(this.additionalData.get(headerBytes, context));
    const body = typeof plaintext === 'string' ? cipher.update(plaintext, 'utf8') : cipher.update(plaintext);
    const tail = cipher.final(); // empty for GCM, but part of the contract
    const blob = Buffer.allocUnsafe(headerBytes.length + IV_BYTES + TAG_BYTES + body.length + tail.length);
    let offset = headerBytes.copy(blob, 0);
    offset += iv.copy(blob, offset);
    offset += cipher.getAuthTag().copy(blob, offset);
    offset += body.copy(blob, offset);
    tail.copy(blob, offset);
    return blob;
  }

  private open(blob: Buffer, context: string): Buffer {
    const { keyId, headerLength } = parseHeader(blob);
    const key = this.decryptionKeys.get(keyId);
    if (key === undefined) {
      throw new PiiDecryptionError(
        `value was encrypted with key '${keyId}', which is not configured (${PII_ENCRYPTION_KEYS_VARIABLE})`,
      );
    }
    const ivStart = headerLength;
    const tagStart = ivStart + IV_BYTES;
    const bodyStart = tagStart + TAG_BYTES;
    const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(ivStart, tagStart), { authTagLength: TAG_BYTES });
    decipher.setAAD(this.additionalData.get(blob.subarray(0, headerLength), context));
    decipher.setAuthTag(blob.subarray(tagStart, bodyStart));
    const body = decipher.update(blob.subarray(bodyStart));
    try {
      return Buffer.concat([body, decipher.final()]);
    } catch {
      // OpenSSL only says "Unsupported state or unable to authenticate data"; say what it means here.
      throw new PiiDecryptionError(
        'value failed authentication: it was altered, or is being decrypted with another context than it was encrypted with',
      );
    }
  }

  /**
   * HMAC-SHA-256(hmacKey, purpose ‖ NUL ‖ normalized), 32 bytes. Deterministic, so a unique index on it enforces
   * "one person per brand" and an equality query finds a person, while the table alone reveals nothing (unlike a
   * plain hash, which an attacker could reverse by hashing every possible identity number).
   *
   * `purpose` (e.g. 'national_id') keeps indexes of different kinds of data apart: equal strings in different
   * columns get unrelated indexes. `normalized` must already be in its one canonical spelling (upper-case 'X',
   * no spaces, …): the index of '11010519491231002x' is not that of '11010519491231002X'.
   */
  blindIndex(normalized: string, purpose: string): Buffer {
    // NUL separates purpose from value; a NUL inside the purpose would make two different pairs collide.
    if (purpose === '' || purpose.includes('\0')) {
      throw new RangeError('blind index purpose must be non-empty and must not contain NUL');
    }
    return createHmac('sha256', this.hmacKey).update(`${purpose}\0${normalized}`, 'utf8').digest();
  }

  /**
   * The value under the current key, same context, same plaintext: what key rotation does to every stored value.
   * A value already under the current key is returned as it is.
   */
  reencrypt(blob: Buffer, context = ''): Buffer {
    if (this.isCurrent(blob)) return blob;
    return this.seal(this.open(blob, context), context);
  }

  /** Whether a value is under the current key (by its header, without decrypting it). */
  isCurrent(blob: Buffer): boolean {
    return blob.subarray(0, this.currentHeader.length).equals(this.currentHeader);
  }

  /**
   * The bytes every value under the current key starts with: the format version and the key id. A store finds the
   * values due for re-encryption by comparing their first bytes with these, whether or not it keeps a key id column.
   */
  get currentHeaderBytes(): Buffer {
    return Buffer.from(this.currentHeader);
  }

  /** The id of the key a value was encrypted with, without decrypting it (for rotation jobs and diagnostics). */
  keyIdOf(blob: Buffer): string {
    return parseHeader(blob).keyId;
  }

  private nextIv(): Buffer {
    if (this.ivPoolOffset === IV_POOL_BYTES) {
      randomFillSync(this.ivPool);
      this.ivPoolOffset = 0;
    }
    const iv = this.ivPool.subarray(this.ivPoolOffset, this.ivPoolOffset + IV_BYTES);
    this.ivPoolOffset += IV_BYTES;
    return iv;
  }
}

function header(keyId: string): Buffer {
  const id = Buffer.from(keyId, 'ascii');
  return Buffer.concat([Buffer.from([FORMAT_VERSION, id.length]), id]);
}

/** The header is self-delimiting (it carries its own length), so appending the context cannot be ambiguous. */
function additionalData(headerBytes: Buffer, context: string): Buffer {
  return context === '' ? headerBytes : Buffer.concat([headerBytes, Buffer.from(context, 'utf8')]);
}

/**
 * Building the additional data costs about 0.5 µs a call (mostly encoding the context), an eighth of an
 * encryption. Contexts are a handful of column names, so they are remembered; the bound keeps a caller who puts
 * row ids into the context from growing the cache without limit (those calls just build it each time).
 */
const MAX_CACHED_CONTEXTS = 64;

class AdditionalDataCache {
  private readonly byHeaderAndContext = new Map<string, Buffer>();

  get(headerBytes: Buffer, context: string): Buffer {
    if (context === '') return headerBytes;
    // latin1 maps each header byte to one character, so distinct headers give distinct prefixes.
    const cacheKey = `${headerBytes.toString('latin1')}${context}`;
    let data = this.byHeaderAndContext.get(cacheKey);
    if (data === undefined) {
      data = additionalData(headerBytes, context);
      if (this.byHeaderAndContext.size < MAX_CACHED_CONTEXTS) this.byHeaderAndContext.set(cacheKey, data);
    }
    return data;
  }
}

function parseHeader(blob: Buffer): { keyId: string; headerLength: number } {
  if (!Buffer.isBuffer(blob) || blob.length < 2) {
    throw new PiiDecryptionError('value is too short to be an encrypted value');
  }
  if (blob[0] !== FORMAT_VERSION) {
    throw new PiiDecryptionError(`value has format version ${blob[0]}; only version ${FORMAT_VERSION} is known`);
  }
  const keyIdLength = blob[1];
  const headerLength = 2 + keyIdLength;
  if (keyIdLength === 0 || keyIdLength > MAX_KEY_ID_LENGTH || blob.length < headerLength + IV_BYTES + TAG_BYTES) {
    throw new PiiDecryptionError('value is truncated or its header is corrupt');
  }
  const keyId = blob.toString('latin1', 2, headerLength);
  if (!KEY_ID.test(keyId)) {
    throw new PiiDecryptionError('value has a corrupt key id');
  }
  return { keyId, headerLength };
}

const MAINLAND_MOBILE = /^1[3-9][0-9]{9}$/;

/** An 11-digit mainland China mobile number: 1, then 3–9, then nine digits (no +86, spaces or dashes). */
export function isMainlandMobile(phone: string): boolean {
  return MAINLAND_MOBILE.test(phone);
}

/**
 * `13812341234` → `138****1234`: carrier prefix and last four, which people recognise their number by.
 * Anything that is not 11 ASCII digits is masked completely, because "first 3 and last 4" of a shorter string
 * could reveal most or all of it.
 */
export function maskPhone(phone: string): string {
  if (!/^[0-9]{11}$/.test(phone)) {
    return '*'.repeat(Array.from(phone).length);
  }
  return `${phone.slice(0, 3)}****${phone.slice(7)}`;
}
