import { creditCodeCheckCharacter } from '../../src/common/identifiers/credit-code';
import type { OrganizationKind } from '../../src/common/auth/actor';
import type { TestApp } from './test-app';

const CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
let counter = 0;

/** A valid, unique Unified Social Credit Code whose division part is the given region. */
export function creditCode(regionCode = '310104'): string {
  counter++;
  let body = '';
  for (let i = 0; i < 9; i++) body += CHARSET[Math.floor(Math.random() * CHARSET.length)];
  body = body.slice(0, 9 - String(counter).length) + String(counter);
  const first17 = `91${regionCode}${body}`;
  return first17 + creditCodeCheckCharacter(first17);
}

export interface OrgWithKey {
  id: string;
  kind: OrganizationKind;
  regionCode: string;
  key: string;
  apiKeyId: string;
}

export async function createOrganization(t: TestApp, kind: OrganizationKind, regionCode = '310104', name?: string): Promise<OrgWithKey> {
  const res = await t.request('POST', '/v1/organizations', {
    body: { kind, name: name ?? `${kind} ${regionCode} ${counter + 1}`, creditCode: creditCode(regionCode), regionCode },
  });
  if (res.status !== 201) throw new Error(`createOrganization: ${res.status} ${res.text}`);
  return { id: res.body.organization.id, kind, regionCode, key: res.body.apiKey.secret, apiKeyId: res.body.apiKey.id };
}
