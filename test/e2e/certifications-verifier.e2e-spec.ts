/**
 * A certificate checked the way an outside verifier checks it, with nothing but what the service publishes
 * without a key and the libraries such verifiers use: `jose` for the signatures (the JWKS at
 * /.well-known/jwks.json), a plain GZIP/base64url reading of the W3C Bitstring Status List for revocation, and
 * `jsonld` in safe mode for the vocabulary.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { loadConfig } from '../../src/config/config';
import { createCertifiedBrand, SEED_BRANDS } from '../support/brands';
import { expectFieldError, expectProblem } from '../support/expect';
import { createOrganization, OrgWithKey } from '../support/factories';
import { expandedIris, expandSafely, localDocumentLoader } from '../support/json-ld';
import { startTestApp, TestApp } from '../support/test-app';
import { registerTrainee, uniqueNationalId } from '../support/trainees';

const BASE_URL = 'https://registry.example.cn';
const payloadOf = (jws: string): any => JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString('utf8'));
const signingKey = (kid: string): Record<string, string> => ({ ...(generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) as Record<string, string>), kid });
const publicPart = ({ d: _d, ...rest }: Record<string, string>): Record<string, string> => rest;

/** What a verifier does with a credential's BitstringStatusListEntry, written from the Recommendation alone. */
async function revokedBitOf(t: TestApp, credentialJws: string): Promise<{ bit: number; listJws: string }> {
  const keys = createLocalJWKSet(JSON.parse((await t.request('GET', '/.well-known/jwks.json', { key: null })).text) as JSONWebKeySet);
  const { payload: credential } = await jwtVerify(credentialJws, keys, { algorithms: ['EdDSA'], typ: 'vc+jwt' });
  const entry = credential.credentialStatus as Record<string, string>;
  expect(entry).toMatchObject({ type: 'BitstringStatusListEntry', statusPurpose: 'revocation' });
  const path = new URL(entry.statusListCredential).pathname;
  const res = await t.request('GET', path, { key: null });
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/vc\+jwt/);
  const { payload: list, protectedHeader } = await jwtVerify(res.text, keys, { algorithms: ['EdDSA'], typ: 'vc+jwt' });
  expect(protectedHeader.cty).toBe('vc');
  expect(list.type).toEqual(['VerifiableCredential', 'BitstringStatusListCredential']);
  expect(list.id).toBe(entry.statusListCredential);
  const subject = list.credentialSubject as Record<string, string>;
  expect(subject.statusPurpose).toBe(entry.statusPurpose);
  expect(subject.encodedList.startsWith('u')).toBe(true);
  const bits = gunzipSync(Buffer.from(subject.encodedList.slice(1), 'base64url'));
  expect(bits.length * 8).toBeGreaterThanOrEqual(131_072);
  const index = Number(entry.statusListIndex);
  return { bit: (bits[index >> 3] >> (7 - (index % 8))) & 1, listJws: res.text };
}

