/**
 * Revocation through the W3C Bitstring Status List v1.0 (Recommendation, 15 May 2025,
 * https://www.w3.org/TR/vc-bitstring-status-list/): the pure layer (no Nest, no database).
 *
 * Every certificate's credential carries a `BitstringStatusListEntry` naming a list and a position in it; the list
 * is itself a Verifiable Credential (`BitstringStatusListCredential`) whose `encodedList` holds one bit per position,
 * 1 for a revoked certificate. The service publishes each list at `<base>/v1/public/status-lists/<n>`, signed as a
 * compact JWS with the credential keys, so any verifier that understands the Recommendation sees a revocation
 * without knowing anything of this registry.
 *
 * - Size: every list has STATUS_LIST_LENGTH = 131,072 positions, the Recommendation's minimum ("This size ensures
 *   an adequate amount of group privacy"); when one is full the next list is started.
 * - Positions are handed out from one counter (`certification_status_entries`, a Postgres sequence): the n-th
 *   certificate goes to list ⌊n / 131,072⌋ + 1, slot n mod 131,072. The Recommendation says "Implementations SHOULD
 *   assign indexes randomly, such that inferences — such as the recency of the assignment or the size of the group
 *   — cannot be easily drawn from that position", so the slot is not published as is: a keyed pseudorandom
 *   permutation of the list (a Feistel network over HMAC-SHA-256, with a random key kept per list) maps it to the
 *   published `statusListIndex`. A bijection: two slots never share an index, and a list fills completely.
 * - Bits: index 0 is the most significant bit of the first byte ("the leftmost bit"), GZIP-compressed (RFC 1952),
 *   base64url without padding, multibase prefix `u`.
 */
import { createHmac } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';

/** Positions in one status list: the Recommendation's minimum (16 KiB of bits). */
export const STATUS_LIST_LENGTH = 131_072;

/** This registry publishes revocations only: a certificate is never suspended, and a revocation is final. */
export const STATUS_PURPOSE = 'revocation';

/** Type of the `credentialStatus` entry in every credential. */
export const STATUS_LIST_ENTRY_TYPE = 'BitstringStatusListEntry';

/** Multibase prefix of base64url without padding. */
const MULTIBASE_BASE64URL = 'u';

/** A certificate's place in the status lists: the list number (from 1) and its published index in that list. */
export interface StatusListPosition {
  list: number;
  index: number;
}

/** The list and slot of the n-th position handed out (n from 0, the counter's value). */
export function statusListSlot(sequence: number, length = STATUS_LIST_LENGTH): { list: number; slot: number } {
  if (!Number.isSafeInteger(sequence) || sequence < 0) throw new RangeError(`status list sequence must be a whole number ≥ 0, got ${sequence}`);
  return { list: Math.floor(sequence / length) + 1, slot: sequence % length };
}

const FEISTEL_ROUNDS = 4;

/**
 * The published index of `slot` in a list whose permutation key is `key`: a keyed pseudorandom permutation of
 * [0, length). A balanced Feistel network (4 rounds, HMAC-SHA-256 as the round function) permutes the 2·h-bit
 * numbers that cover `length`; values at or above `length` are walked on through the permutation again (cycle
 * walking), which keeps it a bijection of [0, length). Without the key, an index says nothing of when its
 * certificate was issued or how many share the list.
 */
export function permuteStatusListSlot(slot: number, key: Buffer, length = STATUS_LIST_LENGTH): number {
  if (!Number.isInteger(slot) || slot < 0 || slot >= length) throw new RangeError(`slot must be a whole number in [0, ${length}), got ${slot}`);
  if (key.length < 16) throw new RangeError('a status list permutation key needs at least 16 bytes');
  const half = Math.max(1, Math.ceil(Math.ceil(Math.log2(length)) / 2));
  const mask = (1 << half) - 1;
  const round = (i: number, value: number): number => {
    const input = Buffer.alloc(5);
    input.writeUInt8(i, 0);
    input.writeUInt32BE(value, 1);
    return createHmac('sha256', key).update(input).digest().readUInt32BE(0) & mask;
  };
  let x = slot;
  do {
    let left = x >>> half;
    let right = x & mask;
    for (let i = 0; i < FEISTEL_ROUNDS; i++) [left, right] = [right, left ^ round(i, right)];
    x = (left << half) | right;
  } while (x >= length);
  return x;
}

/**
 * `encodedList` of a list in which the given indexes are set: the bitstring (index 0 the most significant bit of
 * the first byte), GZIP-compressed, base64url without padding, prefixed with `u` (multibase).
 */
export function encodeStatusList(setIndexes: Iterable<number>, length = STATUS_LIST_LENGTH): string {
  if (length % 8 !== 0) throw new RangeError('a status list length must be a multiple of 8');
  const bits = Buffer.alloc(length / 8);
  for (const index of setIndexes) {
    if (!Number.isInteger(index) || index < 0 || index >= length) throw new RangeError(`status list index ${index} is outside [0, ${length})`);
    bits[index >> 3] |= 0x80 >> (index & 7);
  }
  return MULTIBASE_BASE64URL + gzipSync(bits).toString('base64url');
}

/** The bitstring of an `encodedList` (the inverse of encodeStatusList). Throws on anything else. */
export function decodeStatusList(encodedList: string): Buffer {
  if (!encodedList.startsWith(MULTIBASE_BASE64URL) || !/^[A-Za-z0-9_-]+$/.test(encodedList.slice(1))) {
    throw new TypeError('encodedList must be multibase base64url (prefix "u", no padding)');
  }
  return gunzipSync(Buffer.from(encodedList.slice(1), 'base64url'));
}

/** Whether the bit at `index` is set in a decoded bitstring. */
export function isStatusSet(bitstring: Buffer, index: number): boolean {
  if (index < 0 || index >= bitstring.length * 8) throw new RangeError(`index ${index} is outside the status list`);
  return (bitstring[index >> 3] & (0x80 >> (index & 7))) !== 0;
}
