import { directoryListPath, directoryState, DIRECTORY_SORTS, OCCUPATIONS_PATH, withQuery, type DirectoryState } from '../../../src/dashboard/page-data.rules';
import { getJson, query, type Page, type PublicBrandItem, type Brand, type BrandStatistics } from '../api';
import { h, put } from '../dom';
import { count, date, percent, yuan } from '../format';
import { t, type TextKey } from '../i18n';
import { PROVINCES, provinceName, regionName } from '../regions';
import { decidesOnBrands, privilegedFor, signedInAs } from '../session';

interface Occupation {
  occupationCode: string;
  occupationName: string;
  brandCount: number;
}

/** The directory's state, from its URL (page-data.rules.ts: the server preloads the same list). */
const state = (): DirectoryState => {
  const p = new URLSearchParams(location.search);
  return directoryState((name) => p.get(name));
};

function link(s: DirectoryState, cursors: string[]): string {
  return withQuery('/', { q: s.q, region: s.region, occupation: s.occupation, sort: s.sort === 'traineeCount' ? '' : s.sort, order: s.order === 'desc' ? '' : s.order, cursors: cursors.join('.') });
}

function select(id: string, label: string, name: string, value: string, options: Array<[string, string]>): HTMLElement {
  return h(
    'div',
    { className: 'field' },
    h('label', { for: id }, label),
    h('select', { id, name }, ...options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))),
  );
}

/** A brand's figures as the signed-in bureau sees them, where they differ from the public's (its jurisdiction). */
async function unsuppressed(items: PublicBrandItem[]): Promise<Map<string, BrandStatistics>> {
  const hidden = items.filter((i) => i.salary.suppressed && privilegedFor(i.regionCode));
  const found = await Promise.all(hidden.map((i) => getJson<BrandStatistics>(`/v1/brands/${i.brandId}/statistics`, { authenticated: true }).catch(() => null)));
  return new Map(found.filter((s): s is BrandStatistics => s !== null).map((s) => [s.brandId, s]));
}

async function waitingPanel(): Promise<HTMLElement> {
  const page = await getJson<Page<Brand>>(`/v1/brands${query({ status: 'submitted', limit: 50 })}`, { authenticated: true });
  return h(
    'section',
    { className: 'panel waiting', 'aria-labelledby': 'waiting-title' },
    h('h2', { id: 'waiting-title' }, t('waitingTitle')),
    page.items.length === 0
      ? h('p', {}, t('waitingNone'))
      : h('ul', { className: 'waiting-list' }, ...page.items.map((b) => h('li', { 'data-brand-id': b.id }, h('a', { href: `/brands/${b.id}` }, b.name), ' · ', regionName(b.regionCode), ' · ', t('submittedAt', { date: date(b.updatedAt) })))),
  );
}

