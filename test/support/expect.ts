import type { Response } from './test-app';

const PROBLEM_KEYS = ['type', 'title', 'status', 'detail', 'code', 'errors', 'instance'];

/**
 * Signs of internals that must never reach a client: stack frames, file paths, SQL, driver and ORM error names.
 */
const LEAKS: Array<[RegExp, string]> = [
  [/\bat [\w.<>]+ \(/, 'a stack frame'],
  [/\.(ts|js):\d+/, 'a source location'],
  [/node_modules|\/work\/|\/src\//, 'an internal path'],
  [/\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b/i, 'SQL text'],
  [/QueryFailedError|TypeORMError|duplicate key value|violates|relation "|syntax error at/i, 'a database error'],
  [/\bstack\b/i, 'a stack'],
];

export function expectNoLeak(res: Response): void {
  for (const [pattern, what] of LEAKS) {
    if (pattern.test(res.text)) throw new Error(`response ${res.status} contains ${what} (${pattern}): ${res.text.slice(0, 500)}`);
  }
}

/**
 * An RFC 9457 problem document with this status and code, shaped as API.md says, leaking nothing; members other
 * than the standard ones must be named in `extensions`. Returns the body for further assertions.
 */
export function expectProblem(res: Response, status: number, code: string, options: { extensions?: string[] } = {}): any {
  if (res.status !== status || res.body?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${res.status}: ${res.text.slice(0, 500)}`);
  }
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json(;|$)/);
  const body = res.body;
  expect(body).toEqual(
    expect.objectContaining({
      type: expect.stringMatching(/^https?:\/\/\S+$/),
      title: expect.any(String),
      status,
      detail: expect.any(String),
      code,
    }),
  );
  expect(body.title.length).toBeGreaterThan(0);
  expect(body.detail.length).toBeGreaterThan(0);
  for (const key of Object.keys(body)) expect([...PROBLEM_KEYS, ...(options.extensions ?? [])]).toContain(key);
  if (body.errors !== undefined) {
    expect(Array.isArray(body.errors)).toBe(true);
    expect(body.errors.length).toBeGreaterThan(0);
    for (const e of body.errors) {
      expect(e).toEqual({ field: expect.any(String), code: expect.stringMatching(/^[A-Z][A-Z0-9_]*$/), message: expect.any(String) });
    }
  }
  expectNoLeak(res);
  return body;
}

/** A 400 whose `errors` name this field (with this field code, when given). */
export function expectFieldError(res: Response, code: string, field: string, fieldCode?: string): any {
  const body = expectProblem(res, 400, code);
  expect(body.errors).toEqual(expect.arrayContaining([expect.objectContaining(fieldCode ? { field, code: fieldCode } : { field })]));
  return body;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(timeoutMs: number, probe: () => Promise<T | undefined>, what = 'condition'): Promise<{ value: T; elapsedMs: number }> {
  const start = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return { value, elapsedMs: Date.now() - start };
    if (Date.now() - start > timeoutMs) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await sleep(25);
  }
}

export const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
