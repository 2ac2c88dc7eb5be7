import { getMetadataStorage } from 'class-validator';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { languageOf, LANGUAGES } from '../../src/common/i18n/language';
import { msg, render } from '../../src/common/i18n/message';
import { MESSAGES } from '../../src/common/i18n/messages';
import { PROBLEM_STATUS, problemDocument, ProblemCode } from '../../src/common/problems/problem';
import { CONSTRAINT_MESSAGES } from '../../src/common/validation/validation';

const placeholders = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
const CJK = /[\u4e00-\u9fff]/;

describe('the message catalogue', () => {
  it.each(Object.keys(PROBLEM_STATUS) as ProblemCode[])('%s has a title in English and in Chinese', (code) => {
    const en = problemDocument('en', code);
    const zh = problemDocument('zh', code);
    expect(en.title).toMatch(/^[A-Z]/);
    expect(zh.title).toMatch(CJK);
    expect(zh.title).not.toBe(en.title);
  });

  it.each(Object.entries(MESSAGES))('%s names the same parameters in both languages, and its Chinese is Chinese', (key, texts) => {
    expect(placeholders(texts.zh)).toEqual(placeholders(texts.en));
    // A text that is only parameters, punctuation or a JSON/code word needs no Chinese characters.
    const prose = texts.en.replace(/\{\w+\}/g, '').replace(/[^A-Za-z]+/g, '');
    if (prose.length > 4 && !/^(null)$/.test(prose)) expect({ key, zh: texts.zh }).toEqual({ key, zh: expect.stringMatching(CJK) });
  });

  it('renders parameters, nested messages and lists in the language asked for', () => {
    const detail = msg('brand.cannot', { action: 'certify', reason: msg('brand.transition', { action: 'certify', status: 'draft', from: 'submitted' }) });
    expect(render(detail, 'en')).toBe('Cannot certify: cannot certify a brand that is draft; certify applies to submitted brands');
    expect(render(detail, 'zh')).toBe('无法执行 certify：状态为 draft 的品牌不能执行 certify；certify 只适用于状态为 submitted 的品牌');
    const items = msg('validation.summary', { items: [msg('validation.item', { field: 'a', message: msg('field.string', { field: 'a' }) }), msg('validation.item', { field: 'b', message: msg('field.uuid', { field: 'b' }) })] });
    expect(render(items, 'en')).toBe('a: a must be a string; b: b must be a UUID');
    expect(render(items, 'zh')).toBe('a：a 必须是字符串；b：b 必须是 UUID');
  });

  it('every class-validator constraint of every DTO has its message in the catalogue', async () => {
    const dtoFiles = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? dtoFiles(join(dir, e.name)) : dir.endsWith('/dto') && e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
    for (const file of dtoFiles(join(__dirname, '../../src'))) await import(file);
    await import('../../src/common/pagination/pagination');
    const storage = getMetadataStorage() as unknown as { validationMetadatas: Map<unknown, Array<{ name?: string; constraintCls?: Function; type: string; message?: unknown }>> };
    const names = new Set<string>();
    for (const metadatas of storage.validationMetadatas.values()) {
      for (const m of metadatas) {
        if (m.type === 'conditionalValidation' || m.type === 'whitelistValidation' || m.type === 'nestedValidation') continue;
        const name = m.name ?? (m.constraintCls ? getMetadataStorage().getTargetValidatorConstraints(m.constraintCls)[0]?.name : undefined) ?? m.type;
        // Decorators that say their own message do so through a catalogue marker.
        if (m.message !== undefined || ['isCreditCode', 'isRegionCode', 'isNationalId', 'isCalendarDate', 'isFutureDate', 'isEventType'].includes(name)) continue;
        names.add(name);
      }
    }
    expect(names.size).toBeGreaterThan(5);
    expect([...names].filter((n) => !CONSTRAINT_MESSAGES[n])).toEqual([]);
  });
});

describe('languageOf (Accept-Language)', () => {
  it.each([
    [undefined, 'en'],
    ['', 'en'],
    ['zh', 'zh'],
    ['zh-CN', 'zh'],
    ['zh-Hans-CN,zh;q=0.9', 'zh'],
    ['zh-TW', 'zh'],
    ['en-US,en;q=0.9', 'en'],
    ['fr-FR,zh;q=0.8,en;q=0.5', 'zh'],
    ['en;q=0.9,zh;q=0.95', 'zh'],
    ['zh;q=0,en', 'en'],
    ['de', 'en'],
    ['*', 'en'],
    ['ZH-cn', 'zh'],
  ])('%j → %s', (header, expected) => {
    expect(languageOf(header)).toBe(expected);
  });

  it('knows exactly two languages', () => {
    expect(LANGUAGES).toEqual(['en', 'zh']);
  });
});
