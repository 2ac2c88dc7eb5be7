/**
 * Every term of every kind of credential the service signs is defined by a context the credential lists: the
 * documents expand with jsonld.js in safe mode (which throws rather than drop an undefined term), using only the
 * locally bundled contexts (test/support/json-ld.ts says where each comes from). Both the unsecured credential and
 * the JWS payload (the credential plus iss, jti, iat) are expanded, against both revisions of the Open Badges
 * context a verifier may hold.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  buildCredential,
  buildStatusListCredential,
  CertificationCredential,
  CREDENTIALS_CONTEXT,
  credentialsContextUrl,
  CredentialInput,
  hashedIdentity,
  loadCredentialKeyring,
  signCredential,
  StatusListCredential,
} from '../../src/certifications/credential';
import { encodeStatusList } from '../../src/certifications/status-list';
import {
  expandedIris,
  expandSafely,
  localDocumentLoader,
  OB_CONTEXT,
  V2_CONTEXT_FILE,
  V2_CONTEXT_SHA256,
  v2ContextFileSha256,
  VC_V2_CONTEXT,
} from '../support/json-ld';

const BASE_URL = 'https://registry.example.cn';

function certificate(overrides: Partial<CredentialInput> = {}): CertificationCredential {
  return buildCredential({
    serial: 'LB-7K3M-9QXD-4TPW-B2R0',
    certificationId: '3f0b8a52-6c1e-4d7a-9b55-2e7f0c9d1a44',
    issuer: { id: '8c1d2e3f-4a5b-4c6d-8e7f-901234567890', name: '上海市人力资源和社会保障局' },
    brand: { id: '0a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d', name: '徐汇AI训练师' },
    occupationCode: '4-04-05-05',
    occupationName: '人工智能训练师',
    level: 3,
    holderNameMasked: '张*',
    identity: hashedIdentity('11010519491231002X'),
    status: { list: 1, index: 12_345 },
    issuedAt: new Date('2026-03-01T02:30:00.000Z'),
    validUntil: '2029-02-28',
    baseUrl: BASE_URL,
    ...overrides,
  });
}

function statusList(): StatusListCredential {
  return buildStatusListCredential({ list: 1, encodedList: encodeStatusList([12_345]), builtAt: new Date('2026-03-01T02:31:00Z'), ttlMs: 30_000, validForMs: 86_400_000, baseUrl: BASE_URL });
}

async function payloadOf(document: CertificationCredential | StatusListCredential): Promise<object> {
  const { keyring } = await loadCredentialKeyring(JSON.stringify({ ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), kid: 'k1' }), { allowDevelopmentKey: false });
  const jws = await signCredential(document, keyring);
  return JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString('utf8'));
}

const KINDS: Array<[string, () => CertificationCredential | StatusListCredential]> = [
  ['a certificate with an end date', () => certificate()],
  ['a certificate without an end date, occupation named by code', () => certificate({ validUntil: undefined, occupationName: undefined, level: 1 })],
  ['a status list', () => statusList()],
];

describe('JSON-LD: every term defined (jsonld.js, safe mode, local contexts only)', () => {
  it('the bundled copies are the documents they claim to be', () => {
    // The VC 2.0 context exactly as the npm package ships the file, unchanged since it was checked.
    expect(v2ContextFileSha256()).toBe(V2_CONTEXT_SHA256);
    expect(JSON.parse(readFileSync(V2_CONTEXT_FILE, 'utf8'))).toEqual(VC_V2_CONTEXT);
    // The VC 2.0 context has no catch-all @vocab: an undefined term is an error in safe mode, not a guess.
    expect(Object.keys((VC_V2_CONTEXT as { '@context': object })['@context'])).not.toContain('@vocab');
    expect(OB_CONTEXT['@context']).toMatchObject({ '@protected': true, IdentityObject: expect.any(Object), AchievementSubject: expect.any(Object) });
  });

  describe.each(KINDS)('%s', (_kind, make) => {
    it.each(['npm', 'with-jti'] as const)('expands in safe mode, as credential and as JWS payload (Open Badges context: %s)', async (openBadges) => {
      for (const document of [make(), await payloadOf(make())]) {
        const loaded: string[] = [];
        const expanded = await expandSafely(document, localDocumentLoader({ baseUrl: BASE_URL, openBadges, loaded }));
        expect(expanded).toHaveLength(1);
        // Only the contexts the document lists were needed.
        expect([...new Set(loaded)].sort()).toEqual([...(document as { '@context': string[] })['@context']].sort());
        // Every property and type became an absolute IRI of a published vocabulary.
        for (const iri of expandedIris(expanded)) {
          expect(iri).toMatch(/^https:\/\/(www\.w3\.org\/(2018\/credentials#|ns\/credentials\/status#)|schema\.org\/|purl\.imsglobal\.org\/spec\/vc\/ob\/vocab\.html#|www\.iana\.org\/assignments\/(jwt|jose)#|w3id\.org\/security#)/);
          expect(iri).not.toMatch(/undefined-term|issuer-dependent/);
        }
      }
    });
  });

  it('the salted identity, the status entry and the JWT claims keep their meaning', async () => {
    const payload = await payloadOf(certificate());
    const [node] = (await expandSafely(payload, localDocumentLoader({ baseUrl: BASE_URL }))) as any[];
    const OB = 'https://purl.imsglobal.org/spec/vc/ob/vocab.html#';
    const [subject] = node['https://www.w3.org/2018/credentials#credentialSubject'];
    const [identity] = subject[`${OB}identifier`];
    expect(identity['@type']).toEqual([`${OB}IdentityObject`]);
    // (The Open Badges context types it with an https: XML Schema IRI; what it says is what a verifier gets.)
    expect(identity[`${OB}hashed`]).toEqual([{ '@value': true, '@type': 'https://www.w3.org/2001/XMLSchema#boolean' }]);
    expect(identity[`${OB}identityHash`][0]['@value']).toMatch(/^sha256\$[0-9a-f]{64}$/);
    expect(identity[`${OB}identityType`]).toEqual([{ '@value': 'identifier' }]);
    const [status] = node['https://www.w3.org/2018/credentials#credentialStatus'];
    expect(status['@type']).toEqual(['https://www.w3.org/ns/credentials/status#BitstringStatusListEntry']);
    expect(status['https://www.w3.org/ns/credentials/status#statusListCredential']).toEqual([{ '@id': `${BASE_URL}/v1/public/status-lists/1` }]);
    expect(status['https://www.w3.org/ns/credentials/status#statusListIndex']).toEqual([{ '@value': '12345' }]);
    expect(node['https://www.iana.org/assignments/jwt#jti']).toEqual([{ '@id': 'urn:uuid:3f0b8a52-6c1e-4d7a-9b55-2e7f0c9d1a44' }]);
    expect(node['https://www.iana.org/assignments/jose#iss']).toEqual([{ '@id': 'urn:uuid:8c1d2e3f-4a5b-4c6d-8e7f-901234567890' }]);
  });

  it('the own context is needed (without it jti is undefined and safe mode fails) and conflicts with no protected term', async () => {
    const payload = (await payloadOf(certificate())) as CertificationCredential;
    const withoutOwn = { ...payload, '@context': payload['@context'].slice(0, 2) };
    await expect(expandSafely(withoutOwn, localDocumentLoader({ baseUrl: BASE_URL }))).rejects.toThrow(/Safe mode/i);
    // A term defined differently from a protected one would be refused: the own context redefines nothing.
    const conflicting = { '@context': { '@protected': true, jti: { '@id': 'https://example.org/jti' } } };
    await expect(expandSafely(payload, localDocumentLoader({ baseUrl: BASE_URL, openBadges: 'with-jti', ownContext: conflicting }))).rejects.toThrow(/protected/i);
    expect(CREDENTIALS_CONTEXT['@context'].jti).toEqual({ '@id': 'https://www.iana.org/assignments/jwt#jti', '@type': '@id' });
  });

  it('an undefined term is caught: a field added without a context entry fails the expansion', async () => {
    const document = { ...certificate(), holderIdentityNumber: '11010519491231002X' };
    await expect(expandSafely(document, localDocumentLoader({ baseUrl: BASE_URL }))).rejects.toThrow(/Safe mode/i);
  });

  it('never fetches anything from the network', async () => {
    const loader = localDocumentLoader({ baseUrl: BASE_URL });
    await expect(loader('https://www.w3.org/ns/credentials/examples/v2')).rejects.toThrow(/refused/);
    await expect(loader(credentialsContextUrl('https://elsewhere.example'))).rejects.toThrow(/refused/);
  });
});
