import { chooseLanguage, firstAcceptedLanguage } from '../../src/dashboard/language.rules';

describe('the language of the public pages', () => {
  it('is Chinese unless English is asked for in the URL, remembered, or the browser puts English first', () => {
    expect(chooseLanguage({})).toBe('zh');
    expect(chooseLanguage({ browserFirst: 'zh-CN' })).toBe('zh');
    expect(chooseLanguage({ browserFirst: 'en-US' })).toBe('en');
    expect(chooseLanguage({ browserFirst: 'en' })).toBe('en');
    expect(chooseLanguage({ browserFirst: 'fr-FR' })).toBe('zh');
    expect(chooseLanguage({ remembered: 'en', browserFirst: 'zh-CN' })).toBe('en');
    expect(chooseLanguage({ remembered: 'zh', browserFirst: 'en-GB' })).toBe('zh');
    expect(chooseLanguage({ query: 'en', remembered: 'zh' })).toBe('en');
    expect(chooseLanguage({ query: 'zh', browserFirst: 'en' })).toBe('zh');
    expect(chooseLanguage({ query: 'de', remembered: 'en' })).toBe('en');
  });

  it('reads the first language of an Accept-Language header by weight', () => {
    expect(firstAcceptedLanguage('en-US,en;q=0.9,zh-CN;q=0.8')).toBe('en-US');
    expect(firstAcceptedLanguage('zh-CN;q=0.5, en;q=0.9')).toBe('en');
    expect(firstAcceptedLanguage('*, zh')).toBe('zh');
    expect(firstAcceptedLanguage('en;q=0, zh-Hans')).toBe('zh-Hans');
    expect(firstAcceptedLanguage(undefined)).toBeNull();
    expect(firstAcceptedLanguage('')).toBeNull();
  });
});
