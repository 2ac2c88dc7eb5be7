import { h } from '../dom';

export type Charts = typeof import('../charts');

/** Charts load on demand, by the pages that draw them, once their content is in place. */
export const loadCharts = (): Promise<Charts> => import('../charts');

/** A figure: its label, and its value shown (`text`) with the raw value in `data-value` (for the tests). */
export function figure(name: string, label: string, value: number | null | undefined, text: string): HTMLElement {
  return h('div', { className: 'figure' }, h('dt', {}, label), h('dd', { 'data-figure': name, 'data-value': value ?? '' }, text));
}

/**
 * A chart's frame: a heading, a note, the drawing (an image to assistive technology, with a summary for its name)
 * and the same figures as a table, for those who cannot see the drawing.
 */
export function chartFrame(id: string, title: string, note: string, alt: string, table: HTMLTableElement): { section: HTMLElement; canvas: HTMLElement } {
  const canvas = h('div', { className: 'chart', id: `${id}-chart`, role: 'img', 'aria-label': alt });
  const section = h(
    'section',
    { className: 'panel', 'aria-labelledby': `${id}-title` },
    h('h2', { id: `${id}-title` }, title),
    h('p', { className: 'note' }, note),
    canvas,
    h('details', { className: 'chart-data' }, h('summary', {}, title), table),
  );
  return { section, canvas };
}

export function table(caption: string, head: string[], rows: Array<Array<string | number>>, id?: string): HTMLTableElement {
  return h(
    'table',
    { className: 'data', id },
    h('caption', { className: 'visually-hidden' }, caption),
    h('thead', {}, h('tr', {}, ...head.map((c, i) => h('th', { scope: 'col', className: i > 0 ? 'num' : '' }, c)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, String(c)) : h('td', { className: 'num' }, String(c))))))),
  );
}

/**
 * The page's content is in place and usable (figures, tables, links): `lb-interactive`. Charts may still be
 * drawing; `lb-ready` (main.ts) follows once they are.
 */
export function markInteractive(): void {
  if (document.documentElement.dataset.interactive) return;
  performance.mark('lb-interactive');
  document.documentElement.dataset.interactive = 'true';
}
