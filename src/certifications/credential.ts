/**
 * Skill certificates as W3C Verifiable Credentials: the pure credential layer (no Nest, no database).
 *
 * - The document follows the Verifiable Credentials Data Model v2.0 and is shaped as an Open Badges 3.0
 *   AchievementCredential (context 3.0.3), so generic VC / Open Badges tooling can read it.
 * - It is secured per "Securing Verifiable Credentials using JOSE and COSE" (W3C Recommendation, 15 May 2025,
 *   https://www.w3.org/TR/vc-jose-cose/): a JWS in compact serialization whose payload IS the credential
 *   (§3.1.1), signed with Ed25519 (`alg: "EdDSA"`). Public keys are served as a JWKS at `/.well-known/jwks.json`.
 * - The credential carries no personal data beyond the holder's masked name: no full name, no phone, no birth date,
 *   and no identity number. The subject's OB `identifier` holds only a salted SHA-256 of the identity number
 *   (`identityHash: "sha256$…"`, a random salt per credential), so a verifier who is shown the number can check that
 *   it belongs to the holder; the number itself is never in the credential.
 * - Revocation is published through the W3C Bitstring Status List (status-list.ts): `credentialStatus` is a
 *   `BitstringStatusListEntry` pointing at a status list credential the service signs with the same keys.
 * - Every term is defined by a JSON-LD context the credential lists (VC 2.0, Open Badges 3.0.3, and this
 *   registry's own small context for the one JWT claim the other two leave out), so JSON-LD processing in safe mode
 *   drops nothing.
 *
 * Signing keys come from CREDENTIAL_SIGNING_KEY (see loadCredentialKeyring). Rotation: put the new key first and
 * keep the old ones after it; credentials signed with an old key keep verifying as long as its public part is
 * listed. A retired key may be given without its private part `d` (verification only).
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type JsonWebKey as NodeJsonWebKey,
  type KeyObject,
} from 'node:crypto';
import {
  calculateJwkThumbprint,
  CompactSign,
  compactVerify,
  createLocalJWKSet,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import { CHINA_UTC_OFFSET } from '../common/time/china-time';
import { STATUS_LIST_ENTRY_TYPE, STATUS_LIST_LENGTH, STATUS_PURPOSE, type StatusListPosition } from './status-list';

export const CREDENTIAL_SIGNING_KEY_VARIABLE = 'CREDENTIAL_SIGNING_KEY';

/** Injection token of the CredentialKeyring (read once at start-up by the certifications module). */
export const CREDENTIAL_KEYRING = Symbol('CREDENTIAL_KEYRING');

/** JWS `alg` of every credential: Ed25519 (RFC 8037). RFC 9864's fully-specified "Ed25519" is not used yet; "EdDSA" is what verifiers deployed today accept. */
export const CREDENTIAL_JWS_ALG = 'EdDSA';
/** VC-JOSE-COSE §3.1.1: "The typ header parameter SHOULD be vc+jwt." (media type application/vc+jwt). */
export const CREDENTIAL_JWS_TYP = 'vc+jwt';
/** VC-JOSE-COSE §3.1.1: "When present, the cty header parameter SHOULD be vc." (the unsecured application/vc document). */
export const CREDENTIAL_JWS_CTY = 'vc';

export const VC_CONTEXT_V2 = 'https://www.w3.org/ns/credentials/v2';
export const OPEN_BADGES_CONTEXT = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';

/** Where this registry publishes its own JSON-LD context, under the service's public base URL. */
export const CREDENTIALS_CONTEXT_PATH = '/v1/public/contexts/credentials-v1.jsonld';

/**
 * This registry's JSON-LD context (version 1, never changed once published; a new term means a v2 document).
 *
 * The JWS payload is the credential itself plus the registered JWT claims VC-JOSE-COSE §3.1.3 allows. The VC 2.0
 * context defines `iss`, `iat` (and the other JWT claims) but not `jti`, and Open Badges' context-3.0.3.json defined
 * no `jti` either until 1EdTech added one to it in place; a JSON-LD processor in safe mode refuses a term no context
 * defines. So `jti` is defined here, with exactly the definition 1EdTech's revision gives it (same IRI, `@type: @id`):
 * both contexts are `@protected`, and JSON-LD 1.1 lets a protected term be defined again only identically, so the
 * credential expands alike whichever revision of the Open Badges context a verifier holds.
 */
