import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * Holds every answer the end-to-end suite receives to the OpenAPI document the app serves, as a client generated
 * from that document would: the status must be declared (or `default`), the media type declared for it, a JSON
 * body valid against its schema (ajv, with OpenAPI 3.0's `nullable`), rate-limit headers declared where sent, and
 * the headers a response declares present when required and valid against their schemas where sent. Files (CSV,
 * .xlsx) are held to the same: status, media type and headers (Content-Disposition, Content-Language, …); a text
 * body declared as UTF-8 must be well-formed UTF-8, a binary one must not be empty.
 */

type Json = Record<string, any>;

/** Routes the document does not describe on purpose: the Swagger UI and the queue dashboard (HTML for a browser). */
const UNDESCRIBED = [/^\/docs(?:[/-]|$)/, /^\/admin\/queues(?:\/|$)/];
const DECLARED_HEADERS = ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after'];

interface Operation {
  template: string;
  pattern: RegExp;
  operation: Json;
}

export class ResponseValidator {
  private readonly ajv: Ajv;
  private readonly operations = new Map<string, Operation[]>();
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(private readonly document: Json) {
    // strict off: OpenAPI adds keywords of its own (example, nullable is understood by ajv itself).
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false });
    addFormats(this.ajv);
    this.ajv.addSchema({ components: document.components }, 'openapi.json');
    for (const [template, item] of Object.entries<Json>(document.paths)) {
      const pattern = new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
      for (const [method, operation] of Object.entries<Json>(item)) {
        const list = this.operations.get(method) ?? [];
        list.push({ template, pattern, operation });
        this.operations.set(method, list);
      }
    }
  }

  /** What is wrong with one answer; empty when it is what the document says. */
  check(method: string, url: string, status: number, headers: Record<string, unknown>, text: string, raw?: Buffer): string[] {
    const rawUrl = url.split('?')[0];
    let path = rawUrl;
    try {
      path = decodeURI(rawUrl);
    } catch {
      // A path that does not decode matches no operation; the answer must still be a problem document.
    }
    if (UNDESCRIBED.some((p) => p.test(path))) return [];
    const candidates = this.operations.get(method.toLowerCase()) ?? [];
    // A literal segment wins over a parameter (/v1/trainees/lookup before /v1/trainees/{id}).
    const parameters = (o: Operation): number => o.template.split('{').length;
    const found = candidates.filter((o) => o.pattern.test(path)).sort((a, b) => parameters(a) - parameters(b))[0];
    const where = `${method} ${url.slice(0, 120)} → ${status}`;
    if (!found) {
      // No such operation: the answer must be a client error, as a problem document.
      if (status < 400 || status >= 500) return [`${where}: no operation in the document, yet not a 4xx problem`];
      return this.checkBody(where, { content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemSchema' } } } }, headers, text);
    }
    const responses: Json = found.operation.responses ?? {};
    const response = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
    if (!response) return [`${where}: status ${status} is not declared for ${method.toUpperCase()} ${found.template}`];
    const problems = [...this.checkBody(where, response, headers, text, raw), ...this.checkDeclaredHeaders(where, response, headers)];
    for (const header of DECLARED_HEADERS) {
      if (headers[header] === undefined) continue;
      const declared = Object.keys(response.headers ?? {}).map((h) => h.toLowerCase());
      if (!declared.includes(header)) problems.push(`${where}: header ${header} is sent but not declared for ${method.toUpperCase()} ${found.template} ${status}`);
    }
    return problems;
  }

  /** A file answer (not JSON): text declared as UTF-8 must decode as UTF-8 (the raw bytes, when the caller has them). */
  private checkFileBody(where: string, headers: Record<string, unknown>, text: string, raw: Buffer | undefined): string[] {
    const charset = /;\s*charset="?([^";]+)"?/i.exec(String(headers['content-type'] ?? ''))?.[1]?.toLowerCase();
    if (raw === undefined || (charset !== 'utf-8' && charset !== 'utf8')) return [];
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(raw);
      return [];
    } catch {
      return [`${where}: declared charset=utf-8, the body is not well-formed UTF-8`];
    }
  }

  /** Every header the response declares: sent when `required`, and valid against its schema where sent. */
  private checkDeclaredHeaders(where: string, response: Json, headers: Record<string, unknown>): string[] {
    const problems: string[] = [];
    for (const [name, declaredOrRef] of Object.entries<Json>(response.headers ?? {})) {
      const declared: Json = declaredOrRef.$ref ? this.resolve(declaredOrRef.$ref) : declaredOrRef;
      const value = headers[name.toLowerCase()];
      if (value === undefined) {
        if (declared.required === true) problems.push(`${where}: header ${name} is declared required but not sent`);
        continue;
      }
      const schema: Json | undefined = declared.schema;
      if (!schema) continue;
      const text = Array.isArray(value) ? value.join(', ') : String(value);
      const typed = schema.type === 'integer' || schema.type === 'number' ? (/^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text) : text;
      const validate = this.validator(schema);
      if (!validate(typed)) problems.push(`${where}: header ${name}: ${JSON.stringify(text.slice(0, 200))} ${(validate.errors ?? []).map((e) => e.message).join('; ')}`);
    }
    return problems;
  }

  private resolve(ref: string): Json {
    return ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<Json>((node, key) => node?.[key], this.document);
  }

  private checkBody(where: string, response: Json, headers: Record<string, unknown>, text: string, raw?: Buffer): string[] {
    const content: Json | undefined = response.content;
    if (!content) return text.length > 0 ? [`${where}: a body is sent but the document declares none`] : [];
    if (text.length === 0) return [];
    const type = String(headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const media = content[type] ?? content[`${type.split('/')[0]}/*`] ?? content['*/*'];
    if (!media) return [`${where}: served as ${type || 'nothing'}, the document declares ${Object.keys(content).join(', ')}`];
    if (!/[/+]json$/.test(type) || !media.schema) return this.checkFileBody(where, headers, text, raw);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return [`${where}: ${type} that is not JSON`];
    }
    const validate = this.validator(media.schema);
    if (validate(body)) return [];
    return (validate.errors ?? []).slice(0, 5).map((e) => `${where}: body${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
  }

  private validator(schema: Json): ValidateFunction {
    const key = JSON.stringify(schema);
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(rebase(schema));
      this.validators.set(key, validate);
    }
    return validate;
  }
}

/** The document's `#/components/…` references, pointed at the schema the components were added as. */
function rebase(node: unknown): any {
  if (Array.isArray(node)) return node.map(rebase);
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(
    Object.entries(node).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `openapi.json${v}` : k === 'example' ? v : rebase(v)]),
  );
}
