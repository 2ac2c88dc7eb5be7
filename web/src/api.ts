/** Reads the JSON routes: the public ones without a key, the others with the signed-in key. */
import { signedInKey } from './session';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(`HTTP ${status}${code ? ` ${code}` : ''}`);
  }
}

export async function getJson<T>(path: string, options: { key?: string | null; authenticated?: boolean } = {}): Promise<T> {
  const key = options.key !== undefined ? options.key : options.authenticated ? signedInKey() : null;
  // A public read is a plain fetch, as the page's <link rel="preload"> made it, so that the preloaded answer is
  // used; a keyed one carries the key and is never cached. No cookie goes anywhere (the service sets none).
  const res = key ? await fetch(path, { headers: { authorization: `Bearer ${key}` }, cache: 'no-store' }) : await fetch(path);
  if (!res.ok) {
    let code: string | undefined;
    try {
      code = ((await res.json()) as { code?: string }).code;
    } catch {
      code = undefined;
    }
    throw new ApiError(res.status, code);
  }
  return (await res.json()) as T;
}

export const query = (params: Record<string, string | number | null | undefined>): string => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
};

// The shapes the pages read (docs/openapi.json has them in full).
export interface Salary {
  sampleSize: number;
  medianAnnualFen: number | null;
  p25AnnualFen: number | null;
  p75AnnualFen: number | null;
  meanAnnualFen: number | null;
  suppressed: boolean;
}
export interface BrandStatistics {
  brandId: string;
  traineeCount: number;
  certifiedTraineeCount: number;
  certificationRate: number | null;
  placedTraineeCount: number;
  placementRate: number | null;
  activePlacementCount: number;
  endedPlacementCount: number;
  employerCount: number;
  salary: Salary;
  medianSalaryUpliftPct: number | null;
  medianDaysToPlacement: number | null;
  retention6mRate: number | null;
  retention12mRate: number | null;
  asOf: string | null;
  computedAt: string;
}
export interface PublicBrandItem extends BrandStatistics {
  brandName: string;
  regionCode: string;
  occupationCode: string;
  occupationName?: string;
  status?: string;
  level?: string | null;
}
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
export interface Brand {
  id: string;
  name: string;
  occupationCode: string;
  occupationName: string;
  sector: string;
  regionCode: string;
  operatorId: string;
  description: string | null;
  status: string;
  statusReason: string | null;
  level: string | null;
  certifiedById: string | null;
  certifiedAt: string | null;
  validUntil: string | null;
  createdAt: string;
  updatedAt: string;
}
export interface Decision {
  id: string;
  action: string;
  fromStatus: string | null;
  toStatus: string;
  reason: string | null;
  at: string;
}
export interface PublicBrand {
  brand: Brand;
  operator: { id: string; name: string };
  certifiedBy: { id: string; name: string } | null;
  statistics: BrandStatistics;
  history: Decision[];
}
export interface Distribution {
  bucketWidthFen: number;
  buckets: Array<{ fromFen: number; toFen: number; count: number }>;
  sampleSize: number;
  suppressed: boolean;
}
export interface MonthCount {
  month: string;
  confirmed: number;
  ended: number;
}
export interface RegionStatistics {
  regionCode: string;
  brandCount: number;
  traineeCount: number;
  placedTraineeCount: number;
  activePlacementCount: number;
  salary: Salary;
  asOf: string | null;
  computedAt: string;
}
export interface Me {
  organization: { id: string; kind: string; name: string; regionCode: string };
  apiKeyId: string;
}
