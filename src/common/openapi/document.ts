import type { OpenAPIObject } from '@nestjs/swagger';
import { PROBLEM_MEDIA_TYPE } from '../problems/problem';

/**
 * What the generated OpenAPI document cannot say by decorators alone, applied to the whole document in one place so
 * that every route gets it, including routes written after this: the default security, the tags' descriptions,
 * the rate-limit headers, the problem answers any route may give, and nullable enums that admit their null.
 */

/** Every tag a controller uses, described; a tag missing here fails start-up (a test boots the app). */
export const TAG_DESCRIPTIONS: Record<string, string> = {
  'Organizations and keys': 'HR firms, employers, bureaus and the platform, and their API keys',
  Brands: 'Labor service brands: registration, certification by a bureau, and their life cycle',
  Trainees: 'People a brand trains, with their identity numbers kept encrypted',
  Placements: 'Jobs proposed by HR firms and confirmed by employers, with salary history',
  Certifications: 'Skill certificates and their verifiable credentials',
  'Public verification': 'What anyone may check without a key: certificates, status lists, signing keys',
  Statistics: "Each brand's and region's figures, exact and fresh",
  'Public pages': 'What the public website reads, without a key: the directory of public brands, a brand, a region, occupations',
  Integrations: 'Webhook subscriptions, signed deliveries (Standard Webhooks) and the event feed to pull',
  Operations: 'Health and dead letters',
};

/** Headers declared once in components and referred to by every response that carries them. */
const HEADERS = {
  'RateLimit-Limit': { description: 'Requests allowed in the current window (to this API key; on routes without a key, from this address)', schema: { type: 'integer', minimum: 0 } },
  'RateLimit-Remaining': { description: 'Requests left in the current window', schema: { type: 'integer', minimum: 0 } },
  'RateLimit-Reset': { description: 'Seconds until the window resets', schema: { type: 'integer', minimum: 0 } },
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } },
};
const ref = (name: keyof typeof HEADERS) => ({ $ref: `#/components/headers/${name}` });
const RATE_LIMIT_HEADERS = { 'RateLimit-Limit': ref('RateLimit-Limit'), 'RateLimit-Remaining': ref('RateLimit-Remaining'), 'RateLimit-Reset': ref('RateLimit-Reset') };
const RETRY_AFTER = { 'Retry-After': ref('Retry-After') };
/** Answers that say when to come back: rate limited, a request with the same Idempotency-Key still running, a dependency down. */
const RETRY_AFTER_STATUSES = new Set(['409', '429', '503']);

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** OpenAPI 3.0 `nullable` does not widen `enum`: a nullable enum must list null to accept it. */
function admitNullInEnums(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(admitNullInEnums);
  if (!isObject(node)) return;
  if (node.nullable === true && Array.isArray(node.enum) && !node.enum.includes(null)) node.enum = [...node.enum, null];
  for (const [key, value] of Object.entries(node)) if (key !== 'example' && key !== 'enum') admitNullInEnums(value);
}

/**
 * The extension by which a route gives its request body per media type (`@ApiExtension(REQUEST_CONTENT, {...})`):
 * @nestjs/swagger repeats one schema and example under every `@ApiConsumes` type, which is wrong for a body that
 * may be CSV text or a binary workbook. finishDocument puts it in place of the generated content.
 */
export const REQUEST_CONTENT = 'x-request-content';

export function finishDocument(document: OpenAPIObject): OpenAPIObject {
  document.security = [{ bearer: [] }];
  document.components = { ...document.components, headers: { ...(document.components?.headers ?? {}), ...HEADERS } };
  document.servers = [{ url: '/', description: 'This service (the address it is reached at)' }];
  const problem = { schema: { $ref: '#/components/schemas/ProblemSchema' } };
  const used = new Set<string>();
  for (const path of Object.values(document.paths)) {
    for (const method of METHODS) {
      const operation = path[method];
      if (!operation) continue;
      for (const tag of operation.tags ?? []) used.add(tag);
      const requestContent = (operation as unknown as Json)[REQUEST_CONTENT];
      if (isObject(requestContent)) {
        if (operation.requestBody && !('$ref' in operation.requestBody)) operation.requestBody.content = requestContent as never;
        delete (operation as unknown as Json)[REQUEST_CONTENT];
      }
      const isPublic = Array.isArray(operation.security) && operation.security.length === 0;
      operation.responses.default ??= {
        description:
          'Any other problem: 400 `MALFORMED_REQUEST` (a request HTTP cannot read), 405 `METHOD_NOT_ALLOWED` (with `Allow`), ' +
          '408 `REQUEST_TIMEOUT`, 414 `URI_TOO_LONG`, 431 `HEADERS_TOO_LARGE`, 500 `INTERNAL_ERROR`',
        content: { [PROBLEM_MEDIA_TYPE]: problem },
      };
      // Every authenticated route is under the per-key limit; a public one under the per-address limit declares it.
      if (!isPublic) operation.responses['429'] ??= { description: '`RATE_LIMITED`, with `Retry-After`', content: { [PROBLEM_MEDIA_TYPE]: problem } };
      const limited = '429' in operation.responses;
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!isObject(response) || '$ref' in response) continue;
        if (limited) response.headers = { ...RATE_LIMIT_HEADERS, ...(response.headers ?? {}) };
        if (RETRY_AFTER_STATUSES.has(status)) response.headers = { ...RETRY_AFTER, ...(response.headers ?? {}) };
      }
    }
  }
  const missing = [...used].filter((tag) => !(tag in TAG_DESCRIPTIONS));
  if (missing.length > 0) throw new Error(`OpenAPI tags without a description in TAG_DESCRIPTIONS: ${missing.join(', ')}`);
  document.tags = [...used].sort().map((name) => ({ name, description: TAG_DESCRIPTIONS[name] }));
  admitNullInEnums(document.components);
  admitNullInEnums(document.paths);
  return document;
}
