import type { FastifyInstance } from 'fastify';
import { ProblemError } from '../problems/problem';
import { msg } from '../i18n/message';

/** What makes a string of a body unacceptable: a NUL (Postgres cannot store it) or a lone surrogate (not Unicode). */
type StringFault = 'nul' | 'surrogate';

function faultOf(s: string): StringFault | null {
  if (s.includes('\u0000')) return 'nul';
  return s.isWellFormed() ? null : 'surrogate';
}

/** The first string (value or key) of a parsed body with a fault, and where it is. */
function findFault(value: unknown, path: string): { at: string; fault: StringFault } | null {
  if (typeof value === 'string') {
    const fault = faultOf(value);
    return fault ? { at: path || '(body)', fault } : null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findFault(value[i], `${path}[${i}]`);
      if (hit) return hit;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const keyFault = faultOf(k);
      // A broken key is named by its position only: it cannot be shown as it is.
      if (keyFault) return { at: path || '(body)', fault: keyFault };
      const hit = findFault(v, path ? `${path}.${k}` : k);
      if (hit) return hit;
    }
  }
  return null;
}

/** The `charset` parameter of a Content-Type, lower-cased (undefined when there is none). */
function charsetOf(contentType: string | undefined): string | undefined {
  const param = (contentType ?? '').split(';').slice(1).map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('charset='));
  return param?.slice('charset='.length).replace(/"/g, '');
}

/**
 * Replaces Fastify's JSON parser: same safe parsing (no prototype poisoning), one stable problem code for broken
 * JSON, bodies that are not UTF-8 refused as such (415 for another declared charset, 400 MALFORMED_JSON for
 * bytes that are not UTF-8), and NUL characters and lone surrogates refused wherever they occur (a string is
 * stored as sent or not at all).
 */
export function registerJsonParser(fastify: FastifyInstance, bodyLimit: number): void {
  // Fastify also parses text/plain by default; a JSON route must answer such a body 415, not try to validate a
  // string. Routes that take other media types (imports) register their own parsers.
  fastify.removeContentTypeParser(['application/json', 'text/plain']);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    const charset = charsetOf(request.headers['content-type']);
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      return done(new ProblemError('UNSUPPORTED_MEDIA_TYPE', msg('body.charset', { charset: charset.slice(0, 40) })), undefined);
    }
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      return done(new ProblemError('MALFORMED_JSON', msg('body.notUtf8')), undefined);
    }
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
    const fault = findFault(parsed, '');
    if (fault?.fault === 'nul') {
      return done(new ProblemError('VALIDATION_FAILED', msg('body.nul', { field: fault.at }), [{ field: fault.at, code: 'NUL_CHARACTER', message: msg('field.nul') }]), undefined);
    }
    if (fault) {
      return done(
        new ProblemError('VALIDATION_FAILED', msg('body.loneSurrogate', { field: fault.at }), [{ field: fault.at, code: 'LONE_SURROGATE', message: msg('field.loneSurrogate') }]),
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
