/**
 * A trainee's skill certificate under a brand, as pure rules (API.md, Certifications):
 *
 *   (issue) ──▶ active ──revoke──▶ revoked   (final)
 *
 * An active certificate whose `validUntil` (inclusive, a civil date in China) has passed is no longer `valid`,
 * but its status stays `active`: expiry is a fact of the calendar, not a decision anyone recorded.
 */
import { randomBytes } from 'node:crypto';
import { isBrandCertified, type BrandStatus } from '../brands/brand.rules';
import { chinaToday, isCalendarDate } from '../common/time/china-time';
import type { ProblemCode } from '../common/problems/problem';
import type { TraineeStatus } from '../trainees/trainee.rules';
import { validUntilInstant } from './credential';
import { msg, type Message } from '../common/i18n/message';

export const CERTIFICATION_STATUSES = ['active', 'revoked'] as const;
export type CertificationStatus = (typeof CERTIFICATION_STATUSES)[number];

/** A certificate counts for its holder while it is in this status (and within its validity). */
export const ACTIVE_CERTIFICATION_STATUS: CertificationStatus = 'active';
/** A revoked certificate's bit is set in its status list (status-list.ts). */
export const REVOKED_CERTIFICATION_STATUS: CertificationStatus = 'revoked';

export const MIN_CERTIFICATION_LEVEL = 1;
export const MAX_CERTIFICATION_LEVEL = 5;

/** How the caller stands to the trainee's brand: its operator, a bureau whose jurisdiction covers it, or neither. */
export type IssuerRelation = 'operator' | 'bureau' | 'other';
/** How the caller stands to a certificate: the organization that issued it, a covering bureau, or neither. */
export type RevokerRelation = 'issuer' | 'bureau' | 'other';

export type CertificationCheck = { ok: true } | { ok: false; code: Extract<ProblemCode, 'FORBIDDEN' | 'BRAND_NOT_CERTIFIED' | 'INVALID_TRANSITION'>; reason: Message };

/**
 * Trainees who may receive a certificate: anyone still with the brand. A registered trainee qualifies too (people
 * arrive with skills and are assessed before any course), and so does a placed one (assessed on the job).
 * A withdrawn trainee has left the brand; an erased one has no name left to put on a certificate.
 */
export function canBeCertified(status: TraineeStatus, erased: boolean): boolean {
  return !erased && status !== 'withdrawn';
}

/** Levels are the integers 1 (高级技师, the highest) to 5 (初级工); names in credential.ts. */
export { isCertificationLevel } from './credential';


/** `validUntil` of a new certificate: absent (no end), or a real date after today in China. */
export function isAcceptableValidUntil(validUntil: string | null | undefined, today: string = chinaToday()): boolean {
  if (validUntil === null || validUntil === undefined) return true;
  return isCalendarDate(validUntil) && validUntil > today;
}

/**
 * May this caller issue a certificate to this trainee now? In order: who (403), the brand (409
 * BRAND_NOT_CERTIFIED: certified and within its validity), the trainee (409 INVALID_TRANSITION).
 * Visibility (404) is decided before this, by the trainee's visibility rule.
 */
export function checkIssue(input: {
  by: IssuerRelation;
  brand: { status: BrandStatus; validUntil: string | null };
  trainee: { status: TraineeStatus; erased: boolean };
  today?: string;
}): CertificationCheck {
  const today = input.today ?? chinaToday();
  if (input.by === 'other') {
    return { ok: false, code: 'FORBIDDEN', reason: msg('certification.issueForbidden') };
  }
  if (!isBrandCertified(input.brand.status, input.brand.validUntil, today)) {
    return { ok: false, code: 'BRAND_NOT_CERTIFIED', reason: msg('certification.brandNotCertified') };
  }
  if (!canBeCertified(input.trainee.status, input.trainee.erased)) {
    const status = input.trainee.erased ? msg('trainee.erasedState') : input.trainee.status;
    return { ok: false, code: 'INVALID_TRANSITION', reason: msg('certification.traineeNotCertifiable', { status }) };
  }
  return { ok: true };
}

/** Revocation: by the issuer or a covering bureau (else 403), of an active certificate only (else 409). */
export function checkRevoke(input: { by: RevokerRelation; status: CertificationStatus }): CertificationCheck {
  if (input.by === 'other') {
    return { ok: false, code: 'FORBIDDEN', reason: msg('certification.revokeForbidden') };
  }
  if (input.status !== ACTIVE_CERTIFICATION_STATUS) {
    return { ok: false, code: 'INVALID_TRANSITION', reason: msg('certification.revokeInactive', { status: input.status }) };
  }
  return { ok: true };
}