export const CREDENTIALS_CONTEXT = {
  '@context': {
    '@protected': true,
    jti: { '@id': 'https://www.iana.org/assignments/jwt#jti', '@type': '@id' },
  },
} as const;

/** `<baseUrl>/v1/public/contexts/credentials-v1.jsonld`. */
export function credentialsContextUrl(baseUrl: string): string {
  return `${normalizeBaseUrl(baseUrl)}${CREDENTIALS_CONTEXT_PATH}`;
}

/** `<baseUrl>/v1/public/status-lists/<list>`: the status list credential a certificate's credentialStatus names. */
export function statusListCredentialUrl(baseUrl: string, list: number): string {
  if (!Number.isSafeInteger(list) || list < 1) throw new RangeError(`a status list number is a whole number ≥ 1, got ${list}`);
  return `${normalizeBaseUrl(baseUrl)}/v1/public/status-lists/${list}`;
}

/** The registry itself as an issuer (of the status lists): its public base URL, where its JWKS is published too. */
export function registryIssuerId(baseUrl: string): string {
  return normalizeBaseUrl(baseUrl);
}

/** China has one time zone (UTC+8, no daylight saving): a date on a certificate is a date in China. */

// ---------------------------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------------------------

/** A public JWK as published in the JWKS: never carries `d`. */
export interface PublicCredentialJwk extends JWK {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
}

/** A key the JWKS publishes: every signing key, and retired keys kept so old credentials still verify. */
export interface CredentialVerificationKey {
  kid: string;
  /** `{ kty, crv, x, kid }` only. */
  publicJwk: PublicCredentialJwk;
}

export interface CredentialSigningKey extends CredentialVerificationKey {
  /** A Node KeyObject: printing or JSON-serialising it never shows the key material. */
  privateKey: KeyObject;
}

export interface CredentialKeyring {
  /** Signs every new credential. */
  current: CredentialSigningKey;
  /** Every key whose credentials must still verify, current first. Older keys may lack a private part. */
  verificationKeys: CredentialVerificationKey[];
}

/** A problem with CREDENTIAL_SIGNING_KEY. The message names the variable and the problem, never key material. */
export class CredentialKeyError extends Error {
  constructor(problem: string) {
    super(`${CREDENTIAL_SIGNING_KEY_VARIABLE} ${problem}`);
    this.name = 'CredentialKeyError';
  }
}

const EXPECTED_FORMAT =
  'expected an Ed25519 private key as a JWK (JSON object with kty "OKP", crv "Ed25519", d, x and kid), ' +
  'a JSON array of such JWKs (the first signs, the rest are kept for verification), ' +
  'or a PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----")';

/**
 * Reads the credential signing keys.
 *
 * `env` (the value of CREDENTIAL_SIGNING_KEY) may hold:
 * - one Ed25519 private JWK `{ kty: "OKP", crv: "Ed25519", d, x, kid }` (`alg` "EdDSA" and `use` "sig" allowed);
 * - a JSON array of them, or a JWKS object `{ "keys": [...] }`: the first key signs, the others are kept for
 *   verification after a rotation and may be public-only (no `d`);
 * - one PKCS#8 PEM private key; its kid is the RFC 7638 JWK thumbprint of its public key. Literal `\n`
 *   sequences (as env files often carry them) are accepted in place of line breaks.
 *
 * Unset or blank: with `allowDevelopmentKey`, a fresh key pair is generated (kid = thumbprint) and `generated` is
 * true; the caller should log that credentials will not verify after a restart. Otherwise it throws.
 */
