/**
 * The languages texts for people come in (API.md, Languages): Simplified Chinese for a request whose
 * Accept-Language prefers Chinese, English otherwise. Codes and field names never change with the language.
 */
export const LANGUAGES = ['en', 'zh'] as const;
export type Language = (typeof LANGUAGES)[number];

/** What `Content-Language` says of an answer in each language. */
export const CONTENT_LANGUAGE: Record<Language, string> = { en: 'en', zh: 'zh-CN' };

/**
 * The language ranges of an Accept-Language header as written, highest weight first (the first of equals first);
 * ranges of weight 0 are refused, not wanted. At most 20 ranges are read.
 */
export function acceptedRanges(acceptLanguage: string | string[] | undefined): string[] {
  const header = Array.isArray(acceptLanguage) ? acceptLanguage.join(',') : acceptLanguage;
  if (!header) return [];
  const ranges: Array<{ range: string; weight: number; order: number }> = [];
  header
    .split(',')
    .slice(0, 20)
    .forEach((part, order) => {
      const [range, ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='));
      const weight = q ? Number(q.slice(2)) : 1;
      if (range && Number.isFinite(weight) && weight > 0) ranges.push({ range: range.trim(), weight, order });
    });
  return ranges.sort((a, b) => b.weight - a.weight || a.order - b.order).map((r) => r.range);
}

/**
 * The language an Accept-Language header asks for: the range with the highest weight that is Chinese or English
 * (`zh`, `zh-CN`, `zh-Hans`, … are Chinese; a Chinese reader of Traditional script is better served by Simplified
 * Chinese than by English); English when neither is asked for. `*` counts as English.
 */
export function languageOf(acceptLanguage: string | string[] | undefined): Language {
  for (const written of acceptedRanges(acceptLanguage)) {
    const range = written.toLowerCase();
    if (range === 'zh' || range.startsWith('zh-')) return 'zh';
    if (range === 'en' || range.startsWith('en-') || range === '*') return 'en';
  }
  return 'en';
}
