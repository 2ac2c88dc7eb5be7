/**
 * The languages texts for people come in (API.md, Languages): Simplified Chinese for a request whose
 * Accept-Language prefers Chinese, English otherwise. Codes and field names never change with the language.
 */
export const LANGUAGES = ['en', 'zh'] as const;
export type Language = (typeof LANGUAGES)[number];

/** What `Content-Language` says of an answer in each language. */
export const CONTENT_LANGUAGE: Record<Language, string> = { en: 'en', zh: 'zh-CN' };

/**
 * The language an Accept-Language header asks for: the range with the highest weight that is Chinese or English
 * (`zh`, `zh-CN`, `zh-Hans`, … are Chinese; a Chinese reader of Traditional script is better served by Simplified
 * Chinese than by English); English when neither is asked for. `*` counts as English.
 */
export function languageOf(acceptLanguage: string | string[] | undefined): Language {
  const header = Array.isArray(acceptLanguage) ? acceptLanguage.join(',') : acceptLanguage;
  if (!header) return 'en';
  let best: { language: Language; weight: number } | null = null;
  for (const part of header.split(',').slice(0, 20)) {
    const [range, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const weight = q ? Number(q.slice(2)) : 1;
    if (!Number.isFinite(weight) || weight <= 0) continue;
    const language: Language | null = range === 'zh' || range.startsWith('zh-') ? 'zh' : range === 'en' || range.startsWith('en-') || range === '*' ? 'en' : null;
    if (language && (!best || weight > best.weight)) best = { language, weight };
  }
  return best?.language ?? 'en';
}
