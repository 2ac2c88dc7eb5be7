import { createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import {
  DEVELOPMENT_KEY_ID,
  PiiCipher,
  PiiDecryptionError,
  PiiKeyring,
  PiiKeyringError,
  isMainlandMobile,
  maskPhone,
  parsePiiKeyring,
} from '../../src/common/crypto/pii-cipher';

const NATIONAL_ID = '11010519491231002X';
const CONTEXT = 'trainees.national_id';

function key(): Buffer {
  return randomBytes(32);
}

function keyring(current: string, keys: Record<string, Buffer>, hmacKey = key()): PiiKeyring {
  return { current, keys: new Map(Object.entries(keys)), hmacKey };
}

function b64(bytes: Buffer): string {
  return bytes.toString('base64');
}

/** Runs `fn`, which must throw, and returns what it threw. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('PiiCipher encryption', () => {
  const k1 = key();
  const cipher = new PiiCipher(keyring('k1', { k1 }));

  it('round-trips ASCII, Chinese, emoji and the empty string', () => {
    for (const plaintext of [NATIONAL_ID, '13812341234', '张伟', '欧阳娜娜 · 𠮷野家 👩‍🔧', '']) {
      expect(cipher.decrypt(cipher.encrypt(plaintext))).toBe(plaintext);
      expect(cipher.decrypt(cipher.encrypt(plaintext, CONTEXT), CONTEXT)).toBe(plaintext);
    }
  });

  it('lays the value out as version | kid length | kid | IV | tag | ciphertext, readable with plain node:crypto', () => {
    const blob = cipher.encrypt(NATIONAL_ID, CONTEXT);
    expect(blob[0]).toBe(1);
    expect(blob[1]).toBe(2);
    expect(blob.subarray(2, 4).toString('ascii')).toBe('k1');
    // AES-GCM is a stream mode: the ciphertext is as long as the UTF-8 plaintext.
    expect(blob.length).toBe(4 + 12 + 16 + Buffer.byteLength(NATIONAL_ID));
    const decipher = createDecipheriv('aes-256-gcm', k1, blob.subarray(4, 16));
    decipher.setAAD(Buffer.concat([blob.subarray(0, 4), Buffer.from(CONTEXT)]));
    decipher.setAuthTag(blob.subarray(16, 32));
    expect(Buffer.concat([decipher.update(blob.subarray(32)), decipher.final()]).toString()).toBe(NATIONAL_ID);
  });

  it('round-trips bytes (a chunk of a stored file) in the same format, bound to its context', () => {
    const chunk = randomBytes(1024 * 1024 + 7);
    const blob = cipher.encryptBytes(chunk, 'import_file:f:0');
    expect(blob.length).toBe(4 + 12 + 16 + chunk.length);
    expect(cipher.decryptBytes(blob, 'import_file:f:0').equals(chunk)).toBe(true);
    // Text and bytes are one format: what encrypt wrote, decryptBytes reads, and the other way round.
    expect(cipher.decryptBytes(cipher.encrypt('张伟', CONTEXT), CONTEXT).toString('utf8')).toBe('张伟');
    expect(cipher.decrypt(cipher.encryptBytes(Buffer.from('张伟'), CONTEXT), CONTEXT)).toBe('张伟');
    // A chunk moved to another position or file does not decrypt.
    expect(thrown(() => cipher.decryptBytes(blob, 'import_file:f:1'))).toBeInstanceOf(PiiDecryptionError);
    expect(cipher.decryptBytes(cipher.encryptBytes(Buffer.alloc(0))).length).toBe(0);
  });

  it('uses a fresh random IV per value, so equal plaintexts encrypt differently', () => {
    const first = cipher.encrypt(NATIONAL_ID);
    const second = cipher.encrypt(NATIONAL_ID);
    expect(first.equals(second)).toBe(false);
    expect(first.subarray(4, 16).equals(second.subarray(4, 16))).toBe(false);
  });

  it('never repeats an IV across many values, including across refills of the IV pool', () => {
    const ivs = new Set<string>();
    const count = 10_000; // more than two pools of 4,096
    for (let i = 0; i < count; i++) ivs.add(cipher.encrypt('x').subarray(4, 16).toString('hex'));
    expect(ivs.size).toBe(count);
  });

  it('keeps a value it returned intact after later encryptions refill the IV pool', () => {
    const blob = cipher.encrypt(NATIONAL_ID, CONTEXT);
    const copy = Buffer.from(blob);
    for (let i = 0; i < 5_000; i++) cipher.encrypt('x');
    expect(blob.equals(copy)).toBe(true);
    expect(cipher.decrypt(blob, CONTEXT)).toBe(NATIONAL_ID);
  });

  it('is not affected by later changes to the Buffers of the keyring it was built from', () => {
    const keyBytes = key();
    const ring = keyring('k', { k: keyBytes });
    const own = new PiiCipher(ring);
    const blob = own.encrypt('张伟');
    keyBytes.fill(0);
    expect(own.decrypt(blob)).toBe('张伟');
  });
});

describe('PiiCipher key rotation', () => {
  const oldKey = key();
  const newKey = key();
  const hmacKey = key();
  const before = new PiiCipher(keyring('2024a', { '2024a': oldKey }, hmacKey));
  const after = new PiiCipher(keyring('2025a', { '2025a': newKey, '2024a': oldKey }, hmacKey));

  it('decrypts values of the old key and the new key, and encrypts with the new one', () => {
    const old = before.encrypt('张伟', 'trainees.full_name');
    const fresh = after.encrypt('张伟', 'trainees.full_name');
    expect(after.decrypt(old, 'trainees.full_name')).toBe('张伟');
    expect(after.decrypt(fresh, 'trainees.full_name')).toBe('张伟');
    expect(before.keyIdOf(old)).toBe('2024a');
    expect(after.keyIdOf(old)).toBe('2024a');
    expect(after.keyIdOf(fresh)).toBe('2025a');
    expect(after.currentKeyId).toBe('2025a');
  });

  it('leaves blind indexes unchanged, since the HMAC key does not rotate with the encryption keys', () => {
    expect(after.blindIndex(NATIONAL_ID, 'national_id').equals(before.blindIndex(NATIONAL_ID, 'national_id'))).toBe(true);
  });

  it('refuses, without revealing the plaintext, a value whose key has been removed', () => {
    const fresh = after.encrypt(NATIONAL_ID);
    const error = thrown(() => before.decrypt(fresh));
    expect(error).toBeInstanceOf(PiiDecryptionError);
    expect(error.message).toContain("'2025a'");
    expect(error.message).toContain('not configured');
    expect(error.message).not.toContain(NATIONAL_ID);
  });

  it('re-encrypts a value under the current key with the same plaintext and context; a current value is left alone', () => {
    const old = before.encrypt('13812345678', 'phone');
    expect(after.isCurrent(old)).toBe(false);
    const moved = after.reencrypt(old, 'phone');
    expect(after.keyIdOf(moved)).toBe('2025a');
    expect(after.isCurrent(moved)).toBe(true);
    expect(after.decrypt(moved, 'phone')).toBe('13812345678');
    expect(() => after.decrypt(moved, 'national_id')).toThrow(PiiDecryptionError);
    expect(after.reencrypt(moved, 'phone')).toBe(moved);
    expect(() => after.reencrypt(before.encrypt('x', 'phone'), 'national_id')).toThrow(PiiDecryptionError);
    expect(after.currentHeaderBytes).toEqual(moved.subarray(0, after.currentHeaderBytes.length));
  });

  it('reads the key id of a value it cannot decrypt', () => {
    expect(before.keyIdOf(after.encrypt('x'))).toBe('2025a');
  });
});

describe('PiiCipher tamper detection', () => {
  const cipher = new PiiCipher(keyring('k1', { k1: key() }));
  const blob = cipher.encrypt(NATIONAL_ID, CONTEXT);

  it('refuses the value after any single bit of any byte is flipped', () => {
    for (let index = 0; index < blob.length; index++) {
      for (const bit of [0x01, 0x80]) {
        const tampered = Buffer.from(blob);
        tampered[index] ^= bit;
        const error = thrown(() => cipher.decrypt(tampered, CONTEXT));
        expect(error).toBeInstanceOf(PiiDecryptionError);
        expect(error.message).not.toContain(NATIONAL_ID);
      }
    }
  });

  it('refuses a truncated value, an extended value and garbage', () => {
    for (let length = 0; length < blob.length; length++) {
      expect(() => cipher.decrypt(blob.subarray(0, length), CONTEXT)).toThrow(PiiDecryptionError);
    }
    expect(() => cipher.decrypt(Buffer.concat([blob, Buffer.from([0])]), CONTEXT)).toThrow(PiiDecryptionError);
    expect(() => cipher.decrypt(randomBytes(64), CONTEXT)).toThrow(PiiDecryptionError);
  });

  it('names the failure when the format version is unknown', () => {
    const tampered = Buffer.from(blob);
    tampered[0] = 2;
    expect(() => cipher.decrypt(tampered, CONTEXT)).toThrow(/format version 2/);
  });

  it('refuses a value moved to another column (wrong context), and one encrypted without a context', () => {
    const error = thrown(() => cipher.decrypt(blob, 'trainees.phone'));
    expect(error).toBeInstanceOf(PiiDecryptionError);
    expect(error.message).toMatch(/altered|context/);
    expect(error.message).not.toContain(NATIONAL_ID);
    expect(() => cipher.decrypt(blob)).toThrow(PiiDecryptionError);
    expect(() => cipher.decrypt(cipher.encrypt(NATIONAL_ID), CONTEXT)).toThrow(PiiDecryptionError);
  });

  it('refuses a value encrypted under the same key id by a different key', () => {
    const impostor = new PiiCipher(keyring('k1', { k1: key() }));
    expect(() => cipher.decrypt(impostor.encrypt(NATIONAL_ID))).toThrow(PiiDecryptionError);
  });

  it('refuses to read the key id of a corrupt header', () => {
    expect(() => cipher.keyIdOf(Buffer.from([1]))).toThrow(PiiDecryptionError);
    expect(() => cipher.keyIdOf(Buffer.concat([Buffer.from([1, 2]), Buffer.from('k!'), Buffer.alloc(28)]))).toThrow(
      /corrupt key id/,
    );
    expect(() => cipher.keyIdOf(Buffer.concat([Buffer.from([1, 0]), Buffer.alloc(28)]))).toThrow(PiiDecryptionError);
  });
});

describe('PiiCipher blind index', () => {
  const hmacKey = key();
  const cipher = new PiiCipher(keyring('k1', { k1: key() }, hmacKey));

  it('is HMAC-SHA-256 over purpose, NUL, value: 32 bytes', () => {
    const expected = createHmac('sha256', hmacKey).update(`national_id\0${NATIONAL_ID}`).digest();
    const index = cipher.blindIndex(NATIONAL_ID, 'national_id');
    expect(index.length).toBe(32);
    expect(index.equals(expected)).toBe(true);
  });

  it('is deterministic, also across cipher instances with the same HMAC key and different encryption keys', () => {
    const other = new PiiCipher(keyring('k9', { k9: key() }, hmacKey));
    expect(cipher.blindIndex(NATIONAL_ID, 'national_id').equals(cipher.blindIndex(NATIONAL_ID, 'national_id'))).toBe(true);
    expect(cipher.blindIndex(NATIONAL_ID, 'national_id').equals(other.blindIndex(NATIONAL_ID, 'national_id'))).toBe(true);
  });

  it('separates purposes and values, including pairs that concatenate alike', () => {
    const indexes = [
      cipher.blindIndex('13812341234', 'national_id'),
      cipher.blindIndex('13812341234', 'phone'),
      cipher.blindIndex('13812341235', 'phone'),
      // Without the NUL separator these three would all be HMAC('abc').
      cipher.blindIndex('c', 'ab'),
      cipher.blindIndex('bc', 'a'),
      cipher.blindIndex('', 'abc'),
    ].map((index) => index.toString('hex'));
    expect(new Set(indexes).size).toBe(indexes.length);
  });

  it('differs under another HMAC key', () => {
    const other = new PiiCipher(keyring('k1', { k1: key() }));
    expect(other.blindIndex(NATIONAL_ID, 'national_id').equals(cipher.blindIndex(NATIONAL_ID, 'national_id'))).toBe(false);
  });

  it('rejects an empty purpose or one containing NUL', () => {
    expect(() => cipher.blindIndex(NATIONAL_ID, '')).toThrow(RangeError);
    expect(() => cipher.blindIndex(NATIONAL_ID, 'national\0id')).toThrow(RangeError);
  });
});

describe('PiiCipher construction', () => {
  it('rejects a keyring whose current key is missing, a wrong-sized key or a short HMAC key', () => {
    expect(() => new PiiCipher(keyring('k2', { k1: key() }))).toThrow(/current PII key 'k2'/);
    expect(() => new PiiCipher(keyring('k1', { k1: randomBytes(16) }))).toThrow(PiiKeyringError);
    expect(() => new PiiCipher(keyring('k1', { k1: key() }, randomBytes(31)))).toThrow(PiiKeyringError);
    expect(() => new PiiCipher(keyring('k1', {}))).toThrow(PiiKeyringError);
    expect(() => new PiiCipher(keyring('bad id', { 'bad id': key() }))).toThrow(PiiKeyringError);
  });
});

describe('parsePiiKeyring', () => {
  const k1 = key();
  const k2 = key();
  const hmac = key();
  const production = { allowDevelopmentKeys: false };
  const development = { allowDevelopmentKeys: true };

  it('reads several keys, the first being current, and the HMAC key', () => {
    const { keyring: ring, generated } = parsePiiKeyring(`k2:${b64(k2)},k1:${b64(k1)}`, b64(hmac), production);
    expect(generated).toBe(false);
    expect(ring.current).toBe('k2');
    expect([...ring.keys.keys()]).toEqual(['k2', 'k1']);
    expect(ring.keys.get('k1')!.equals(k1)).toBe(true);
    expect(ring.keys.get('k2')!.equals(k2)).toBe(true);
    expect(ring.hmacKey.equals(hmac)).toBe(true);
  });

  it('tolerates surrounding whitespace and a trailing newline, URL-safe base64 and missing padding', () => {
    const urlSafe = k1.toString('base64url');
    const { keyring: ring } = parsePiiKeyring(` k1 : ${urlSafe} , k2:${b64(k2)}\n`, `${b64(hmac)}\n`, production);
    expect(ring.keys.get('k1')!.equals(k1)).toBe(true);
    expect(ring.keys.get('k2')!.equals(k2)).toBe(true);
  });

  it('accepts an HMAC key longer than 32 bytes', () => {
    const long = randomBytes(64);
    expect(parsePiiKeyring(`k1:${b64(k1)}`, b64(long), production).keyring.hmacKey.equals(long)).toBe(true);
  });

  it('builds a working cipher from what it parsed', () => {
    const cipher = new PiiCipher(parsePiiKeyring(`k1:${b64(k1)}`, b64(hmac), production).keyring);
    expect(cipher.decrypt(cipher.encrypt('张伟'))).toBe('张伟');
  });

  describe('errors name the variable, say what is wrong, and never contain key material', () => {
    const secretLooking = [b64(k1), b64(k2), b64(hmac), k1.toString('base64url'), b64(randomBytes(16))];
    const cases: [string, string | undefined, string | undefined, string, RegExp][] = [
      ['both unset in production', undefined, undefined, 'PII_ENCRYPTION_KEYS', /must be set/],
      ['both empty in production', '', '  ', 'PII_ENCRYPTION_KEYS', /must be set/],
      ['keys unset', undefined, b64(hmac), 'PII_ENCRYPTION_KEYS', /not set/],
      ['HMAC key unset', `k1:${b64(k1)}`, undefined, 'PII_HMAC_KEY', /not set/],
      ['no kid', b64(k1), b64(hmac), 'PII_ENCRYPTION_KEYS', /keyId:base64key/],
      ['empty entry', `k1:${b64(k1)},`, b64(hmac), 'PII_ENCRYPTION_KEYS', /entry 2 of 2 is empty/],
      ['empty kid', `:${b64(k1)}`, b64(hmac), 'PII_ENCRYPTION_KEYS', /key id of entry 1/],
      ['kid too long', `${'k'.repeat(33)}:${b64(k1)}`, b64(hmac), 'PII_ENCRYPTION_KEYS', /key id of entry 1/],
      ['kid with bad characters', `k.1:${b64(k1)}`, b64(hmac), 'PII_ENCRYPTION_KEYS', /key id of entry 1/],
      ['key as kid', `${b64(k1)}:${b64(k2)}`, b64(hmac), 'PII_ENCRYPTION_KEYS', /key id of entry 1/],
      ['duplicate kid', `k1:${b64(k1)},k1:${b64(k2)}`, b64(hmac), 'PII_ENCRYPTION_KEYS', /'k1' more than once/],
      ['short key', `k1:${b64(randomBytes(16))}`, b64(hmac), 'PII_ENCRYPTION_KEYS', /'k1' must decode to exactly 32 bytes, got 16/],
      ['long key', `k1:${b64(randomBytes(48))}`, b64(hmac), 'PII_ENCRYPTION_KEYS', /exactly 32 bytes, got 48/],
      ['key not base64', `k1:${b64(k1).slice(0, 20)}!${b64(k1).slice(21)}`, b64(hmac), 'PII_ENCRYPTION_KEYS', /'k1' is not valid base64/],
      ['key with inner space', `k1:${b64(k1).slice(0, 20)} ${b64(k1).slice(20)}`, b64(hmac), 'PII_ENCRYPTION_KEYS', /not valid base64/],
      ['HMAC key not base64', `k1:${b64(k1)}`, `${b64(hmac)}#`, 'PII_HMAC_KEY', /not valid base64/],
      ['HMAC key short', `k1:${b64(k1)}`, b64(randomBytes(16)), 'PII_HMAC_KEY', /at least 32 bytes, got 16/],
      ['HMAC key reuses an encryption key', `k1:${b64(k1)},k2:${b64(k2)}`, b64(k2), 'PII_HMAC_KEY', /'k2'/],
    ];
    it.each(cases)('%s', (_name, keys, hmacKey, variable, pattern) => {
      const error = thrown(() => parsePiiKeyring(keys, hmacKey, production));
      expect(error).toBeInstanceOf(PiiKeyringError);
      expect(error.message).toContain(variable);
      expect(error.message).toMatch(pattern);
      for (const secret of secretLooking) {
        // Not even a fragment: any 8-character piece of a key would be a leak.
        for (let start = 0; start + 8 <= secret.length; start += 4) {
          expect(error.message).not.toContain(secret.slice(start, start + 8));
        }
      }
    });

    it('half a configuration is an error in development too', () => {
      expect(() => parsePiiKeyring(`k1:${b64(k1)}`, undefined, development)).toThrow(/PII_HMAC_KEY is not set/);
      expect(() => parsePiiKeyring(undefined, b64(hmac), development)).toThrow(/PII_ENCRYPTION_KEYS is not set/);
    });
  });

  describe('development keys', () => {
    it('are generated only when both variables are unset and development keys are allowed', () => {
      const { keyring: ring, generated } = parsePiiKeyring(undefined, undefined, development);
      expect(generated).toBe(true);
      expect(ring.current).toBe(DEVELOPMENT_KEY_ID);
      expect(ring.keys.get(DEVELOPMENT_KEY_ID)!.length).toBe(32);
      expect(ring.hmacKey.length).toBe(32);
      expect(ring.hmacKey.equals(ring.keys.get(DEVELOPMENT_KEY_ID)!)).toBe(false);
      expect(parsePiiKeyring(`k1:${b64(k1)}`, b64(hmac), development).generated).toBe(false);
    });

    it('are deterministic, so a restarted development server reads what it wrote', () => {
      const first = new PiiCipher(parsePiiKeyring(undefined, undefined, development).keyring);
      const restarted = new PiiCipher(parsePiiKeyring('', '', development).keyring);
      expect(restarted.decrypt(first.encrypt('张伟', CONTEXT), CONTEXT)).toBe('张伟');
      expect(restarted.blindIndex(NATIONAL_ID, 'national_id').equals(first.blindIndex(NATIONAL_ID, 'national_id'))).toBe(true);
    });

    it('are refused when configured explicitly in production, and accepted in development', () => {
      const dev = parsePiiKeyring(undefined, undefined, development).keyring;
      const devKey = b64(dev.keys.get(DEVELOPMENT_KEY_ID)!);
      const devHmac = b64(dev.hmacKey);
      expect(() => parsePiiKeyring(`prod:${devKey}`, b64(hmac), production)).toThrow(/'prod' is the public development key/);
      expect(() => parsePiiKeyring(`prod:${b64(k1)}`, devHmac, production)).toThrow(/PII_HMAC_KEY is the public development key/);
      expect(parsePiiKeyring(`dev:${devKey}`, devHmac, development).keyring.current).toBe('dev');
    });
  });
});

describe('phone numbers', () => {
  it('masks an 11-digit number as first 3, four stars, last 4', () => {
    expect(maskPhone('13812341234')).toBe('138****1234');
    expect(maskPhone('19912345678')).toBe('199****5678');
  });

  it('masks anything else completely', () => {
    expect(maskPhone('1381234123')).toBe('**********');
    expect(maskPhone('+8613812341234')).toBe('**************');
    expect(maskPhone('138-1234-1234')).toBe('*************');
    expect(maskPhone('１３８１２３４１２３４')).toBe('***********'); // full-width digits
    expect(maskPhone('')).toBe('');
  });

  it('recognises mainland mobile numbers: 11 digits, 1, then 3–9', () => {
    for (const ok of ['13012345678', '13812341234', '14512345678', '15912345678', '16612345678', '17712345678', '18812345678', '19912345678']) {
      expect(isMainlandMobile(ok)).toBe(true);
    }
    for (const bad of [
      '12812341234', // second digit 2
      '10012345678',
      '23812341234', // not starting with 1
      '1381234123', // 10 digits
      '138123412345', // 12 digits
      '+8613812341234',
      '138 1234 1234',
      '138-1234-1234',
      '1381234123x',
      '１３８１２３４１２３４',
      '13812341234\n',
      '',
    ]) {
      expect(isMainlandMobile(bad)).toBe(false);
    }
  });
});