export async function loadCredentialKeyring(
  env: string | undefined,
  options: { allowDevelopmentKey: boolean },
): Promise<{ keyring: CredentialKeyring; generated: boolean }> {
  const raw = env?.trim() ?? '';
  if (raw === '') {
    if (!options.allowDevelopmentKey) {
      throw new CredentialKeyError(
        `is not set: credentials cannot be signed without it (${EXPECTED_FORMAT}; ` +
          'generate one with: node -e "console.log(JSON.stringify({...require(\'crypto\').generateKeyPairSync(\'ed25519\').privateKey.export({format:\'jwk\'}), kid:\'key-1\'}))")',
      );
    }
    const { privateKey } = generateKeyPairSync('ed25519');
    const key = await signingKeyFrom(privateKey, undefined);
    return { keyring: { current: key, verificationKeys: [key] }, generated: true };
  }

  if (raw.startsWith('-----BEGIN')) {
    const key = await signingKeyFrom(parsePem(raw), undefined);
    return { keyring: { current: key, verificationKeys: [key] }, generated: false };
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // The parser's message can quote the input, which here is a private key: say only what was expected.
    throw new CredentialKeyError(`is neither valid JSON nor a PEM key (${EXPECTED_FORMAT})`);
  }
  const entries = keyEntries(parsed);
  if (entries.length === 0) throw new CredentialKeyError(`holds no keys (${EXPECTED_FORMAT})`);

  const keys: CredentialVerificationKey[] = [];
  const seen = new Set<string>();
  for (const [index, entry] of entries.entries()) {
    const key = await keyFromJwk(entry, index, entries.length, index === 0);
    if (seen.has(key.kid)) {
      throw new CredentialKeyError(`lists kid "${printable(key.kid)}" twice: each key needs its own kid`);
    }
    seen.add(key.kid);
    keys.push(key);
  }
  const current = keys[0] as CredentialSigningKey; // keyFromJwk required a private part for the first key
  return { keyring: { current, verificationKeys: keys }, generated: false };
}

function keyEntries(parsed: unknown): unknown[] {
  if (Array.isArray(parsed)) return parsed;
  if (isObject(parsed) && Array.isArray(parsed.keys) && parsed.kty === undefined) return parsed.keys;
  if (isObject(parsed)) return [parsed];
  throw new CredentialKeyError(`must be a JSON object or array (${EXPECTED_FORMAT})`);
}

async function keyFromJwk(
  entry: unknown,
  index: number,
  count: number,
  mustSign: boolean,
): Promise<CredentialVerificationKey> {
  const kidForLabel = isObject(entry) && typeof entry.kid === 'string' && entry.kid !== '' ? entry.kid : undefined;
  const label = `${count > 1 ? `key #${index + 1}` : 'key'}${kidForLabel ? ` (kid "${printable(kidForLabel)}")` : ''}`;
  const fail = (problem: string): never => {
    throw new CredentialKeyError(`${label} ${problem}`);
  };

  if (!isObject(entry)) fail('is not a JSON object (a JWK was expected)');
  const jwk = entry as Record<string, unknown>;
  if (jwk.kty !== 'OKP') {
    fail(`has kty ${quoted(jwk.kty)}: only Ed25519 keys are accepted (kty "OKP", crv "Ed25519")`);
  }
  if (jwk.crv !== 'Ed25519') fail(`has crv ${quoted(jwk.crv)}: only crv "Ed25519" is accepted`);
  if (jwk.alg !== undefined && jwk.alg !== CREDENTIAL_JWS_ALG && jwk.alg !== 'Ed25519') {
    fail(`has alg ${quoted(jwk.alg)}: an Ed25519 signing key has alg "EdDSA" (or none)`);
  }
  if (jwk.use !== undefined && jwk.use !== 'sig') fail(`has use ${quoted(jwk.use)}: a signing key has use "sig"`);
  if (typeof jwk.kid !== 'string' || jwk.kid.trim() === '') {
    fail('has no kid: give every key a kid (it names the key in the JWKS and in each credential header)');
  }
  const kid = jwk.kid as string;
  if (!isBase64Url(jwk.x, 32)) fail('has no valid x (the public key: 32 bytes, base64url)');
  const x = jwk.x as string;

  if (jwk.d === undefined) {
    if (mustSign) {
      fail(
        count > 1
          ? 'has no private part d: the first key signs new credentials and must be a private key'
          : 'has no private part d: a private key is needed to sign credentials',
      );
    }
    // A retired key, kept only so the credentials it signed still verify.
    createPublicKeyFromX(x, fail);
    return { kid, publicJwk: { kty: 'OKP', crv: 'Ed25519', x, kid } };
  }
  if (!isBase64Url(jwk.d, 32)) fail('has an invalid d (the private key: 32 bytes, base64url)');

  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({
      key: { kty: 'OKP', crv: 'Ed25519', d: jwk.d as string, x },
      format: 'jwk',
    });
  } catch {
    return fail('could not be read as an Ed25519 private key');
  }
  // Node derives the public key from d alone and ignores x; a JWK whose x belongs to another key would sign
  // credentials that its own published x can never verify. Refuse it here rather than at the first verification.
  if (exportJwk(createPublicKey(privateKey)).x !== x) {
    fail('has an x that is not the public key of its d: the JWK mixes two keys');
  }
  return signingKeyFrom(privateKey, kid);
}

