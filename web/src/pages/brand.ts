import { brandDataPaths } from '../../../src/dashboard/page-data.rules';
import { getJson, type Brand, type BrandStatistics, type Decision, type Distribution, type MonthCount, type PublicBrand } from '../api';
import { h, put } from '../dom';
import { count, date, dateTime, days, month, percent, signedPercent, yuan, yuanShort } from '../format';
import { t, type TextKey } from '../i18n';
import { regionName } from '../regions';
import { signedInAs } from '../session';
import { chartFrame, figure, loadCharts, markInteractive, table, type Charts } from './common';

interface BrandData {
  brand: Brand;
  operator: { name: string } | null;
  certifiedBy: { name: string } | null;
  statistics: BrandStatistics;
  history: Decision[];
  distribution: Distribution | null;
  months: MonthCount[] | null;
  /** Figures the signed-in reader sees unsuppressed where the public does not. */
  unsuppressed: boolean;
  isPublic: boolean;
}

const NOT_PUBLIC = ['draft', 'submitted'];

async function load(id: string): Promise<BrandData> {
  let own: BrandStatistics | null = null;
  if (signedInAs() !== null) {
    // Signed in: the brand and its figures as the key sees them; a brand not public yet is read through the key only.
    const [brand, statistics] = await Promise.all([
      getJson<Brand>(`/v1/brands/${id}`, { authenticated: true }),
      getJson<BrandStatistics>(`/v1/brands/${id}/statistics`, { authenticated: true }),
    ]);
    own = statistics;
    if (NOT_PUBLIC.includes(brand.status)) {
      const history = await getJson<{ items: Decision[] }>(`/v1/brands/${id}/history?limit=500`, { authenticated: true });
      return { brand, operator: null, certifiedBy: null, statistics, history: history.items, distribution: null, months: null, unsuppressed: !statistics.salary.suppressed, isPublic: false };
    }
  }
  const paths = brandDataPaths(id);
  const [pub, distribution, monthly] = await Promise.all([
    getJson<PublicBrand>(paths.brand),
    getJson<Distribution>(paths.distribution),
    getJson<{ items: MonthCount[] }>(paths.months),
  ]);
  const unsuppressed = own !== null && pub.statistics.salary.suppressed && !own.salary.suppressed;
  return { ...pub, statistics: unsuppressed && own ? own : pub.statistics, distribution, months: monthly.items, unsuppressed, isPublic: true };
}

function facts(d: BrandData): HTMLElement {
  const b = d.brand;
  const item = (label: string, value: Node | string | null) => (value ? h('div', {}, h('dt', {}, label), h('dd', {}, value)) : null);
  return h(
    'dl',
    { className: 'facts' },
    item(t('colOccupation'), `${b.occupationName}(${b.occupationCode})`),
    item(t('colRegion'), h('a', { href: `/regions/${b.regionCode}` }, regionName(b.regionCode))),
    item(t('sector'), b.sector),
    item(t('level'), b.level ? t(`level_${b.level}` as TextKey) : null),
    item(t('operator'), d.operator?.name ?? null),
    item(t('certifiedBy'), d.certifiedBy?.name ?? null),
    item(t('validUntil'), b.validUntil ? date(b.validUntil) : null),
  );
}

function figures(s: BrandStatistics): HTMLElement {
  return h(
    'section',
    { className: 'panel', 'aria-labelledby': 'figures-title' },
    h('h2', { id: 'figures-title' }, t('figuresTitle')),
    h(
      'dl',
      { className: 'figures', id: 'figures' },
      figure('traineeCount', t('figTrainees'), s.traineeCount, count(s.traineeCount)),
      figure('certifiedTraineeCount', t('figCertified'), s.certifiedTraineeCount, count(s.certifiedTraineeCount)),
      figure('certificationRate', t('figCertificationRate'), s.certificationRate, percent(s.certificationRate)),
      figure('placedTraineeCount', t('figPlaced'), s.placedTraineeCount, count(s.placedTraineeCount)),
      figure('placementRate', t('figPlacementRate'), s.placementRate, percent(s.placementRate)),
      figure('activePlacementCount', t('figActive'), s.activePlacementCount, count(s.activePlacementCount)),
      figure('endedPlacementCount', t('figEnded'), s.endedPlacementCount, count(s.endedPlacementCount)),
      figure('employerCount', t('figEmployers'), s.employerCount, count(s.employerCount)),
      figure('medianDaysToPlacement', t('figDays'), s.medianDaysToPlacement, days(s.medianDaysToPlacement)),
      figure('retention6mRate', t('figRetention6'), s.retention6mRate, percent(s.retention6mRate)),
      figure('retention12mRate', t('figRetention12'), s.retention12mRate, percent(s.retention12mRate)),
    ),
    s.asOf ? h('p', { className: 'note' }, t('asOf', { time: dateTime(s.asOf) })) : null,
  );
}

