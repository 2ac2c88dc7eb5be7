/**
 * A bureau's sign-in: its API key is kept in this tab's session storage (gone when the tab closes), sent only as an
 * `Authorization: Bearer` header to this origin's JSON routes; never put in a URL or a cookie.
 */
import { regionCovers } from '../../src/common/identifiers/region-code';
import type { Me } from './api';

const KEY = 'lb.apiKey';
const WHO = 'lb.me';

export function signedInKey(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function signedInAs(): Me['organization'] | null {
  if (!signedInKey()) return null;
  try {
    return (JSON.parse(sessionStorage.getItem(WHO) ?? 'null') as Me | null)?.organization ?? null;
  } catch {
    return null;
  }
}

export function remember(key: string, me: Me): void {
  sessionStorage.setItem(KEY, key);
  sessionStorage.setItem(WHO, JSON.stringify(me));
}

export function forget(): void {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(WHO);
}

/** Whether the signed-in organization sees a region's figures unsuppressed (the platform, or a bureau covering it). */
export function privilegedFor(regionCode: string): boolean {
  const me = signedInAs();
  if (!me) return false;
  return me.kind === 'platform' || (me.kind === 'bureau' && regionCovers(me.regionCode, regionCode));
}

/** Whether the signed-in organization decides on brands (a bureau, or the platform that sees all). */
export const decidesOnBrands = (): boolean => ['bureau', 'platform'].includes(signedInAs()?.kind ?? '');
