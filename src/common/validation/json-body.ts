import type { FastifyInstance } from 'fastify';
import { ProblemError } from '../problems/problem';
import { msg } from '../i18n/message';

/** Finds the first string containing a NUL character; Postgres cannot store one in text and the contract refuses it. */
function findNul(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path || '(body)' : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findNul(value[i], `${path}[${i}]`);
      if (hit) return hit;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('\u0000')) return path ? `${path}.${k}` : k;
      const hit = findNul(v, path ? `${path}.${k}` : k);
      if (hit) return hit;
    }
  }
  return null;
}

/**
 * Replaces Fastify's JSON parser: same safe parsing (no prototype poisoning), one stable problem code for broken
 * JSON, and NUL characters refused wherever they occur.
 */
export function registerJsonParser(fastify: FastifyInstance, bodyLimit: number): void {
  // Fastify also parses text/plain by default; a JSON route must answer such a body 415, not try to validate a
  // string. Routes that take other media types (imports) register their own parsers.
  fastify.removeContentTypeParser(['application/json', 'text/plain']);
  fastify.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.length === 0) return done(new ProblemError('MALFORMED_JSON', msg('body.empty')), undefined);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text, (key, value: unknown) => {
        if (key === '__proto__' || key === 'constructor') throw new SyntaxError('forbidden key');
        return value;
      });
    } catch {
      return done(new ProblemError('MALFORMED_JSON', msg('body.malformed')), undefined);
    }
    const nulAt = findNul(parsed, '');
    if (nulAt) {
      return done(
        new ProblemError('VALIDATION_FAILED', msg('body.nul', { field: nulAt }), [{ field: nulAt, code: 'NUL_CHARACTER', message: msg('field.nul') }]),
        undefined,
      );
    }
    done(null, parsed);
  });
}

/**
 * Bodies of `mediaTypes` are handed to the routes `isStreamedRoute` accepts as the raw stream (never buffered:
 * files reach 200 MiB); every other route answers them 415. Such a route counts bytes itself.
 */
export function registerStreamedBodyParser(fastify: FastifyInstance, mediaTypes: readonly string[], isStreamedRoute: (routeUrl: string) => boolean): void {
  fastify.addContentTypeParser([...mediaTypes], (request, payload, done) => {
    if (!isStreamedRoute(request.routeOptions.url ?? '')) {
      return done(new ProblemError('UNSUPPORTED_MEDIA_TYPE', msg('body.jsonOnly')), undefined);
    }
    done(null, payload);
  });
}
