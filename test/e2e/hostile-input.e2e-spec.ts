/**
 * Every route of the served OpenAPI document, driven with generated hostile values in its path, query and body
 * (fast-check): whatever comes in, the answer is never a 5xx, and (through the test app) it is what the document
 * says. A failure prints the seed and the shrunk request that broke it.
 */
import fc from 'fast-check';
import { createCertifiedBrand } from '../support/brands';
import { createOrganization } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { registerTrainee } from '../support/trainees';

type Json = Record<string, any>;

const RUNS_PER_ROUTE = Number(process.env.HOSTILE_RUNS ?? 30);
const METHODS = ['get', 'post', 'patch', 'put', 'delete'];

/** Strings that have broken parsers, databases and path routers before. */
const NASTY = [
  '', ' ', '\u0000', '%00', '%', '%zz', '..', '../../etc/passwd', '\\', "'", "' OR 1=1 --", '"', ';', '{}', '[]', 'null', 'true', 'NaN',
  '-1', '0', '1e309', '9223372036854775808', '-9223372036854775809', '2147483648', '1.5', '0x10', '١٢٣', '\ud800', '\udfff', '😀', '𠀀',
  '\u202e', '\r\n', 'a'.repeat(300), '2026-02-30', '9999-12-31', '0000-01-01', '00000000-0000-0000-0000-000000000000', 'LB-0000-0000-0000-0000',
  '11010519491231002X', '100000', '999999', 'eyJ9', 'WyJ4Il0', 'WzEyMywiYWJjIl0', 'W251bGwsbnVsbF0',
];

const hostileString = fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }));
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: hostileString },
  fc.integer(),
  fc.double(),
  fc.constantFrom(null, true, false, 2 ** 53, -(2 ** 63), 1e308),
  fc.array(hostileString, { maxLength: 3 }),
  fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
);

/** A path segment as a client would send it; a literal `%` is left as it is, so broken escapes reach the server too. */
function percentEncoded(value: string): string {
  return [...Buffer.from(value, 'utf8')].map((b) => (/[A-Za-z0-9\-._~%]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

/** `[name, schema]` of a JSON body's top-level properties, following one $ref. */
function bodyProperties(document: Json, operation: Json): Array<[string, Json]> {
  let schema = operation.requestBody?.content?.['application/json']?.schema;
  if (schema?.$ref) schema = document.components.schemas[schema.$ref.split('/').pop()];
  return Object.entries<Json>(schema?.properties ?? {});
}

describe('hostile input on every route', () => {
  let t: TestApp;
  let document: Json;
  const known: Record<string, string[]> = {};

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_MAX: '0', PUBLIC_RATE_LIMIT_MAX: '0' });
    document = JSON.parse((await t.request('GET', '/docs-json', { key: null })).text);
    // Real objects, so that generated requests also reach the code behind a successful look-up.
    const firm = await createOrganization(t, 'hr_firm', '310104');
    const bureau = await createOrganization(t, 'bureau', '310000');
    const brand = await createCertifiedBrand(t, firm.key, bureau.key);
    const trainee = await registerTrainee(t, firm.key, brand.id);
    known.id = [firm.id, brand.id, trainee.id];
    known.brandId = [brand.id];
    known.regionCode = ['310000', '310104'];
  });
  afterAll(async () => t?.close());

  it.each(['GET', 'POST', 'PATCH', 'PUT', 'DELETE'])('%s routes never answer 5xx', async (verb) => {
    const operations = Object.entries<Json>(document.paths).flatMap(([path, item]) =>
      Object.entries<Json>(item)
        .filter(([method]) => METHODS.includes(method) && method === verb.toLowerCase())
        .map(([, operation]) => ({ path, operation })),
    );
    for (const { path, operation } of operations) {
      const parameters: Json[] = operation.parameters ?? [];
      const pathNames = parameters.filter((p) => p.in === 'path').map((p) => p.name as string);
      const queryNames = parameters.filter((p) => p.in === 'query').map((p) => p.name as string);
      const properties = bodyProperties(document, operation);
      const consumes = Object.keys(operation.requestBody?.content ?? {});

      const pathValue = (name: string) => fc.oneof(hostileString, fc.uuid(), fc.constantFrom(...(known[name] ?? known.id)));
      const request = fc.record({
        pathValues: fc.tuple(...pathNames.map(pathValue)),
        query: fc.dictionary(fc.oneof(fc.constantFrom(...(queryNames.length ? queryNames : ['x'])), hostileString), hostileString, { maxKeys: 4 }),
        body: properties.length
          ? fc.oneof(
              { weight: 4, arbitrary: fc.record(Object.fromEntries(properties.map(([name]) => [name, hostileValue])), { requiredKeys: [] }) },
              { weight: 1, arbitrary: hostileValue },
            )
          : fc.option(hostileValue),
        raw: fc.option(hostileString, { freq: 4 }),
        contentType: fc.constantFrom(...(consumes.length ? consumes : ['application/json']), 'application/json; charset=utf-16', 'text/plain'),
      });

      await fc.assert(
        fc.asyncProperty(request, async ({ pathValues, query, body, raw, contentType }) => {
          let i = 0;
          const url =
            path.replace(/\{[^}]+\}/g, () => percentEncoded(String(pathValues[i++]))) +
            (Object.keys(query).length ? `?${new URLSearchParams(query as Record<string, string>).toString()}` : '');
          const sendsBody = verb !== 'GET' && verb !== 'DELETE';
          const res = await t.request(verb, url, {
            ...(sendsBody && raw !== null ? { raw, contentType } : {}),
            ...(sendsBody && raw === null && body !== null ? { body, contentType: contentType.includes('json') ? contentType : 'application/json' } : {}),
          });
          if (res.status >= 500) throw new Error(`${verb} ${url} → ${res.status}: ${res.text.slice(0, 300)}`);
        }),
        { numRuns: RUNS_PER_ROUTE },
      );
    }
  });
});
