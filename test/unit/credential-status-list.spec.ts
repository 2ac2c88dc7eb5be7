import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { buildStatusListCredential, statusListCredentialUrl } from '../../src/certifications/credential';
import {
  decodeStatusList,
  encodeStatusList,
  isStatusSet,
  permuteStatusListSlot,
  STATUS_LIST_LENGTH,
  statusListSlot,
} from '../../src/certifications/status-list';

/** A generic reading of an encodedList, straight from the Recommendation's text (not through our decoder). */
function bitOf(encodedList: string, index: number): number {
  expect(encodedList[0]).toBe('u'); // multibase: base64url, no padding
  expect(encodedList).not.toMatch(/[=+/]/);
  const bits = gunzipSync(Buffer.from(encodedList.slice(1), 'base64url'));
  // "the leftmost bit" is index 0: the most significant bit of the first byte.
  return (bits[Math.floor(index / 8)] >> (7 - (index % 8))) & 1;
}

describe('Bitstring Status List: the bits', () => {
  it('an empty list is 131,072 zero bits (16 KiB), GZIP-compressed to a few dozen bytes', () => {
    const encoded = encodeStatusList([]);
    const bits = decodeStatusList(encoded);
    expect(bits.length * 8).toBe(STATUS_LIST_LENGTH);
    expect(STATUS_LIST_LENGTH).toBeGreaterThanOrEqual(131_072); // the Recommendation's minimum
    expect(bits.every((b) => b === 0)).toBe(true);
    expect(encoded.length).toBeLessThan(200);
  });

  it('sets exactly the given indexes, index 0 the most significant bit of the first byte', () => {
    const set = [0, 7, 8, 94_567, STATUS_LIST_LENGTH - 1];
    const encoded = encodeStatusList(set);
    for (const index of set) expect(bitOf(encoded, index)).toBe(1);
    for (const index of [1, 6, 9, 94_566, 94_568, STATUS_LIST_LENGTH - 2]) expect(bitOf(encoded, index)).toBe(0);
    const bits = decodeStatusList(encoded);
    expect(bits[0]).toBe(0b1000_0001);
    expect(bits[1]).toBe(0b1000_0000);
    expect(isStatusSet(bits, 94_567)).toBe(true);
    let count = 0;
    for (let i = 0; i < STATUS_LIST_LENGTH; i++) count += isStatusSet(bits, i) ? 1 : 0;
    expect(count).toBe(set.length);
  });

  it('refuses indexes outside the list and encodings that are not multibase base64url', () => {
    expect(() => encodeStatusList([STATUS_LIST_LENGTH])).toThrow(RangeError);
    expect(() => encodeStatusList([-1])).toThrow(RangeError);
    expect(() => decodeStatusList(`z${encodeStatusList([]).slice(1)}`)).toThrow(/multibase/);
  });
});

describe('Bitstring Status List: handing out positions', () => {
  it('fills list 1, then list 2, …, 131,072 positions each', () => {
    expect(statusListSlot(0)).toEqual({ list: 1, slot: 0 });
    expect(statusListSlot(STATUS_LIST_LENGTH - 1)).toEqual({ list: 1, slot: STATUS_LIST_LENGTH - 1 });
    expect(statusListSlot(STATUS_LIST_LENGTH)).toEqual({ list: 2, slot: 0 });
    expect(statusListSlot(5 * STATUS_LIST_LENGTH + 17)).toEqual({ list: 6, slot: 17 });
    expect(() => statusListSlot(-1)).toThrow(RangeError);
  });

  it('the index permutation is a bijection: every slot its own index, every index used once the list is full', () => {
    const key = randomBytes(32);
    for (const length of [8, 1000, 4096]) {
      const seen = new Set<number>();
      for (let slot = 0; slot < length; slot++) {
        const index = permuteStatusListSlot(slot, key, length);
        expect(index).toBeGreaterThanOrEqual(0);
        expect(index).toBeLessThan(length);
        seen.add(index);
      }
      expect(seen.size).toBe(length);
    }
    // The real size: a sample of slots lands on distinct indexes spread over the whole list.
    const indexes = Array.from({ length: 2000 }, (_, slot) => permuteStatusListSlot(slot, key));
    expect(new Set(indexes).size).toBe(indexes.length);
    expect(Math.max(...indexes)).toBeGreaterThan(STATUS_LIST_LENGTH * 0.9);
    expect(Math.min(...indexes)).toBeLessThan(STATUS_LIST_LENGTH * 0.1);
  });

  it('an index tells nothing of the order of issue without the list key (the Recommendation: assign indexes randomly)', () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const first = Array.from({ length: 50 }, (_, slot) => permuteStatusListSlot(slot, a));
    // Consecutive certificates do not sit side by side, nor in increasing order.
    const ascending = first.slice(1).filter((index, i) => index > first[i]).length;
    expect(ascending).toBeGreaterThan(5);
    expect(ascending).toBeLessThan(45);
    expect(first.filter((index) => index < 50)).not.toHaveLength(50);
    // Another list (another key) scrambles differently; the same key always the same (the index is stable).
    expect(Array.from({ length: 50 }, (_, slot) => permuteStatusListSlot(slot, b))).not.toEqual(first);
    expect(Array.from({ length: 50 }, (_, slot) => permuteStatusListSlot(slot, a))).toEqual(first);
    expect(() => permuteStatusListSlot(STATUS_LIST_LENGTH, a)).toThrow(RangeError);
    expect(() => permuteStatusListSlot(0, Buffer.alloc(8))).toThrow(/16 bytes/);
  });
});

describe('Bitstring Status List: the status list credential', () => {
  it('is a BitstringStatusListCredential of the registry, at the URL the entries name', () => {
    const builtAt = new Date('2026-01-02T03:04:05.678Z');
    const encodedList = encodeStatusList([42]);
    const credential = buildStatusListCredential({ list: 3, encodedList, builtAt, ttlMs: 30_000, validForMs: 86_400_000, baseUrl: 'https://registry.example.cn/' });
    expect(credential).toEqual({
      '@context': ['https://www.w3.org/ns/credentials/v2', 'https://registry.example.cn/v1/public/contexts/credentials-v1.jsonld'],
      id: 'https://registry.example.cn/v1/public/status-lists/3',
      type: ['VerifiableCredential', 'BitstringStatusListCredential'],
      issuer: 'https://registry.example.cn',
      validFrom: '2026-01-02T03:04:05.678Z',
      validUntil: '2026-01-03T03:04:05.678Z',
      credentialSubject: {
        id: 'https://registry.example.cn/v1/public/status-lists/3#list',
        type: 'BitstringStatusList',
        statusPurpose: 'revocation',
        encodedList,
        ttl: 30_000,
      },
    });
    expect(credential.id).toBe(statusListCredentialUrl('https://registry.example.cn', 3));
  });
});