function createPublicKeyFromX(x: string, fail: (problem: string) => never): void {
  try {
    createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  } catch {
    fail('has an x that is not an Ed25519 public key');
  }
}

function parsePem(raw: string): KeyObject {
  const pem = raw.includes('\n') ? raw : raw.replace(/\\n/g, '\n');
  const label = /^-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1] ?? '';
  if (label === 'PUBLIC KEY' || label === 'CERTIFICATE') {
    throw new CredentialKeyError(`holds a ${label.toLowerCase()}, not a private key: a private key is needed to sign credentials`);
  }
  if (label === 'ENCRYPTED PRIVATE KEY') {
    throw new CredentialKeyError('holds an encrypted PKCS#8 key: give the unencrypted key ("-----BEGIN PRIVATE KEY-----")');
  }
  if (label !== 'PRIVATE KEY') {
    throw new CredentialKeyError(
      `holds a PEM "${printable(label)}" block: only PKCS#8 Ed25519 keys ("-----BEGIN PRIVATE KEY-----") are accepted`,
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new CredentialKeyError('holds a PEM block that is not a readable PKCS#8 private key');
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new CredentialKeyError(
      `holds a key of type ${printable(key.asymmetricKeyType ?? 'unknown')}: only Ed25519 keys are accepted`,
    );
  }
  return key;
}

async function signingKeyFrom(privateKey: KeyObject, kid: string | undefined): Promise<CredentialSigningKey> {
  const { x } = exportJwk(createPublicKey(privateKey));
  if (typeof x !== 'string') throw new CredentialKeyError('holds a key whose public part cannot be exported');
  const keyId = kid ?? (await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x }, 'sha256'));
  return { kid: keyId, privateKey, publicJwk: { kty: 'OKP', crv: 'Ed25519', x, kid: keyId } };
}