describe('certificates as an outside verifier sees them', () => {
  let t: TestApp;
  let firm: OrgWithKey;
  let bureau: OrgWithKey;
  let brand: any;
  const oldKey = signingKey('cred-2025');

  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_BASE_URL: BASE_URL, CREDENTIAL_SIGNING_KEY: JSON.stringify(oldKey) });
    [firm, bureau] = await Promise.all([createOrganization(t, 'hr_firm', '310104'), createOrganization(t, 'bureau', '310100')]);
    brand = await createCertifiedBrand(t, firm.key, bureau.key, SEED_BRANDS.xuhuiAiTrainer);
  });
  afterAll(async () => t?.close());

  const issue = async (app: TestApp, traineeOverrides: Record<string, unknown> = {}): Promise<any> => {
    const trainee = await registerTrainee(app, firm.key, brand.id, traineeOverrides);
    const res = await app.request('POST', `/v1/trainees/${trainee.id}/certifications`, { key: firm.key, body: { level: 3 } });
    expect(res.status).toBe(201);
    return res.body;
  };
  const revoke = (app: TestApp, id: string) => app.request('POST', `/v1/certifications/${id}/revoke`, { key: bureau.key, body: { reason: 'assessment records falsified' } });

  it('a revocation sets the certificate\'s bit in its signed status list, and no other', async () => {
    const [a, b] = [await issue(t), await issue(t)];
    for (const cert of [a, b]) {
      const entry = payloadOf(cert.credential).credentialStatus;
      expect(entry).toEqual({
        id: cert.verificationUrl,
        type: 'BitstringStatusListEntry',
        statusPurpose: 'revocation',
        statusListIndex: expect.stringMatching(/^(0|[1-9]\d*)$/),
        statusListCredential: `${BASE_URL}/v1/public/status-lists/1`,
      });
      expect((await revokedBitOf(t, cert.credential)).bit).toBe(0);
    }
    expect(payloadOf(a.credential).credentialStatus.statusListIndex).not.toBe(payloadOf(b.credential).credentialStatus.statusListIndex);
    const [row] = await t.dataSource.query(`SELECT status_list, status_list_index FROM certifications WHERE id = $1`, [a.id]);
    expect(row).toEqual({ status_list: 1, status_list_index: Number(payloadOf(a.credential).credentialStatus.statusListIndex) });

    expect((await revoke(t, a.id)).status).toBe(200);
    // At once through the process that revoked it.
    expect((await revokedBitOf(t, a.credential)).bit).toBe(1);
    expect((await revokedBitOf(t, b.credential)).bit).toBe(0);
    // The public route says the same.
    expect((await t.request('GET', `/v1/public/certifications/${a.serial}`, { key: null })).body).toMatchObject({ valid: false, status: 'revoked' });
  });

  it('the status list credential is a signed BitstringStatusListCredential of the registry, cacheable for 30 s', async () => {
    const cert = await issue(t);
    const res = await t.request('GET', '/v1/public/status-lists/1', { key: null });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=30');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.text).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(decodeProtectedHeader(res.text)).toEqual({ alg: 'EdDSA', kid: 'cred-2025', typ: 'vc+jwt', cty: 'vc' });
    const list = payloadOf(res.text);
    expect(list).toEqual({
      '@context': ['https://www.w3.org/ns/credentials/v2', `${BASE_URL}/v1/public/contexts/credentials-v1.jsonld`],
      id: `${BASE_URL}/v1/public/status-lists/1`,
      type: ['VerifiableCredential', 'BitstringStatusListCredential'],
      issuer: BASE_URL,
      validFrom: expect.any(String),
      validUntil: expect.any(String),
      credentialSubject: { id: `${BASE_URL}/v1/public/status-lists/1#list`, type: 'BitstringStatusList', statusPurpose: 'revocation', encodedList: expect.stringMatching(/^u[\w-]+$/), ttl: 30_000 },
      iss: BASE_URL,
      jti: `${BASE_URL}/v1/public/status-lists/1`,
      iat: expect.any(Number),
    });
    expect(Date.parse(list.validUntil) - Date.parse(list.validFrom)).toBe(86_400_000);
    expect(Date.parse(list.validFrom)).toBeLessThanOrEqual(Date.parse(cert.issuedAt) + 60_000);
    // One changed byte anywhere and it no longer verifies.
    const keys = createLocalJWKSet(JSON.parse((await t.request('GET', '/.well-known/jwks.json', { key: null })).text));
    await expect(compactVerify(res.text, keys)).resolves.toBeDefined();
    const [h, p, s] = res.text.split('.');
    for (const forged of [`${h}.${p.slice(0, 10)}${p[10] === 'A' ? 'B' : 'A'}${p.slice(11)}.${s}`, `${h}.${p}.${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`]) {
      await expect(compactVerify(forged, keys)).rejects.toThrow();
    }
  });

  it('unknown lists are 404, malformed numbers 400, all as problem documents', async () => {
    expectProblem(await t.request('GET', '/v1/public/status-lists/99999', { key: null }), 404, 'NOT_FOUND');
    for (const bad of ['0', '01', 'abc', '-1', '1.5', '9999999999']) {
      expectFieldError(await t.request('GET', `/v1/public/status-lists/${bad}`, { key: null }), 'VALIDATION_FAILED', 'list', 'INVALID_STATUS_LIST');
    }
  });

  it('another API process of the deployment shows a revocation once its copy is older than STATUS_LIST_MAX_AGE_MS (at most a minute)', async () => {
    const maxAgeMs = 2000;
    const other = await startTestApp({ PUBLIC_BASE_URL: BASE_URL, CREDENTIAL_SIGNING_KEY: JSON.stringify(oldKey), STATUS_LIST_MAX_AGE_MS: String(maxAgeMs) }, { databaseUrl: t.databaseUrl });
    try {
      const cert = await issue(t);
      const cachedAt = Date.now();
      expect((await revokedBitOf(other, cert.credential)).bit).toBe(0); // now cached in `other`
      expect((await revoke(t, cert.id)).status).toBe(200);
      expect((await revokedBitOf(t, cert.credential)).bit).toBe(1);
      const seen = (await revokedBitOf(other, cert.credential)).bit;
      // Its copy, while younger than the maximum age, still shows the old bit (unless a busy machine took that long).
      if (Date.now() - cachedAt < maxAgeMs) expect(seen).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, maxAgeMs + 100 - (Date.now() - cachedAt))));
      expect((await revokedBitOf(other, cert.credential)).bit).toBe(1);
    } finally {
      await other.close();
    }
    // The variable cannot be set beyond a minute.
    expect(() => loadConfig({ STATUS_LIST_MAX_AGE_MS: '60001' })).toThrow(/STATUS_LIST_MAX_AGE_MS/);
    expect(loadConfig({}).statusListMaxAgeMs).toBe(20_000);
  });

  it('the subject carries the salted hash of the identity number, which the number and salt reproduce; never the number', async () => {
    let nationalId = uniqueNationalId();
    while (!nationalId.endsWith('X')) nationalId = uniqueNationalId();
    // Registered with a lower-case x: the hash is of the normalised number (upper-case X).
    const cert = await issue(t, { nationalId: nationalId.toLowerCase(), fullName: '欧阳娜娜' });
    const credential = payloadOf(cert.credential);
    const [identity] = credential.credentialSubject.identifier;
    expect(credential.credentialSubject.identifier).toHaveLength(1);
    expect(identity).toEqual({ type: 'IdentityObject', identityType: 'identifier', hashed: true, identityHash: expect.stringMatching(/^sha256\$[0-9a-f]{64}$/), salt: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(identity.identityHash).toBe(`sha256$${createHash('sha256').update(nationalId + identity.salt).digest('hex')}`);
    const another = payloadOf((await issue(t, { nationalId: uniqueNationalId() })).credential).credentialSubject.identifier[0];
    expect(another.salt).not.toBe(identity.salt);

    const everything = `${cert.credential}${JSON.stringify(credential)}${JSON.stringify(cert)}`;
    for (const secret of [nationalId, nationalId.toLowerCase(), nationalId.slice(6, 14), nationalId.slice(0, 17), '欧阳娜娜']) expect(everything).not.toContain(secret);
    // Nothing new is stored beside the credential: no column holds the number, its hash or the salt on its own.
    const [row] = await t.dataSource.query(`SELECT to_jsonb(c) - 'credential' AS rest FROM certifications c WHERE id = $1`, [cert.id]);
    const stored = JSON.stringify(row.rest);
    for (const secret of [nationalId, nationalId.slice(6, 14), identity.salt, identity.identityHash.slice(7)]) expect(stored).not.toContain(secret);
  });

  it('every served credential and status list expands with jsonld in safe mode, using the context the service serves', async () => {
    const served = await t.request('GET', '/v1/public/contexts/credentials-v1.jsonld', { key: null });
    expect(served.status).toBe(200);
    expect(served.headers['content-type']).toMatch(/^application\/ld\+json/);
    expect(served.headers['access-control-allow-origin']).toBe('*');
    const ownContext = JSON.parse(served.text);
    const cert = await issue(t);
    const list = (await t.request('GET', '/v1/public/status-lists/1', { key: null })).text;
    for (const openBadges of ['npm', 'with-jti'] as const) {
      for (const document of [payloadOf(cert.credential), payloadOf(list)]) {
        const expanded = await expandSafely(document, localDocumentLoader({ baseUrl: BASE_URL, ownContext, openBadges }));
        expect([...expandedIris(expanded)].every((iri) => /^https:\/\//.test(iri))).toBe(true);
      }
    }
  });

  it('after a key rotation the JWKS keeps the old key, old credentials and lists still verify, new ones carry the new kid', async () => {
    const before = await issue(t);
    expect(decodeProtectedHeader(before.credential).kid).toBe('cred-2025');
    const newKey = signingKey('cred-2026');
    for (const retired of [oldKey, publicPart(oldKey)]) {
      // The same deployment restarted with the new key first and the old one kept (with or without its private part).
      const rotated = await startTestApp({ PUBLIC_BASE_URL: BASE_URL, CREDENTIAL_SIGNING_KEY: JSON.stringify([newKey, retired]) }, { databaseUrl: t.databaseUrl });
      try {
        const keySet = JSON.parse((await rotated.request('GET', '/.well-known/jwks.json', { key: null })).text);
        expect(keySet.keys.map((k: { kid: string }) => k.kid)).toEqual(['cred-2026', 'cred-2025']);
        expect(JSON.stringify(keySet)).not.toContain(oldKey.d);
        expect(JSON.stringify(keySet)).not.toContain(newKey.d);
        const keys = createLocalJWKSet(keySet);

        // The old credential verifies against the new deployment's JWKS, and so does its status check.
        await expect(jwtVerify(before.credential, keys, { algorithms: ['EdDSA'], typ: 'vc+jwt' })).resolves.toBeDefined();
        const { bit, listJws } = await revokedBitOf(rotated, before.credential);
        expect(bit).toBe(0);
        expect(decodeProtectedHeader(listJws).kid).toBe('cred-2026');

        // New credentials are signed with the new key, and verify.
        const after = await issue(rotated);
        expect(decodeProtectedHeader(after.credential).kid).toBe('cred-2026');
        await expect(compactVerify(after.credential, keys)).resolves.toBeDefined();
        const [row] = await rotated.dataSource.query(`SELECT credential_key_id FROM certifications WHERE id = $1`, [after.id]);
        expect(row.credential_key_id).toBe('cred-2026');
        // A verifier holding only the old key set cannot be fooled into accepting the new key's credentials as old ones.
        await expect(compactVerify(after.credential, createLocalJWKSet({ keys: [keySet.keys[1]] }))).rejects.toThrow();
      } finally {
        await rotated.close();
      }
    }
  });
});