function salary(s: BrandStatistics, unsuppressed: boolean): HTMLElement {
  const sal = s.salary;
  return h(
    'section',
    { className: 'panel', 'aria-labelledby': 'salary-title' },
    h('h2', { id: 'salary-title' }, t('salaryTitle'), unsuppressed ? h('span', { className: 'badge' }, t('unsuppressedBadge')) : null),
    sal.suppressed
      ? h('div', { className: 'suppressed', id: 'suppression' }, h('h3', {}, t('suppressedTitle')), h('p', {}, t('suppressedExplain', { n: sal.sampleSize })))
      : h(
          'dl',
          { className: 'figures', id: 'salary' },
          figure('medianAnnualFen', t('salaryMedian'), sal.medianAnnualFen, yuan(sal.medianAnnualFen)),
          figure('p25AnnualFen', t('salaryP25'), sal.p25AnnualFen, yuan(sal.p25AnnualFen)),
          figure('p75AnnualFen', t('salaryP75'), sal.p75AnnualFen, yuan(sal.p75AnnualFen)),
          figure('meanAnnualFen', t('salaryMean'), sal.meanAnnualFen, yuan(sal.meanAnnualFen)),
          figure('medianSalaryUpliftPct', t('figUplift'), s.medianSalaryUpliftPct, signedPercent(s.medianSalaryUpliftPct)),
          figure('sampleSize', t('salarySample'), sal.sampleSize, count(sal.sampleSize)),
        ),
  );
}

function history(items: Decision[]): HTMLElement {
  return h(
    'section',
    { className: 'panel', 'aria-labelledby': 'history-title' },
    h('h2', { id: 'history-title' }, t('historyTitle')),
    h(
      'div',
      { className: 'table-scroll', tabindex: '0', role: 'region', 'aria-labelledby': 'history-title' },
      h(
        'table',
        { className: 'data', id: 'history' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('colDate')), h('th', { scope: 'col' }, t('colAction')), h('th', { scope: 'col' }, t('colStatus')), h('th', { scope: 'col' }, t('colReason')))),
        h(
          'tbody',
          {},
          ...items.map((d) =>
            h(
              'tr',
              { 'data-action': d.action },
              h('td', {}, date(d.at)),
              h('th', { scope: 'row' }, t(`action_${d.action}` as TextKey)),
              h('td', {}, d.fromStatus ? `${t(`status_${d.fromStatus}` as TextKey)} → ` : '', t(`status_${d.toStatus}` as TextKey)),
              h('td', {}, d.reason ?? ''),
            ),
          ),
        ),
      ),
    ),
  );
}

const bucketLabel = (b: { fromFen: number; toFen: number }): string => `${yuanShort(b.fromFen)}–${yuanShort(b.toFen)}`;

export async function renderBrand(main: HTMLElement, id: string): Promise<void> {
  const d = await load(id);
  const b = d.brand;
  document.title = `${b.name} · ${t('siteTitle')}`;
  if (!d.isPublic) document.documentElement.dataset.private = 'true';
  put(main, 
    h(
      'div',
      { className: 'title-row' },
      h('h1', { id: 'brand-name' }, b.name),
      h('span', { className: `status status-${b.status}`, id: 'brand-status' }, t(`status_${b.status}` as TextKey)),
    ),
    facts(d),
    b.description ? h('p', { className: 'lede' }, b.description) : null,
    d.isPublic ? null : h('p', { className: 'note' }, t('notPublicYet')),
    figures(d.statistics),
    salary(d.statistics, d.unsuppressed),
  );

  // Drawn once the content is in place: the charts' module loads after that, so it never delays the content.
  const draws: Array<(charts: Charts) => Promise<void>> = [];
  const grid = h('div', { className: 'chart-grid' });
  if (d.distribution) {
    const dist = d.distribution;
    const labels = dist.buckets.map(bucketLabel);
    const summary = dist.buckets.map((x, i) => `${labels[i]}: ${x.count}`).join('; ');
    if (dist.suppressed || dist.buckets.length === 0) {
      grid.append(h('section', { className: 'panel', 'aria-labelledby': 'distribution-title' }, h('h2', { id: 'distribution-title' }, t('distributionTitle')), h('p', { className: 'suppressed', id: 'distribution-hidden' }, t('distributionHidden'))));
    } else {
      const frame = chartFrame('distribution', t('distributionTitle'), t('distributionNote'), t('distributionAlt', { summary }), table(t('distributionTitle'), [t('salaryTitle'), t('people')], dist.buckets.map((x, i) => [labels[i], count(x.count)]), 'distribution-table'));
      grid.append(frame.section);
      draws.push((c: Charts) => c.drawBars(frame.canvas, labels, [{ name: t('people'), values: dist.buckets.map((x) => x.count), color: c.COLORS.primary }], { valueName: t('people') }));
    }
  }
  if (d.months) {
    const items = d.months;
    if (items.length === 0) {
      grid.append(h('section', { className: 'panel', 'aria-labelledby': 'monthly-title' }, h('h2', { id: 'monthly-title' }, t('monthlyTitle')), h('p', { className: 'note' }, t('monthlyNone'))));
    } else {
      const labels = items.map((m) => month(m.month));
      const summary = items.map((m, i) => `${labels[i]}: ${t('confirmed')} ${m.confirmed}, ${t('ended')} ${m.ended}`).join('; ');
      const frame = chartFrame('monthly', t('monthlyTitle'), t('monthlyNote'), t('monthlyAlt', { summary }), table(t('monthlyTitle'), [t('month'), t('confirmed'), t('ended')], items.map((m, i) => [labels[i], m.confirmed, m.ended]), 'monthly-table'));
      grid.append(frame.section);
      draws.push((c: Charts) =>
          c.drawBars(frame.canvas, labels, [
            { name: t('confirmed'), values: items.map((m) => m.confirmed), color: c.COLORS.secondary },
            { name: t('ended'), values: items.map((m) => m.ended), color: c.COLORS.primary, kind: 'line' },
          ]),
      );
    }
  }
  put(main, grid, history(d.history));
  markInteractive();
  if (draws.length) {
    const charts = await loadCharts();
    await Promise.all(draws.map((draw) => draw(charts)));
  }
}
