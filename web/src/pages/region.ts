import { NATIONAL_REGION_CODE } from '../../../src/common/identifiers/region-code';
import { publicRegionPath, regionBrandsPath } from '../../../src/dashboard/page-data.rules';
import { getJson, query, type Page, type PublicBrandItem, type RegionStatistics } from '../api';
import { h, put } from '../dom';
import { count, dateTime, percent, yuan } from '../format';
import { t } from '../i18n';
import { regionFilter, regionName, regionTrail } from '../regions';
import { privilegedFor } from '../session';
import { chartFrame, figure, loadCharts, markInteractive, table, type Charts } from './common';

export async function renderRegion(main: HTMLElement, code: string): Promise<void> {
  const privileged = privilegedFor(code);
  const [region, brands] = await Promise.all([
    privileged ? getJson<RegionStatistics>(`/v1/statistics/regions/${code}`, { authenticated: true }) : getJson<RegionStatistics>(publicRegionPath(code)),
    getJson<Page<PublicBrandItem>>(regionBrandsPath(code)),
  ]);
  const name = regionName(code);
  document.title = `${name} · ${t('siteTitle')}`;
  const s = region.salary;

  const trail = regionTrail(code);
  put(main, 
    h(
      'nav',
      { className: 'breadcrumb', 'aria-label': t('region') },
      h('ol', {}, ...trail.map((c, i) => h('li', {}, i === trail.length - 1 ? h('span', { 'aria-current': 'page' }, regionName(c)) : h('a', { href: `/regions/${c}` }, regionName(c))))),
    ),
    h('h1', { id: 'region-name' }, t('regionTitle', { name }), code !== NATIONAL_REGION_CODE ? h('small', { className: 'code' }, t('code', { code })) : null),
    h(
      'section',
      { className: 'panel', 'aria-labelledby': 'rollup-title' },
      h('h2', { id: 'rollup-title' }, t('regionRollup'), privileged && !s.suppressed && s.sampleSize < 5 ? h('span', { className: 'badge' }, t('unsuppressedBadge')) : null),
      h(
        'dl',
        { className: 'figures', id: 'figures' },
        figure('brandCount', t('brandCount'), region.brandCount, count(region.brandCount)),
        figure('traineeCount', t('figTrainees'), region.traineeCount, count(region.traineeCount)),
        figure('placedTraineeCount', t('figPlaced'), region.placedTraineeCount, count(region.placedTraineeCount)),
        figure('activePlacementCount', t('figActive'), region.activePlacementCount, count(region.activePlacementCount)),
        s.suppressed ? null : figure('medianAnnualFen', t('salaryMedian'), s.medianAnnualFen, yuan(s.medianAnnualFen)),
        s.suppressed ? null : figure('p25AnnualFen', t('salaryP25'), s.p25AnnualFen, yuan(s.p25AnnualFen)),
        s.suppressed ? null : figure('p75AnnualFen', t('salaryP75'), s.p75AnnualFen, yuan(s.p75AnnualFen)),
        s.suppressed ? null : figure('meanAnnualFen', t('salaryMean'), s.meanAnnualFen, yuan(s.meanAnnualFen)),
      ),
      s.suppressed ? h('div', { className: 'suppressed', id: 'suppression' }, h('h3', {}, t('suppressedTitle')), h('p', {}, t('suppressedExplainRegion'))) : null,
      region.asOf ? h('p', { className: 'note' }, t('asOf', { time: dateTime(region.asOf) })) : null,
    ),
  );

  const items = brands.items;
  // Drawn once the content is in place: the charts' module loads after that, so it never delays the content.
  const draws: Array<(charts: Charts) => Promise<void>> = [];
  if (items.length > 0) {
    const labels = items.map((i) => i.brandName);
    const summary = items.map((i) => `${i.brandName}: ${t('figTrainees')} ${i.traineeCount}, ${t('figPlaced')} ${i.placedTraineeCount}`).join('; ');
    const frame = chartFrame(
      'compare',
      t('regionChartTitle'),
      t('regionBrands'),
      t('regionChartAlt', { summary }),
      table(t('regionChartTitle'), [t('colBrand'), t('figTrainees'), t('figPlaced')], items.map((i) => [i.brandName, count(i.traineeCount), count(i.placedTraineeCount)])),
    );
    // A bar pair per brand: the chart grows with them (set through the CSSOM, which the pages' CSP allows).
    frame.canvas.style.height = `${Math.max(240, 90 + items.length * 56)}px`;
    put(main, frame.section);
    draws.push((c: Charts) =>
        c.drawBars(
          frame.canvas,
          labels,
          [
            { name: t('figTrainees'), values: items.map((i) => i.traineeCount), color: c.COLORS.secondary },
            { name: t('figPlaced'), values: items.map((i) => i.placedTraineeCount), color: c.COLORS.primary },
          ],
          { horizontal: true },
        ),
    );
  }

  put(main, 
    h(
      'section',
      { className: 'panel', 'aria-labelledby': 'region-brands-title' },
      h('h2', { id: 'region-brands-title' }, t('regionBrands')),
      items.length === 0
        ? h('p', { className: 'empty' }, t('noBrands'))
        : h(
            'div',
            { className: 'table-scroll', tabindex: '0', role: 'region', 'aria-labelledby': 'region-brands-title' },
            h(
              'table',
              { className: 'brands', id: 'brands' },
              h('thead', {}, h('tr', {}, ...[t('colBrand'), t('colOccupation'), t('colTrainees'), t('colPlaced'), t('colRate'), t('colMedian')].map((c, i) => h('th', { scope: 'col', className: i >= 2 ? 'num' : '' }, c)))),
              h(
                'tbody',
                {},
                ...items.map((i) =>
                  h(
                    'tr',
                    { 'data-brand-id': i.brandId },
                    h('th', { scope: 'row' }, h('a', { href: `/brands/${i.brandId}` }, i.brandName)),
                    h('td', { 'data-label': t('colOccupation') }, i.occupationName ?? i.occupationCode),
                    h('td', { className: 'num', 'data-label': t('colTrainees'), 'data-figure': 'traineeCount', 'data-value': i.traineeCount }, count(i.traineeCount)),
                    h('td', { className: 'num', 'data-label': t('colPlaced'), 'data-figure': 'placedTraineeCount', 'data-value': i.placedTraineeCount }, count(i.placedTraineeCount)),
                    h('td', { className: 'num', 'data-label': t('colRate') }, percent(i.placementRate)),
                    h('td', { className: 'num', 'data-label': t('colMedian') }, i.salary.suppressed ? t('noData') : yuan(i.salary.medianAnnualFen)),
                  ),
                ),
              ),
            ),
          ),
      brands.nextCursor ? h('p', {}, h('a', { href: `/${query({ region: regionFilter(code), sort: 'placedTraineeCount' })}` }, t('navDirectory'), ' →')) : null,
    ),
  );
  markInteractive();
  if (draws.length) {
    const charts = await loadCharts();
    await Promise.all(draws.map((draw) => draw(charts)));
  }
}
