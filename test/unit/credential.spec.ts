import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign as cryptoSign,
  verify as cryptoVerify,
} from 'node:crypto';
import { CompactSign, compactVerify, createLocalJWKSet, decodeProtectedHeader } from 'jose';
import {
  buildCredential,
  certificationLevelName,
  CredentialInput,
  CredentialKeyError,
  CredentialKeyring,
  hashedIdentity,
  jwks,
  loadCredentialKeyring,
  signCredential,
  validUntilInstant,
  verifyCredential,
} from '../../src/certifications/credential';

/**
 * RFC 8037 Appendix A.1: the Ed25519 key of the JOSE specification's own examples. Its A.3 thumbprint and A.4
 * signature are known answers computed outside this code base.
 */
const RFC8037_KEY = {
  kty: 'OKP',
  crv: 'Ed25519',
  d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A',
  x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
};
const RFC8037_THUMBPRINT = 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k';
const RFC8037_JWS =
  'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.' +
  'hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg';

/** A person as the trainee record holds them; only the masked name may reach a credential. */
const HOLDER = {
  fullName: '欧阳娜娜',
  nameMasked: '欧***',
  nationalId: '11010519491231002X',
  birthDate: '1949-12-31',
  phone: '13812345678',
};

const IDENTITY_SALT = '5f1d3c0e9a7b4e2f8c6d1a0b3e5f7a9c';
const IDENTITY_HASH_HEX = 'cbf215f46727a0d308e97f9959e193f8d2410c635418dbd000e181dcfc93a44a';

/** A private key as a JWK with a kid, the shape CREDENTIAL_SIGNING_KEY takes. */
function jwkOf(privateKey: KeyObject, kid: string): Record<string, string> {
  return { ...(privateKey.export({ format: 'jwk' }) as Record<string, string>), kid };
}

function freshJwk(kid: string): Record<string, string> {
  return jwkOf(generateKeyPairSync('ed25519').privateKey, kid);
}

async function keyringFrom(value: unknown): Promise<CredentialKeyring> {
  const { keyring, generated } = await loadCredentialKeyring(JSON.stringify(value), { allowDevelopmentKey: false });
  expect(generated).toBe(false);
  return keyring;
}

function input(overrides: Partial<CredentialInput> = {}): CredentialInput {
  return {
    serial: 'LB-2025-000123',
    certificationId: '3f0b8a52-6c1e-4d7a-9b55-2e7f0c9d1a44',
    issuer: { id: '8c1d2e3f-4a5b-4c6d-8e7f-901234567890', name: '某市人力资源和社会保障局' },
    brand: { id: '0a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d', name: '沙县小吃' },
    occupationCode: '4-03-02-01',
    occupationName: '中式烹调师',
    level: 3,
    holderNameMasked: HOLDER.nameMasked,
    identity: hashedIdentity(HOLDER.nationalId, IDENTITY_SALT),
    status: { list: 2, index: 94_567 },
    issuedAt: new Date('2025-03-01T02:30:00.000Z'),
    validUntil: '2028-02-29',
    baseUrl: 'https://registry.example.cn/',
    ...overrides,
  };
}

/** Verification with nothing but Node's crypto module: what any third party could write from RFC 7515/8037. */
function nodeVerify(jws: string, jwksDoc: { keys: readonly object[] }): boolean {
  const parts = jws.split('.');
  if (parts.length !== 3) return false;
  const [headerPart, payloadPart, signaturePart] = parts;
  const header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as { alg: string; kid: string };
  if (header.alg !== 'EdDSA') return false;
  const jwk = (jwksDoc.keys as Array<Record<string, unknown>>).find((key) => key.kid === header.kid);
  if (!jwk) return false;
  const publicKey = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x } as never, format: 'jwk' });
  // RFC 7515 §5.2: the signing input is ASCII(BASE64URL(header) || '.' || BASE64URL(payload)).
  const signingInput = Buffer.from(`${headerPart}.${payloadPart}`, 'ascii');
  return cryptoVerify(null, signingInput, publicKey, Buffer.from(signaturePart, 'base64url'));
}

function decodePart(jws: string, index: 0 | 1): any {
  return JSON.parse(Buffer.from(jws.split('.')[index], 'base64url').toString('utf8'));
}