/**
 * Whether a certificate holds right now: active, and not past the end of its `validUntil` day in China (the same
 * instant the credential's own `validUntil` states). The brand's later fate does not undo an assessment passed.
 */
export function isCertificationValid(status: CertificationStatus, validUntil: string | null, now: Date = new Date()): boolean {
  if (status !== ACTIVE_CERTIFICATION_STATUS) return false;
  return validUntil === null || now.getTime() <= validUntilInstant(validUntil).getTime();
}

// ---------------------------------------------------------------------------------------------------------------
// Serial numbers
// ---------------------------------------------------------------------------------------------------------------

/**
 * Serials are what people type from a paper certificate into the public verification page, so they are short,
 * unambiguous and self-checking, and they are random rather than sequential: a counter (LB-2026-310104-000123)
 * would let anyone walk the whole register and learn every brand's certificates, whereas 75 random bits make
 * guessing a valid serial hopeless (with 10^8 certificates issued, one guess in about 4 × 10^14 hits) and reveal
 * nothing about region, brand, date or volume.
 *
 * Format `LB-XXXX-XXXX-XXXX-XXXC`: 15 random symbols of Crockford's base32 (digits and capitals without I, L, O,
 * U) and a Luhn mod 32 check symbol C, which catches every single mistyped symbol and nearly every swap of two
 * adjacent symbols (all but 0↔Z). Input is read leniently (any case, hyphens optional, O read as 0, I and L as 1).
 */
export const CROCKFORD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const SERIAL_PREFIX = 'LB';
const RANDOM_SYMBOLS = 15;
export const SERIAL_PATTERN = /^LB-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

/** Luhn mod N over Crockford base32 (N = 32): the check symbol to append to `payload`. */
export function serialCheckSymbol(payload: string): string {
  const n = CROCKFORD_ALPHABET.length;
  let sum = 0;
  let factor = 2;
  for (let i = payload.length - 1; i >= 0; i--) {
    const code = CROCKFORD_ALPHABET.indexOf(payload[i]);
    if (code < 0) throw new RangeError(`"${payload[i]}" is not a Crockford base32 symbol`);
    const addend = code * factor;
    sum += Math.floor(addend / n) + (addend % n);
    factor = factor === 2 ? 1 : 2;
  }
  return CROCKFORD_ALPHABET[(n - (sum % n)) % n];
}

function groupSerial(symbols: string): string {
  return `${SERIAL_PREFIX}-${symbols.match(/.{4}/g)!.join('-')}`;
}

/** A new random serial, e.g. `LB-7K3M-9QXD-4TPW-B2R0`. */
export function generateSerial(random: (size: number) => Buffer = randomBytes): string {
  const bytes = random(RANDOM_SYMBOLS);
  let symbols = '';
  // One byte per symbol, keeping its low 5 bits: uniform over the 32 symbols.
  for (let i = 0; i < RANDOM_SYMBOLS; i++) symbols += CROCKFORD_ALPHABET[bytes[i] & 31];
  return groupSerial(symbols + serialCheckSymbol(symbols));
}

export type SerialParse = { ok: true; serial: string } | { ok: false; reason: 'FORMAT' | 'CHECK_SYMBOL' };

/** Reads a serial as typed: the canonical form when it is well-formed and its check symbol right. */
export function parseSerial(input: string): SerialParse {
  const compact = input.trim().toUpperCase().replace(/-/g, '');
  if (!compact.startsWith(SERIAL_PREFIX) || compact.length !== SERIAL_PREFIX.length + RANDOM_SYMBOLS + 1) return { ok: false, reason: 'FORMAT' };
  const symbols = compact.slice(SERIAL_PREFIX.length).replace(/O/g, '0').replace(/[IL]/g, '1');
  if (![...symbols].every((c) => CROCKFORD_ALPHABET.includes(c))) return { ok: false, reason: 'FORMAT' };
  if (serialCheckSymbol(symbols.slice(0, -1)) !== symbols.slice(-1)) return { ok: false, reason: 'CHECK_SYMBOL' };
  return { ok: true, serial: groupSerial(symbols) };
}