export async function renderDirectory(main: HTMLElement): Promise<void> {
  const s = state();
  document.title = `${t('directoryTitle')} · ${t('siteTitle')}`;
  const signedIn = signedInAs();
  const [page, occupations, waiting] = await Promise.all([
    getJson<Page<PublicBrandItem>>(directoryListPath(s)),
    getJson<{ items: Occupation[] }>(OCCUPATIONS_PATH),
    signedIn && decidesOnBrands() ? waitingPanel() : Promise.resolve(null),
  ]);
  const better = signedIn ? await unsuppressed(page.items) : new Map<string, BrandStatistics>();

  const regionOptions: Array<[string, string]> = [['', t('allRegions')], ...Object.keys(PROVINCES).map((p): [string, string] => [p, provinceName(p) as string])];
  if (s.region && !PROVINCES[s.region]) regionOptions.push([s.region, regionName(s.region.padEnd(6, '0'))]);
  const occupationOptions: Array<[string, string]> = [['', t('allOccupations')], ...occupations.items.map((o): [string, string] => [o.occupationCode, `${o.occupationName}(${o.occupationCode})`])];

  const form = h(
    'form',
    { className: 'filters', method: 'get', action: '/', role: 'search' },
    h('div', { className: 'field grow' }, h('label', { for: 'q' }, t('search')), h('input', { id: 'q', name: 'q', type: 'search', value: s.q, maxlength: '100' })),
    select('region', t('region'), 'region', s.region, regionOptions),
    select('occupation', t('occupation'), 'occupation', s.occupation, occupationOptions),
    select('sort', t('sortBy'), 'sort', s.sort, DIRECTORY_SORTS.map((k): [string, string] => [k, t(`sort_${k}` as TextKey)])),
    select('order', t('order'), 'order', s.order, [['desc', t('order_desc')], ['asc', t('order_asc')]]),
    h('div', { className: 'field' }, h('button', { type: 'submit', className: 'primary' }, t('apply'))),
  );

  const rows = page.items.map((item) => {
    const figures = better.get(item.brandId) ?? item;
    return h(
      'tr',
      { 'data-brand-id': item.brandId },
      h('th', { scope: 'row' }, h('a', { href: `/brands/${item.brandId}` }, item.brandName)),
      h('td', { 'data-label': t('colRegion') }, h('a', { href: `/regions/${item.regionCode}` }, regionName(item.regionCode))),
      h('td', { 'data-label': t('colOccupation') }, item.occupationName ?? item.occupationCode),
      h('td', { className: 'num', 'data-label': t('colTrainees'), 'data-figure': 'traineeCount', 'data-value': figures.traineeCount }, count(figures.traineeCount)),
      h('td', { className: 'num', 'data-label': t('colPlaced'), 'data-figure': 'placedTraineeCount', 'data-value': figures.placedTraineeCount }, count(figures.placedTraineeCount)),
      h('td', { className: 'num', 'data-label': t('colRate'), 'data-figure': 'placementRate', 'data-value': figures.placementRate ?? '' }, percent(figures.placementRate)),
      h(
        'td',
        { className: 'num', 'data-label': t('colMedian'), 'data-figure': 'medianAnnualFen', 'data-value': figures.salary.medianAnnualFen ?? '' },
        figures.salary.suppressed ? h('span', { className: 'muted', title: t('suppressedTitle') }, t('noData')) : yuan(figures.salary.medianAnnualFen),
        better.has(item.brandId) ? h('span', { className: 'badge' }, t('unsuppressedBadge')) : null,
      ),
    );
  });

  const pageNumber = s.cursors.length + 1;
  const pager = h(
    'nav',
    { className: 'pager', 'aria-label': t('pageOf', { n: pageNumber }) },
    s.cursors.length > 0 ? h('a', { href: link(s, s.cursors.slice(0, -1)), rel: 'prev', id: 'previous-page' }, t('previous')) : h('span', {}),
    h('span', { className: 'muted' }, t('pageOf', { n: pageNumber })),
    page.nextCursor ? h('a', { href: link(s, [...s.cursors, page.nextCursor]), rel: 'next', id: 'next-page' }, t('next')) : h('span', {}),
  );

  put(main, 
    h('h1', {}, t('directoryTitle')),
    h('p', { className: 'lede' }, t('directoryIntro')),
    signedIn ? h('p', { className: 'note' }, t('privilegedNote')) : null,
    waiting,
    form,
    page.items.length === 0
      ? h('p', { className: 'empty' }, t('noBrands'))
      : h(
          'div',
          { className: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': t('tableScroll') },
          h(
            'table',
            { className: 'brands', id: 'brands' },
            h('thead', {}, h('tr', {}, ...(['colBrand', 'colRegion', 'colOccupation', 'colTrainees', 'colPlaced', 'colRate', 'colMedian'] as TextKey[]).map((k, i) => h('th', { scope: 'col', className: i >= 3 ? 'num' : '' }, t(k))))),
            h('tbody', {}, ...rows),
          ),
        ),
    pager,
  );
}
