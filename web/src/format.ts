import { locale, t } from './i18n';

const cache = new Map<string, Intl.NumberFormat>();
function nf(key: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const id = `${locale()}|${key}`;
  let f = cache.get(id);
  if (!f) cache.set(id, (f = new Intl.NumberFormat(locale(), options)));
  return f;
}

/** A count: `12,345`. */
export const count = (n: number | null | undefined): string => (n === null || n === undefined ? t('noData') : nf('int', { maximumFractionDigits: 0 }).format(n));

/** A share 0–1 as a percentage: `87.5%`. */
export const percent = (r: number | null | undefined): string => (r === null || r === undefined ? t('noData') : nf('pct', { style: 'percent', maximumFractionDigits: 1 }).format(r));

/** Fen as whole yuan: `¥152,340`. */
export const yuan = (fen: number | null | undefined): string =>
  fen === null || fen === undefined ? t('noData') : nf('cny', { style: 'currency', currency: 'CNY', maximumFractionDigits: 0, minimumFractionDigits: 0 }).format(Math.round(fen / 100));

/** Fen as thousands of yuan for chart axes: `¥150k` / `15万`. */
export function yuanShort(fen: number): string {
  const y = fen / 100;
  if (locale() === 'zh-CN') return y >= 10_000 ? `${nf('wan', { maximumFractionDigits: 1 }).format(y / 10_000)}万` : nf('int', { maximumFractionDigits: 0 }).format(y);
  return y >= 1000 ? `¥${nf('k', { maximumFractionDigits: 1 }).format(y / 1000)}k` : `¥${y}`;
}

export const days = (d: number | null | undefined): string => (d === null || d === undefined ? t('noData') : t('days', { n: nf('days', { maximumFractionDigits: 1 }).format(d) }));

export const signedPercent = (p: number | null | undefined): string =>
  p === null || p === undefined ? t('noData') : `${p > 0 ? '+' : ''}${nf('pp', { maximumFractionDigits: 1 }).format(p)}%`;

export const date = (iso: string | null | undefined): string =>
  iso ? new Intl.DateTimeFormat(locale(), { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'Asia/Shanghai' }).format(new Date(iso.length === 10 ? `${iso}T00:00:00+08:00` : iso)) : t('noData');

export const dateTime = (iso: string | null | undefined): string =>
  iso ? new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Asia/Shanghai' }).format(new Date(iso)) : t('noData');

export function month(m: string): string {
  const [y, mo] = m.split('-').map(Number);
  return new Intl.DateTimeFormat(locale(), { year: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(y, mo - 1, 1)));
}