/** Flips one bit of one character of a base64url part, keeping it valid base64url. */
function tamper(jws: string, index: 1 | 2): string {
  const parts = jws.split('.');
  const bytes = Buffer.from(parts[index], 'base64url');
  bytes[Math.floor(bytes.length / 2)] ^= 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

async function expectKeyError(env: string, ...forbidden: string[]): Promise<string> {
  const error = await loadCredentialKeyring(env, { allowDevelopmentKey: true }).then(
    () => {
      throw new Error('expected loadCredentialKeyring to throw');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CredentialKeyError);
  const message = (error as Error).message;
  expect(message).toMatch(/^CREDENTIAL_SIGNING_KEY /);
  for (const secret of forbidden) expect(message).not.toContain(secret);
  return message;
}

describe('known answers (RFC 8037)', () => {
  it('signs exactly as RFC 8037 A.4 does: Ed25519 is deterministic', () => {
    const [header, payload, signature] = RFC8037_JWS.split('.');
    const key = createPrivateKey({ key: RFC8037_KEY, format: 'jwk' });
    const ours = cryptoSign(null, Buffer.from(`${header}.${payload}`), key);
    expect(ours.toString('base64url')).toBe(signature);
  });

  it('a PEM key gets the RFC 7638 thumbprint of RFC 8037 A.3 as its kid', async () => {
    const pem = createPrivateKey({ key: RFC8037_KEY, format: 'jwk' }).export({ format: 'pem', type: 'pkcs8' }).toString();
    const { keyring } = await loadCredentialKeyring(pem, { allowDevelopmentKey: false });
    expect(keyring.current.kid).toBe(RFC8037_THUMBPRINT);
    // The same thumbprint by hand (RFC 7638 §3.2: required members only, lexicographic order, no whitespace).
    const canonical = `{"crv":"Ed25519","kty":"OKP","x":"${RFC8037_KEY.x}"}`;
    expect(createHash('sha256').update(canonical).digest('base64url')).toBe(RFC8037_THUMBPRINT);
    expect(jwks(keyring).keys).toEqual([
      { kty: 'OKP', crv: 'Ed25519', x: RFC8037_KEY.x, kid: RFC8037_THUMBPRINT, alg: 'EdDSA', use: 'sig' },
    ]);
  });

  it('accepts a PEM whose line breaks arrive as literal \\n (env files)', async () => {
    const pem = createPrivateKey({ key: RFC8037_KEY, format: 'jwk' }).export({ format: 'pem', type: 'pkcs8' }).toString();
    const escaped = pem.trim().replace(/\n/g, '\\n');
    const { keyring } = await loadCredentialKeyring(escaped, { allowDevelopmentKey: false });
    expect(keyring.current.kid).toBe(RFC8037_THUMBPRINT);
  });
});

describe('sign and verify', () => {
  let keyring: CredentialKeyring;
  let jws: string;
  /** The JWKS as a verifier gets it: over the wire, so JSON and nothing else. */
  let published: { keys: Array<Record<string, unknown>> };

  beforeAll(async () => {
    keyring = await keyringFrom({ ...RFC8037_KEY, kid: 'cred-2025-01' });
    jws = await signCredential(buildCredential(input()), keyring, { now: new Date('2025-03-01T02:30:05Z') });
    published = JSON.parse(JSON.stringify(jwks(keyring)));
  });

  it('is a compact JWS with the VC-JOSE-COSE header', () => {
    expect(jws.split('.')).toHaveLength(3);
    expect(decodePart(jws, 0)).toEqual({ alg: 'EdDSA', kid: 'cred-2025-01', typ: 'vc+jwt', cty: 'vc' });
  });

  it('verifies with jose using only the published JWKS', async () => {
    const { payload, protectedHeader } = await compactVerify(jws, createLocalJWKSet(published as never), {
      algorithms: ['EdDSA'],
    });
    expect(protectedHeader.kid).toBe('cred-2025-01');
    const document = JSON.parse(new TextDecoder().decode(payload));
    expect(document.id).toBe('urn:uuid:3f0b8a52-6c1e-4d7a-9b55-2e7f0c9d1a44');
    const verified = await verifyCredential(jws, published as never);
    expect(verified).toEqual(document);
  });

  it('verifies independently of jose, with Node crypto alone', () => {
    expect(nodeVerify(jws, published)).toBe(true);
  });

  it.each([
    ['payload', 1],
    ['signature', 2],
  ] as const)('a flipped bit in the %s fails both verifiers', async (_part, index) => {
    const forged = tamper(jws, index);
    expect(forged).not.toBe(jws);
    expect(nodeVerify(forged, published)).toBe(false);
    await expect(verifyCredential(forged, published as never)).rejects.toThrow();
    await expect(compactVerify(forged, createLocalJWKSet(published as never))).rejects.toThrow();
  });

  it('a rewritten payload with the original signature fails both verifiers', async () => {
    const [header, payload, signature] = jws.split('.');
    const document = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    document.credentialSubject.achievement.id = document.credentialSubject.achievement.id.replace(':level:3', ':level:1');
    const forged = `${header}.${Buffer.from(JSON.stringify(document)).toString('base64url')}.${signature}`;
    expect(nodeVerify(forged, published)).toBe(false);
    await expect(verifyCredential(forged, published as never)).rejects.toThrow();
  });

  it('a credential signed by a key outside the JWKS does not verify', async () => {
    const stranger = await keyringFrom(freshJwk('cred-2025-01')); // same kid, other key
    const foreign = await signCredential(buildCredential(input()), stranger);
    expect(nodeVerify(foreign, published)).toBe(false);
    await expect(verifyCredential(foreign, published as never)).rejects.toThrow();
  });

  it('rejects a JWS from the same key that is not a credential (typ)', async () => {
    const other = await new CompactSign(Buffer.from(JSON.stringify({ type: ['VerifiableCredential'] })))
      .setProtectedHeader({ alg: 'EdDSA', kid: 'cred-2025-01', typ: 'JWT' })
      .sign(keyring.current.privateKey);
    await expect(verifyCredential(other, published as never)).rejects.toThrow(/typ/);
  });

  it('carries the registered JWT claims without contradicting the credential (no vc, nbf or exp)', () => {
    const payload = decodePart(jws, 1);
    expect(payload.iss).toBe(payload.issuer.id);
    expect(payload.jti).toBe(payload.id);
    expect(payload.iat).toBe(Date.parse('2025-03-01T02:30:05Z') / 1000);
    for (const claim of ['vc', 'vp', 'nbf', 'exp', 'sub']) expect(payload).not.toHaveProperty(claim);
  });
});

describe('JWKS and key rotation', () => {
  it('publishes no private material, for loaded and generated keys alike', async () => {
    const jwk = freshJwk('k1');
    const loaded = await keyringFrom(jwk);
    const { keyring: dev, generated } = await loadCredentialKeyring(undefined, { allowDevelopmentKey: true });
    expect(generated).toBe(true);
    const devD = (dev.current.privateKey.export({ format: 'jwk' }) as { d: string }).d;

    for (const [keyring, d] of [
      [loaded, jwk.d],
      [dev, devD],
    ] as const) {
      const doc = jwks(keyring);
      for (const key of doc.keys) {
        expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
        // A private JWK would import as a private key; these must all be public.
        expect(createPublicKey({ key: key as never, format: 'jwk' }).type).toBe('public');
      }
      expect(JSON.stringify(doc)).not.toContain(d);
      // Even serialising the whole keyring (a careless log line) leaks no d: KeyObjects serialise to {}.
      expect(JSON.stringify(keyring)).not.toContain(d);
    }
    // A generated key's kid is its thumbprint.
    const devX = dev.current.publicJwk.x;
    expect(dev.current.kid).toBe(
      createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${devX}"}`).digest('base64url'),
    );
  });

  it('after a rotation old credentials still verify and new ones carry the new kid', async () => {
    const oldJwk = freshJwk('cred-2024');
    const newJwk = freshJwk('cred-2025');
    const before = await keyringFrom(oldJwk);
    const oldCredential = await signCredential(buildCredential(input()), before);

    const after = await keyringFrom([newJwk, oldJwk]);
    expect(after.current.kid).toBe('cred-2025');
    expect(after.verificationKeys.map((k) => k.kid)).toEqual(['cred-2025', 'cred-2024']);
    const published = JSON.parse(JSON.stringify(jwks(after)));
    expect(published.keys.map((k: { kid: string }) => k.kid)).toEqual(['cred-2025', 'cred-2024']);

    const newCredential = await signCredential(buildCredential(input({ serial: 'LB-2025-000124' })), after);
    expect(decodeProtectedHeader(newCredential).kid).toBe('cred-2025');
    expect(decodeProtectedHeader(oldCredential).kid).toBe('cred-2024');
    for (const credential of [oldCredential, newCredential]) {
      await expect(verifyCredential(credential, published)).resolves.toHaveProperty('type');
      expect(nodeVerify(credential, published)).toBe(true);
    }

    // The retired key may be kept public-only; old credentials still verify, nothing new can be signed with it.
    const { d: _dropped, ...oldPublic } = oldJwk;
    const trimmed = await keyringFrom([newJwk, oldPublic]);
    await expect(verifyCredential(oldCredential, jwks(trimmed))).resolves.toHaveProperty('id');
    expect(trimmed.verificationKeys[1]).not.toHaveProperty('privateKey');

    // Dropping the old key altogether is what breaks old credentials.
    const forgetful = await keyringFrom([newJwk]);
    await expect(verifyCredential(oldCredential, jwks(forgetful))).rejects.toThrow();
    expect(nodeVerify(oldCredential, jwks(forgetful))).toBe(false);
  });

  it('accepts a JWKS-shaped { keys: [...] } value too', async () => {
    const keyring = await keyringFrom({ keys: [freshJwk('a'), freshJwk('b')] });
    expect(keyring.current.kid).toBe('a');
  });
});

describe('credential document', () => {
  it('is a VC 2.0 / Open Badges 3.0 AchievementCredential', () => {
    const credential = buildCredential(input());
    expect(credential).toEqual({
      '@context': [
        'https://www.w3.org/ns/credentials/v2',
        'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
        'https://registry.example.cn/v1/public/contexts/credentials-v1.jsonld',
      ],
      id: 'urn:uuid:3f0b8a52-6c1e-4d7a-9b55-2e7f0c9d1a44',
      type: ['VerifiableCredential', 'OpenBadgeCredential'],
      name: expect.any(String),
      description: expect.any(String),
      issuer: { id: 'urn:uuid:8c1d2e3f-4a5b-4c6d-8e7f-901234567890', type: ['Profile'], name: '某市人力资源和社会保障局' },
      validFrom: '2025-03-01T02:30:00.000Z',
      validUntil: '2028-02-29T23:59:59+08:00',
      credentialSubject: {
        type: ['AchievementSubject'],
        name: '欧***',
        identifier: [
          {
            type: 'IdentityObject',
            identityType: 'identifier',
            hashed: true,
            // sha256 of "11010519491231002X5f1d3c0e9a7b4e2f8c6d1a0b3e5f7a9c", computed outside this code base (sha256sum).
            identityHash: 'sha256$' + IDENTITY_HASH_HEX,
            salt: IDENTITY_SALT,
          },
        ],
        source: { id: 'urn:uuid:0a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d', type: ['Profile'], name: '沙县小吃' },
        achievement: {
          id: 'urn:labor-brands:occupation:4-03-02-01:level:3',
          type: ['Achievement'],
          achievementType: 'Certificate',
          name: '中式烹调师 — level 3 (高级工 senior worker)',
          description: expect.stringContaining('4-03-02-01'),
          criteria: { narrative: expect.stringContaining('level 3') },
        },
      },
      credentialStatus: {
        id: 'https://registry.example.cn/v1/public/certifications/LB-2025-000123',
        type: 'BitstringStatusListEntry',
        statusPurpose: 'revocation',
        statusListIndex: '94567',
        statusListCredential: 'https://registry.example.cn/v1/public/status-lists/2',
      },
    });
  });

  it('leaves validUntil out when there is none, and names the occupation by code when it has no name', () => {
    const credential = buildCredential(input({ validUntil: undefined, occupationName: undefined, level: 1 }));
    expect(credential).not.toHaveProperty('validUntil');
    expect(credential.credentialSubject.achievement.name).toBe('4-03-02-01 — level 1 (高级技师 senior technician)');
  });

  it('holds no personal data beyond the masked name, anywhere in the signed JWS', async () => {
    const keyring = await keyringFrom(freshJwk('k'));
    const jws = await signCredential(buildCredential(input()), keyring, { now: new Date('2025-03-01T02:30:05Z') });
    const decoded = `${JSON.stringify(decodePart(jws, 0))}${JSON.stringify(decodePart(jws, 1))}`;
    const forbidden = [
      HOLDER.fullName,
      HOLDER.fullName.slice(1), // the given name alone
      HOLDER.nationalId,
      HOLDER.nationalId.slice(6, 14), // birth date as it sits in the number
      HOLDER.birthDate,
      HOLDER.phone,
    ];
    for (const value of forbidden) expect(decoded).not.toContain(value);
    expect(decoded).toContain(HOLDER.nameMasked);
    const subjectKeys = Object.keys(decodePart(jws, 1).credentialSubject).sort();
    expect(subjectKeys).toEqual(['achievement', 'identifier', 'name', 'source', 'type']);
    // The identity number is there only as its salted hash, which the number and the salt reproduce.
    const [identity] = decodePart(jws, 1).credentialSubject.identifier;
    expect(identity.identityHash).toBe(`sha256$${createHash('sha256').update(HOLDER.nationalId + identity.salt).digest('hex')}`);
  });

  it('validUntil is the end of that day in China', () => {
    expect(validUntilInstant('2028-02-29').toISOString()).toBe('2028-02-29T15:59:59.000Z');
    expect(() => buildCredential(input({ validUntil: '2027-02-29' }))).toThrow(/YYYY-MM-DD/);
    expect(() => buildCredential(input({ validUntil: '2028-2-29' }))).toThrow(/YYYY-MM-DD/);
    expect(() => buildCredential(input({ validUntil: '2025-02-28' }))).toThrow(/before issuedAt/);
  });

  it('refuses inputs it cannot state truthfully', () => {
    for (const level of [0, 6, 2.5, Number.NaN]) expect(() => buildCredential(input({ level }))).toThrow(RangeError);
    expect(() => buildCredential(input({ issuer: { id: 'org-1', name: 'x' } }))).toThrow(/issuer.id must be a UUID/);
    expect(() => buildCredential(input({ holderNameMasked: ' ' }))).toThrow(/holderNameMasked/);
    expect(() => buildCredential(input({ baseUrl: 'registry.example.cn' }))).toThrow(/baseUrl/);
    expect(() => buildCredential(input({ issuedAt: new Date('nope') }))).toThrow(/issuedAt/);
  });

  it('escapes the serial in the status URL', () => {
    const credential = buildCredential(input({ serial: 'A/B 1', baseUrl: 'https://x.example/registry/' }));
    expect(credential.credentialStatus.id).toBe('https://x.example/registry/v1/public/certifications/A%2FB%201');
    expect(credential.credentialStatus.statusListCredential).toBe('https://x.example/registry/v1/public/status-lists/2');
    expect(credential['@context'][2]).toBe('https://x.example/registry/v1/public/contexts/credentials-v1.jsonld');
  });

  it('hashes the identity number with a fresh random salt each time: no two credentials of one person link', () => {
    const a = hashedIdentity(HOLDER.nationalId);
    const b = hashedIdentity(HOLDER.nationalId);
    expect(a.salt).toMatch(/^[0-9a-f]{32}$/);
    expect(a.salt).not.toBe(b.salt);
    expect(a.identityHash).not.toBe(b.identityHash);
    for (const identity of [a, b]) {
      expect(identity).toEqual({ type: 'IdentityObject', identityType: 'identifier', hashed: true, identityHash: expect.stringMatching(/^sha256\$[0-9a-f]{64}$/), salt: identity.salt });
      expect(identity.identityHash).toBe(`sha256$${createHash('sha256').update(`${HOLDER.nationalId}${identity.salt}`).digest('hex')}`);
      expect(JSON.stringify(identity)).not.toContain(HOLDER.nationalId.slice(6, 14));
    }
    expect(() => hashedIdentity('')).toThrow(RangeError);
  });

  it('refuses an identity that is not a hashed IdentityObject, and a status index outside the list', () => {
    expect(() => buildCredential(input({ identity: { ...hashedIdentity(HOLDER.nationalId), identityHash: HOLDER.nationalId } }))).toThrow(/identity/);
    expect(() => buildCredential(input({ status: { list: 1, index: 131_072 } }))).toThrow(/status.index/);
    expect(() => buildCredential(input({ status: { list: 0, index: 1 } }))).toThrow(/status list number/);
  });
});

describe('level names (国家职业资格等级)', () => {
  it.each([
    [1, '高级技师 senior technician'],
    [2, '技师 technician'],
    [3, '高级工 senior worker'],
    [4, '中级工 intermediate worker'],
    [5, '初级工 junior worker'],
  ])('level %i is %s', (level, name) => {
    expect(certificationLevelName(level)).toBe(name);
    expect(buildCredential(input({ level })).credentialSubject.achievement.name).toBe(`中式烹调师 — level ${level} (${name})`);
  });

  it('there is no level 0 or 6', () => {
    expect(() => certificationLevelName(0)).toThrow(RangeError);
    expect(() => certificationLevelName(6)).toThrow(RangeError);
  });
});

describe('CREDENTIAL_SIGNING_KEY parsing', () => {
  const good = freshJwk('k1');

  it('unset: refused unless a development key is allowed', async () => {
    await expect(loadCredentialKeyring(undefined, { allowDevelopmentKey: false })).rejects.toThrow(
      /^CREDENTIAL_SIGNING_KEY is not set/,
    );
    await expect(loadCredentialKeyring('  ', { allowDevelopmentKey: false })).rejects.toThrow(CredentialKeyError);
    const a = await loadCredentialKeyring(undefined, { allowDevelopmentKey: true });
    const b = await loadCredentialKeyring('', { allowDevelopmentKey: true });
    expect(a.generated && b.generated).toBe(true);
    expect(a.keyring.current.kid).not.toBe(b.keyring.current.kid); // fresh each time
  });

  it('bad JSON', async () => {
    const broken = JSON.stringify(good).slice(0, -5); // truncated: still holds d
    const message = await expectKeyError(broken, good.d, good.d.slice(0, 12));
    expect(message).toMatch(/neither valid JSON nor a PEM key/);
    expect(await expectKeyError(`{"kty":"OKP","d":"${good.d}",}`, good.d)).toMatch(/neither valid JSON nor a PEM key/);
    expect(await expectKeyError('"just a string"')).toMatch(/JSON object or array/);
    expect(await expectKeyError('[]')).toMatch(/no keys/);
  });

  it('wrong curve', async () => {
    const { privateKey } = generateKeyPairSync('x25519');
    const x25519 = jwkOf(privateKey, 'k');
    const message = await expectKeyError(JSON.stringify(x25519), x25519.d);
    expect(message).toMatch(/crv "X25519".*Ed25519/);

    const { privateKey: ec } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const p256 = jwkOf(ec, 'k');
    expect(await expectKeyError(JSON.stringify(p256), p256.d)).toMatch(/kty "EC"/);
  });

  it('missing kid', async () => {
    const { kid: _kid, ...noKid } = good;
    const message = await expectKeyError(JSON.stringify(noKid), good.d);
    expect(message).toMatch(/has no kid/);
    // In an array, the message says which key.
    expect(await expectKeyError(JSON.stringify([good, noKid]), good.d)).toMatch(/key #2 has no kid/);
  });

  it('RSA key, as a JWK and as a PEM', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rsaJwk = jwkOf(privateKey, 'rsa-1');
    const message = await expectKeyError(JSON.stringify(rsaJwk), rsaJwk.d, rsaJwk.n, rsaJwk.p);
    expect(message).toMatch(/key \(kid "rsa-1"\) has kty "RSA": only Ed25519/);

    const pkcs8 = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const body = pkcs8.split('\n')[3];
    expect(await expectKeyError(pkcs8, body)).toMatch(/type rsa: only Ed25519/);
    const pkcs1 = privateKey.export({ format: 'pem', type: 'pkcs1' }).toString();
    expect(await expectKeyError(pkcs1, pkcs1.split('\n')[3])).toMatch(/"RSA PRIVATE KEY".*PKCS#8 Ed25519/);
  });

  it('other mistakes a deployer makes', async () => {
    const other = freshJwk('k2');
    // x of another key: signatures would never verify against the published x.
    expect(await expectKeyError(JSON.stringify({ ...good, x: other.x }), good.d)).toMatch(/mixes two keys/);
    // A public key alone cannot sign.
    const { d: _d, ...publicOnly } = good;
    expect(await expectKeyError(JSON.stringify(publicOnly))).toMatch(/no private part d/);
    const spki = createPublicKey(createPrivateKey({ key: good, format: 'jwk' }))
      .export({ format: 'pem', type: 'spki' })
      .toString();
    expect(await expectKeyError(spki)).toMatch(/public key, not a private key/);
    expect(await expectKeyError(JSON.stringify({ ...good, d: good.d.slice(0, 20) }), good.d.slice(0, 20))).toMatch(
      /invalid d/,
    );
    expect(await expectKeyError(JSON.stringify([good, { ...other, kid: 'k1' }]), good.d, other.d)).toMatch(
      /kid "k1" twice/,
    );
    expect(await expectKeyError(JSON.stringify({ ...good, alg: 'ES256' }), good.d)).toMatch(/alg "ES256"/);
    expect(await expectKeyError(JSON.stringify({ ...good, use: 'enc' }), good.d)).toMatch(/use "enc"/);
    expect(await expectKeyError('-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----')).toMatch(
      /not a readable PKCS#8/,
    );
  });

  it('never quotes a suspicious kid value back', async () => {
    const { kid: _kid, ...rest } = good;
    const message = await expectKeyError(JSON.stringify({ ...rest, kid: `x"${'\n'}${good.d}`, crv: 'P-256' }), good.d);
    expect(message).toContain('(unprintable)');
  });
});
