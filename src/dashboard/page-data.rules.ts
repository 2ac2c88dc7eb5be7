/**
 * Which public JSON each page reads, pure and written once: the pages' script (web/) fetches exactly these URLs,
 * and the server names them in the page as `<link rel="preload">` so the browser fetches them while it is still
 * loading the script. A URL the two wrote differently would be fetched twice (and the browser would warn).
 */
import { coverPrefix } from '../common/identifiers/region-code';

export const DIRECTORY_PAGE_SIZE = 20;
export const REGION_PAGE_BRANDS = 20;
export const DIRECTORY_SORTS = ['traineeCount', 'placedTraineeCount', 'placementRate', 'medianAnnualFen'] as const;
export const OCCUPATIONS_PATH = '/v1/public/occupations';

/** The directory's state, all in its URL: filters, sort, and the cursors that led to this page (dot-separated). */
export interface DirectoryState {
  q: string;
  region: string;
  occupation: string;
  sort: string;
  order: 'asc' | 'desc';
  cursors: string[];
}

/** A path with the given query parameters, empty ones left out, in the given order. */
export function withQuery(path: string, params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** The directory's state from its URL's parameters; anything malformed is left out. */
export function directoryState(get: (name: string) => string | null): DirectoryState {
  const sort = get('sort') ?? '';
  const region = get('region') ?? '';
  const occupation = get('occupation') ?? '';
  return {
    q: (get('q') ?? '').slice(0, 100),
    region: /^\d{2,6}$/.test(region) ? region : '',
    occupation: /^\d-\d{2}-\d{2}-\d{2}$/.test(occupation) ? occupation : '',
    sort: (DIRECTORY_SORTS as readonly string[]).includes(sort) ? sort : 'traineeCount',
    order: get('order') === 'asc' ? 'asc' : 'desc',
    cursors: (get('cursors') ?? '').split('.').filter((c) => /^[A-Za-z0-9_-]{1,512}$/.test(c)),
  };
}

/** The page of brands the directory shows. */
export function directoryListPath(s: DirectoryState): string {
  return withQuery('/v1/public/brands', {
    q: s.q.trim(),
    regionCode: s.region,
    occupationCode: s.occupation,
    sort: s.sort,
    order: s.order,
    limit: DIRECTORY_PAGE_SIZE,
    cursor: s.cursors[s.cursors.length - 1],
  });
}

/** What a public brand's page reads: the brand with its figures and history, its salary distribution, its months. */
export function brandDataPaths(id: string): { brand: string; distribution: string; months: string } {
  return { brand: `/v1/public/brands/${id}`, distribution: `/v1/public/brands/${id}/salary-distribution`, months: `/v1/public/brands/${id}/placements-by-month` };
}

/** The brands a region's page shows: those it covers, the most placed first. */
export function regionBrandsPath(regionCode: string): string {
  return withQuery('/v1/public/brands', { regionCode: coverPrefix(regionCode), sort: 'placedTraineeCount', order: 'desc', limit: REGION_PAGE_BRANDS });
}

export const publicRegionPath = (regionCode: string): string => `/v1/public/regions/${regionCode}`;