function exportJwk(key: KeyObject): NodeJsonWebKey {
  return key.export({ format: 'jwk' });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isBase64Url(value: unknown, bytes: number): value is string {
  return (
    typeof value === 'string' &&
    /^[A-Za-z0-9_-]+$/.test(value) &&
    Buffer.from(value, 'base64url').length === bytes &&
    Buffer.from(value, 'base64url').toString('base64url') === value
  );
}

/** Short, harmless strings (kty, crv, alg, kid values) may be quoted in an error; anything else is not. */
function printable(value: string): string {
  return /^[\w .:@#+/-]{1,64}$/.test(value) ? value : '(unprintable)';
}

function quoted(value: unknown): string {
  if (value === undefined) return 'missing';
  return typeof value === 'string' ? `"${printable(value)}"` : `of type ${typeof value}`;
}

/** The JWKS document served at `/.well-known/jwks.json`: public keys only, current first, each kid once. */
export function jwks(keyring: CredentialKeyring): { keys: PublicCredentialJwk[] } {
  const keys: PublicCredentialJwk[] = [];
  const seen = new Set<string>();
  for (const key of [keyring.current, ...keyring.verificationKeys]) {
    if (seen.has(key.kid)) continue;
    seen.add(key.kid);
    // Built field by field, never spread from a key object, so no private member can slip through.
    keys.push({ kty: 'OKP', crv: 'Ed25519', x: key.publicJwk.x, kid: key.kid, alg: CREDENTIAL_JWS_ALG, use: 'sig' });
  }
  return { keys };
}

// ---------------------------------------------------------------------------------------------------------------
// The credential document
// ---------------------------------------------------------------------------------------------------------------

export type CertificationLevel = 1 | 2 | 3 | 4 | 5;

/**
 * 国家职业资格等级 (national vocational qualification / skill levels, 职业技能等级): five levels, 1 the highest.
 */
export const CERTIFICATION_LEVELS: Readonly<Record<CertificationLevel, { zh: string; en: string }>> = {
  1: { zh: '高级技师', en: 'senior technician' },
  2: { zh: '技师', en: 'technician' },
  3: { zh: '高级工', en: 'senior worker' },
  4: { zh: '中级工', en: 'intermediate worker' },
  5: { zh: '初级工', en: 'junior worker' },
};

export function isCertificationLevel(level: unknown): level is CertificationLevel {
  return typeof level === 'number' && Number.isInteger(level) && level >= 1 && level <= 5;
}

/** "高级工 senior worker" for level 3. */
export function certificationLevelName(level: number): string {
  if (!isCertificationLevel(level)) throw new RangeError(`certification level must be an integer from 1 to 5, got ${level}`);
  const { zh, en } = CERTIFICATION_LEVELS[level];
  return `${zh} ${en}`;
}

export interface CredentialInput {
  /** The certificate's public serial number (the key of the public verification route). */
  serial: string;
  certificationId: string;
  /** The issuing organization (the brand's operator or a bureau). */
  issuer: { id: string; name: string };
  /** The labor service brand the certificate was issued under. */
  brand: { id: string; name: string };
  /** Code in the Occupational Classification of the PRC (职业分类大典), e.g. 4-03-02-01. */
  occupationCode: string;
  occupationName?: string;
  level: number;
  /** Already masked by the caller, e.g. 张*; the only part of the holder's name the credential carries. */
  holderNameMasked: string;
  /** The holder's salted, hashed identity number (hashedIdentity), never the number itself. */
  identity: IdentityObject;
  /** The certificate's place in the revocation status lists. */
  status: StatusListPosition;
  issuedAt: Date;
  /** YYYY-MM-DD, the last day (in China) the certificate is valid. */
  validUntil?: string;
  /** The service's public origin, e.g. https://registry.example.cn (a trailing slash is ignored). */
  baseUrl: string;
}

interface ProfileDoc {
  id: string;
  type: ['Profile'];
  name: string;
}

/**
 * Open Badges 3.0 IdentityObject of the holder: `identityHash` is `sha256$` + the hex SHA-256 of the identity number
 * followed by `salt` (the form OB 3.0 gives for a hashed identity).
 */
export interface IdentityObject {
  type: 'IdentityObject';
  identityType: 'identifier';
  hashed: true;
  identityHash: string;
  salt: string;
}

/** W3C Bitstring Status List entry (§2.1): the certificate's bit in a revocation list. */
export interface BitstringStatusListEntry {
  /** The public verification URL of this certificate: it "identifies the status information" and is not the list's URL. */
  id: string;
  type: typeof STATUS_LIST_ENTRY_TYPE;
  statusPurpose: typeof STATUS_PURPOSE;
  /** A base-10 string, as §2.1 requires. */
  statusListIndex: string;
  statusListCredential: string;
}

type CredentialContexts = [typeof VC_CONTEXT_V2, typeof OPEN_BADGES_CONTEXT, string];

/** The unsecured credential (media type application/vc). Also the JWS payload, plus the registered JWT claims. */
export interface CertificationCredential {
  '@context': CredentialContexts;
  id: string;
  type: ['VerifiableCredential', 'OpenBadgeCredential'];
  name: string;
  description: string;
  issuer: ProfileDoc;
  validFrom: string;
  validUntil?: string;
  credentialSubject: {
    type: ['AchievementSubject'];
    name: string;
    identifier: [IdentityObject];
    source: ProfileDoc;
    achievement: {
      id: string;
      type: ['Achievement'];
      achievementType: 'Certificate';
      name: string;
      description: string;
      criteria: { narrative: string };
    };
  };
  credentialStatus: BitstringStatusListEntry;
}

/** The status list credential (Bitstring Status List §2.2), published at statusListCredentialUrl. */
export interface StatusListCredential {
  '@context': [typeof VC_CONTEXT_V2, string];
  id: string;
  type: ['VerifiableCredential', 'BitstringStatusListCredential'];
  issuer: string;
  validFrom: string;
  validUntil: string;
  credentialSubject: {
    id: string;
    type: 'BitstringStatusList';
    statusPurpose: typeof STATUS_PURPOSE;
    encodedList: string;
    /** Milliseconds a verifier may keep this list before fetching it again. */
    ttl: number;
  };
}

/** `<baseUrl>/v1/public/certifications/<serial>`: where anyone checks a certificate's current status. */
export function publicVerificationUrl(baseUrl: string, serial: string): string {
  return `${normalizeBaseUrl(baseUrl)}/v1/public/certifications/${encodeURIComponent(serial)}`;
}

/**
 * The instant a certificate valid until `date` (YYYY-MM-DD) stops being valid: the end of that day in China
 * (23:59:59 UTC+8). The same rule the credential's `validUntil` states, for the service's `valid` flag.
 */
export function validUntilInstant(date: string): Date {
  return new Date(validUntilTimestamp(date));
}

/**
 * The OB IdentityObject for an identity number: a fresh random salt (16 bytes, hex) unless one is given, and
 * `sha256$` + hex SHA-256 of the number followed by the salt. The caller passes the normalised number (18
 * characters, a final x upper-cased) and drops it afterwards; nothing here keeps or logs it.
 *
 * A verifier shown the holder's number recomputes the hash with the salt and compares. The salt stops anyone
 * from linking two credentials of one person or looking hashes up in a precomputed table; it cannot stop a
 * determined search of all plausible identity numbers for one credential (region × birth date × sequence is about
 * 10^11 candidates), which is why the credential is the holder's to show, not a public record.
 */
export function hashedIdentity(identityNumber: string, salt: string = randomBytes(16).toString('hex')): IdentityObject {
  if (typeof identityNumber !== 'string' || identityNumber === '') throw new RangeError('an identity number is needed to hash');
  if (typeof salt !== 'string' || salt === '') throw new RangeError('a salt is needed');
  const digest = createHash('sha256').update(identityNumber + salt, 'utf8').digest('hex');
  return { type: 'IdentityObject', identityType: 'identifier', hashed: true, identityHash: `sha256$${digest}`, salt };
}

/**
 * Builds the Verifiable Credential (VC Data Model 2.0, Open Badges 3.0 AchievementCredential shape).
 *
 * Decisions:
 * - `@context`: VC 2.0, Open Badges 3.0.3 and this registry's context (CREDENTIALS_CONTEXT), in that order.
 * - `id` is `urn:uuid:<certificationId>`: stable whatever host the service moves to.
 * - `issuer` is the issuing organization as an OB Profile, id `urn:uuid:<organizationId>`.
 * - `credentialSubject` has no `id` (holders have no DID). `name` is the masked name only; `identifier` is the
 *   salted hash of the identity number. `source` (OB: who assessed the achievement on the issuer's behalf) is the
 *   labor brand.
 * - `credentialStatus` is a BitstringStatusListEntry (purpose revocation) whose `id` is the public verification URL
 *   of the certificate, so a reader who knows nothing of status lists can still follow it.
 * - The achievement is per occupation and level: `urn:labor-brands:occupation:<code>:level:<n>`.
 * - `validUntil` (a date) becomes the end of that day in China, `YYYY-MM-DDT23:59:59+08:00`.
 */
export function buildCredential(input: CredentialInput): CertificationCredential {
  const { level } = input;
  if (!isCertificationLevel(level)) {
    throw new RangeError(`certification level must be an integer from 1 to 5, got ${String(level)}`);
  }
  if (!(input.issuedAt instanceof Date) || Number.isNaN(input.issuedAt.getTime())) {
    throw new RangeError('issuedAt must be a valid Date');
  }
  for (const [field, value] of [
    ['serial', input.serial],
    ['occupationCode', input.occupationCode],
    ['holderNameMasked', input.holderNameMasked],
    ['issuer.name', input.issuer.name],
    ['brand.name', input.brand.name],
  ] as const) {
    if (typeof value !== 'string' || value.trim() === '') throw new RangeError(`${field} must be a non-empty string`);
  }
  const { identity, status } = input;
  if (identity?.type !== 'IdentityObject' || !/^sha256\$[0-9a-f]{64}$/.test(identity.identityHash) || !identity.salt) {
    throw new RangeError('identity must be a hashed IdentityObject (see hashedIdentity)');
  }
  if (!Number.isInteger(status?.index) || status.index < 0 || status.index >= STATUS_LIST_LENGTH) {
    throw new RangeError(`status.index must be a whole number in [0, ${STATUS_LIST_LENGTH})`);
  }
  const validUntil = input.validUntil === undefined ? undefined : validUntilTimestamp(input.validUntil);
  if (validUntil !== undefined && Date.parse(validUntil) < input.issuedAt.getTime()) {
    throw new RangeError('validUntil is before issuedAt');
  }

  const { zh, en } = CERTIFICATION_LEVELS[level];
  const levelName = `${zh} ${en}`;
  const occupation = input.occupationName?.trim() ? input.occupationName : input.occupationCode;
  const occupationLabel = input.occupationName?.trim()
    ? `${input.occupationName} (${input.occupationCode})`
    : `occupation ${input.occupationCode}`;
  const achievementName = `${occupation} — level ${level} (${levelName})`;
  const statusUrl = publicVerificationUrl(input.baseUrl, input.serial);

  const credential: CertificationCredential = {
    '@context': [VC_CONTEXT_V2, OPEN_BADGES_CONTEXT, credentialsContextUrl(input.baseUrl)],
    id: `urn:uuid:${uuid(input.certificationId, 'certificationId')}`,
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    name: `${achievementName} · ${input.brand.name}`,
    description:
      `Vocational skill certificate ${input.serial}: level ${level} of 5 (${levelName}; level 1 is the highest) ` +
      `in ${occupationLabel}, issued by ${input.issuer.name} under the labor service brand ${input.brand.name}. ` +
      `Current status: ${statusUrl}`,
    issuer: { id: `urn:uuid:${uuid(input.issuer.id, 'issuer.id')}`, type: ['Profile'], name: input.issuer.name },
    validFrom: input.issuedAt.toISOString(),
    credentialSubject: {
      type: ['AchievementSubject'],
      name: input.holderNameMasked,
      identifier: [
        { type: 'IdentityObject', identityType: 'identifier', hashed: true, identityHash: identity.identityHash, salt: identity.salt },
      ],
      source: { id: `urn:uuid:${uuid(input.brand.id, 'brand.id')}`, type: ['Profile'], name: input.brand.name },
      achievement: {
        id: `urn:labor-brands:occupation:${encodeURIComponent(input.occupationCode)}:level:${level}`,
        type: ['Achievement'],
        achievementType: 'Certificate',
        name: achievementName,
        description:
          `National vocational skill level ${level} (${levelName}) in ${occupationLabel}, ` +
          'per the Occupational Classification of the People’s Republic of China (中华人民共和国职业分类大典). ' +
          'Levels run from 5 (初级工 junior worker) to 1 (高级技师 senior technician).',
        criteria: {
          narrative:
            `Passed the skill assessment for ${occupationLabel} at level ${level} (${zh}) against the national ` +
            'occupational skill standard (国家职业技能标准), as recorded by the issuer.',
        },
      },
    },
    credentialStatus: {
      id: statusUrl,
      type: STATUS_LIST_ENTRY_TYPE,
      statusPurpose: STATUS_PURPOSE,
      statusListIndex: String(status.index),
      statusListCredential: statusListCredentialUrl(input.baseUrl, status.list),
    },
  };
  if (validUntil !== undefined) credential.validUntil = validUntil;
  return credential;
}

/**
 * The status list credential of list `list` (Bitstring Status List §2.2), issued by the registry itself (its base
 * URL). `validFrom` is when it was built; it is valid for `validForMs` (a verifier given a copy older than that,
 * e.g. stapled by a holder, must fetch a fresh one) and asks to be kept at most `ttlMs`.
 */
export function buildStatusListCredential(input: {
  list: number;
  encodedList: string;
  builtAt: Date;
  ttlMs: number;
  validForMs: number;
  baseUrl: string;
}): StatusListCredential {
  const url = statusListCredentialUrl(input.baseUrl, input.list);
  return {
    '@context': [VC_CONTEXT_V2, credentialsContextUrl(input.baseUrl)],
    id: url,
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: registryIssuerId(input.baseUrl),
    validFrom: input.builtAt.toISOString(),
    validUntil: new Date(input.builtAt.getTime() + input.validForMs).toISOString(),
    credentialSubject: {
      id: `${url}#list`,
      type: 'BitstringStatusList',
      statusPurpose: STATUS_PURPOSE,
      encodedList: input.encodedList,
      ttl: input.ttlMs,
    },
  };
}

function validUntilTimestamp(date: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const [year, month, day] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [0, 0, 0];
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (!match || probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) {
    throw new RangeError(`validUntil must be a calendar date YYYY-MM-DD, got "${date}"`);
  }
  return `${date}T23:59:59${CHINA_UTC_OFFSET}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function uuid(value: string, field: string): string {
  if (!UUID.test(value)) throw new RangeError(`${field} must be a UUID`);
  return value.toLowerCase();
}

function normalizeBaseUrl(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new RangeError('baseUrl must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RangeError('baseUrl must be an absolute http(s) URL');
  if (url.search || url.hash) throw new RangeError('baseUrl must not have a query or fragment');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Securing: VC-JOSE-COSE §3.1.1 (https://www.w3.org/TR/vc-jose-cose/#securing-with-jose)
// ---------------------------------------------------------------------------------------------------------------

/** What the JWS payload holds: the credential and the registered JWT claims that do not contradict it. */
export type Signed<T> = T & { iss: string; jti: string; iat: number };
export type SignedCredentialPayload = Signed<CertificationCredential>;

/**
 * Signs a credential (a certificate's, or a status list) as a compact JWS (application/vc+jwt).
 *
 * - Protected header `{ alg: "EdDSA", kid, typ: "vc+jwt", cty: "vc" }` (§3.1.1: typ SHOULD be vc+jwt; cty, when
 *   present, SHOULD be vc). Compact serialization: §3.1.1 "Implementations MUST support the JWS compact
 *   serialization".
 * - Payload: the credential itself, unwrapped ("The unsecured verifiable credential is the unencoded JWS
 *   payload", §3.1.1); no `vc` claim (§1.1.2.1 / §3.1.3: the claim names vc and vp MUST NOT be present).
 * - Registered claims added alongside (§3.1.3): `iss` = the issuer's id and `jti` = id, the same values, because
 *   implementers SHOULD NOT set iss/jti to values that conflict with issuer/id; `iat` = the time of signing.
 *   No `nbf` (§3.1.3: NOT RECOMMENDED). No `exp`: §3.1.3 says exp is the signature's expiry, not the credential's
 *   (that is `validUntil`); an expired certificate must still show a good signature and "expired", not "forged".
 *   The contexts define all three (VC 2.0: iss, iat; CREDENTIALS_CONTEXT: jti).
 */
export async function signCredential<T extends CertificationCredential | StatusListCredential>(
  credential: T,
  keyring: CredentialKeyring,
  options: { now?: Date } = {},
): Promise<string> {
  for (const claim of ['vc', 'vp', 'iss', 'jti', 'iat', 'nbf', 'exp'] as const) {
    if (claim in credential) throw new TypeError(`the credential must not carry a "${claim}" member`);
  }
  const now = options.now ?? new Date();
  const payload: Signed<T> = {
    ...credential,
    iss: typeof credential.issuer === 'string' ? credential.issuer : credential.issuer.id,
    jti: credential.id,
    iat: Math.floor(now.getTime() / 1000),
  };
  const { current } = keyring;
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: CREDENTIAL_JWS_ALG, kid: current.kid, typ: CREDENTIAL_JWS_TYP, cty: CREDENTIAL_JWS_CTY })
    .sign(current.privateKey);
}

/**
 * Verifies a credential JWS against a JWKS document, as an outside verifier would, and returns its payload.
 * Checks the signature (EdDSA only; the key chosen by kid), `typ: "vc+jwt"` and that the payload is a
 * VerifiableCredential. Does not judge validity dates or revocation: that is the public status route's job.
 * Throws (a jose error or a TypeError) when any check fails.
 */
export async function verifyCredential<T = SignedCredentialPayload>(
  jws: string,
  jwksDoc: { keys: JWK[] },
): Promise<T> {
  const keySet = createLocalJWKSet(jwksDoc as JSONWebKeySet);
  const { payload, protectedHeader } = await compactVerify(jws, keySet, { algorithms: [CREDENTIAL_JWS_ALG] });
  if (protectedHeader.typ !== CREDENTIAL_JWS_TYP) {
    throw new TypeError(`not a credential JWS: typ is ${JSON.stringify(protectedHeader.typ ?? null)}, expected "vc+jwt"`);
  }
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    throw new TypeError('the credential JWS payload is not JSON');
  }
  if (!isObject(document) || !Array.isArray(document.type) || !document.type.includes('VerifiableCredential')) {
    throw new TypeError('the credential JWS payload is not a VerifiableCredential');
  }
  return document as unknown as T;
}
