/**
 * The language of the public pages (API.md, Public pages), pure: the server picks the page's `lang` from it and the
 * pages' script (web/) uses the same rule with what only the browser knows (the remembered choice).
 *
 * Simplified Chinese unless the visitor chose English — `?lang=en` in the URL first, then the choice remembered from
 * the switch — or, having chosen nothing, the browser's first language is English.
 */
import { acceptedRanges } from '../common/i18n/language';

export const PAGE_LANGUAGES = ['zh', 'en'] as const;
export type PageLanguage = (typeof PAGE_LANGUAGES)[number];

/** The value of `<html lang>` for each. */
export const HTML_LANG: Record<PageLanguage, string> = { zh: 'zh-CN', en: 'en' };

export function asPageLanguage(value: string | null | undefined): PageLanguage | null {
  return value === 'zh' || value === 'en' ? value : null;
}

/** The first language of an Accept-Language header (the one with the highest q; the first of equals). */
export function firstAcceptedLanguage(header: string | undefined): string | null {
  return acceptedRanges(header).find((range) => range !== '*') ?? null;
}

export function chooseLanguage(choice: { query?: string | null; remembered?: string | null; browserFirst?: string | null }): PageLanguage {
  return asPageLanguage(choice.query) ?? asPageLanguage(choice.remembered) ?? (/^en\b/i.test(choice.browserFirst ?? '') ? 'en' : 'zh');
}
