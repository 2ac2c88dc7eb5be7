import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * docs/openapi.json is the document the app serves at /docs-json, committed so that a change of the API shows in
 * review and the demo's typed client (scripts/demo/api.d.ts) is generated from it. `npm run openapi` rewrites both.
 */
const DOCUMENT_PATH = join(__dirname, '..', '..', 'docs', 'openapi.json');
const SHOWN_DIFFERENCES = 10;

/** JSON pointers of the values that differ, each with what is served and what is committed. */
function differences(served: unknown, committed: unknown, pointer = ''): string[] {
  if (isDeepStrictEqual(served, committed)) return [];
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (!isObject(served) || !isObject(committed) || Array.isArray(served) !== Array.isArray(committed)) {
    return [`${pointer || '/'}: served ${brief(served)}, committed ${brief(committed)}`];
  }
  const keys = [...new Set([...Object.keys(served), ...Object.keys(committed)])];
  return keys.flatMap((key) => differences(served[key], committed[key], `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`));
}

function brief(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

describe('OpenAPI document', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  it('docs/openapi.json is what the app serves at /docs-json', async () => {
    const res = await t.request('GET', '/docs-json', { key: null });
    expect(res.status).toBe(200);
    const served: unknown = JSON.parse(res.text);
    const committed: unknown = JSON.parse(readFileSync(DOCUMENT_PATH, 'utf8'));

    const found = differences(served, committed);
    if (found.length > 0) {
      throw new Error(
        [
          `docs/openapi.json is out of date: it differs from the document the app serves at /docs-json in ${found.length} place(s):`,
          ...found.slice(0, SHOWN_DIFFERENCES).map((line) => `  ${line}`),
          ...(found.length > SHOWN_DIFFERENCES ? [`  … and ${found.length - SHOWN_DIFFERENCES} more`] : []),
          'Run `npm run openapi` to regenerate docs/openapi.json and the demo client types (scripts/demo/api.d.ts), then commit both.',
        ].join('\n'),
      );
    }
  });
});
