import type { FastifyReply, FastifyRequest } from 'fastify';
import { createServer, type RequestListener, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { msg, type Message } from '../i18n/message';
import { CONTENT_LANGUAGE, languageOf } from '../i18n/language';
import { PROBLEM_CONTENT_TYPE, ProblemCode, problemDocument } from '../problems/problem';

/**
 * The HTTP server's own errors — those that happen before any route runs — as problem documents like every other
 * error (API.md, Operations): broken framing, headers too large, a request that does not arrive in time, a URL that
 * does not decode or is too long, a missing Host, a known path asked with another method.
 */

export interface HttpLimits {
  /** Time to receive the request line and headers. */
  headersTimeoutMs: number;
  /** Longest silence while a request (its body included) is arriving. */
  bodyTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  idleTimeoutMs: number;
  /** Time to receive a whole request, body included (a 200 MiB import on a slow link needs minutes). */
  requestTimeoutMs: number;
  /** Longest path segment (a path parameter) the router accepts. */
  maxParamLength: number;
  /** Request line plus headers, bytes (Node's limit; beyond it: 431). */
  maxHeaderBytes: number;
}

/** A whole HTTP response carrying a problem document, for a socket no request object exists for. */
function rawProblem(code: ProblemCode, detail: Message): string {
  const doc = problemDocument('en', code, detail);
  const body = JSON.stringify(doc);
  return (
    `HTTP/1.1 ${doc.status} ${STATUS_CODES[doc.status]}\r\n` +
    `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Language: en\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

/** The response of the request the socket is serving, if one is in progress (Node keeps it on the socket). */
function currentResponse(socket: Duplex): ServerResponse | null {
  return (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage ?? null;
}

/** Whether a response to the socket's current request has begun (then nothing more may be written to it). */
function responseStarted(socket: Duplex): boolean {
  const response = currentResponse(socket);
  return response !== null && (response.headersSent || response.writableEnded);
}

/** Fastify's clientErrorHandler: errors Node's HTTP parser reports, answered as problems and then closed. */
export function clientErrorHandler(limits: HttpLimits) {
  return (err: Error & { code?: string }, socket: Duplex): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    if (socket.writable && !responseStarted(socket)) {
      const response =
        err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? rawProblem('REQUEST_TIMEOUT', msg('http.timeout'))
          : err.code === 'HPE_HEADER_OVERFLOW'
            ? rawProblem('HEADERS_TOO_LARGE', msg('http.headersTooLarge', { bytes: limits.maxHeaderBytes }))
            : rawProblem('MALFORMED_REQUEST', msg('http.malformed'));
      socket.end(response);
    }
    socket.destroy();
  };
}

/**
 * The Node HTTP server with the limits that keep slow clients from holding connections: headers, silence while a
 * request arrives, the whole request, and idle keep-alive connections each have their timeout, checked every
 * second (Node checks every 30 s by default, so a limit could be overrun by that much).
 */
export function httpServerFactory(limits: HttpLimits) {
  return (handler: RequestListener): Server => {
    const server = createServer(
      {
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: limits.requestTimeoutMs,
        connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
        maxHeaderSize: limits.maxHeaderBytes,
        // Checked by requireHost below instead, so that the answer is a problem document, not an empty 400.
        requireHostHeader: false,
      },
      handler,
    );
    server.keepAliveTimeout = limits.idleTimeoutMs;
    server.setTimeout(limits.bodyTimeoutMs, (socket: Socket) => {
      const response = currentResponse(socket);
      // The whole request arrived and the service is still working on it (a long import, a long poll): the
      // silence is ours, not the client's.
      if (response && (response as ServerResponse & { req?: { complete?: boolean } }).req?.complete) return;
      // Silence in the middle of a request (its body stopped arriving): say why before closing. Between requests
      // there is nobody to answer: the idle connection is just closed.
      if (socket.writable && response !== null && !responseStarted(socket)) socket.end(rawProblem('REQUEST_TIMEOUT', msg('http.timeout')));
      socket.destroy();
    });
    return server;
  };
}

function sendProblem(request: FastifyRequest, reply: FastifyReply, code: ProblemCode, detail: Message): FastifyReply {
  const language = languageOf(request.headers['accept-language']);
  const document = problemDocument(language, code, detail);
  return reply
    .status(document.status)
    .header('content-language', CONTENT_LANGUAGE[language])
    .type(PROBLEM_CONTENT_TYPE)
    .send({ ...document, instance: (request.raw.url ?? '').split('?')[0].slice(0, 200) });
}

/** Fastify's frameworkErrors: a URL whose percent-escapes do not decode, a path segment over maxParamLength. */
export function frameworkErrors(limits: HttpLimits) {
  return (error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply): void => {
    if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
      void sendProblem(request, reply, 'URI_TOO_LONG', msg('http.paramTooLong', { max: limits.maxParamLength }));
    } else {
      void sendProblem(request, reply, 'MALFORMED_REQUEST', msg('http.badUrl'));
    }
  };
}

/**
 * Requests refused before routing: an HTTP/1.1 request without Host (RFC 9112 §3.2), and a URL carrying a NUL
 * character, which no route takes and Postgres could not store (as a Fastify onRequest hook).
 */
export async function refuseBrokenRequests(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.raw.httpVersion === '1.1' && !request.headers.host) {
    await sendProblem(request, reply, 'MALFORMED_REQUEST', msg('http.noHost'));
    return;
  }
  const url = request.raw.url ?? '';
  if (/%00/i.test(url) || url.includes('\u0000')) await sendProblem(request, reply, 'VALIDATION_FAILED', msg('http.nulInUrl'));
}

/**
 * The methods each route path takes, gathered as routes are registered, so that a known path asked with another
 * method answers 405 with `Allow` (the router alone only knows "no route").
 */
export class RouteMethods {
  private readonly routes: Array<{ pattern: RegExp; method: string }> = [];

  add(method: string | string[], url: string): void {
    const pattern = new RegExp(
      `^${url
        .split('/')
        .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('/')}/?$`,
    );
    for (const m of Array.isArray(method) ? method : [method]) this.routes.push({ pattern, method: m.toUpperCase() });
  }

  /** The methods some route takes for this path (empty: no route has it). */
  allowedFor(path: string): string[] {
    return [...new Set(this.routes.filter((r) => r.pattern.test(path)).map((r) => r.method))].sort();
  }
}

/** 405 METHOD_NOT_ALLOWED for a path other methods take; null when no route has the path (a plain 404). */
export function methodNotAllowed(routes: RouteMethods, request: { method: string; url: string }): { detail: Message; allow: string } | null {
  const path = request.url.split('?')[0];
  const allowed = routes.allowedFor(path);
  if (allowed.length === 0 || allowed.includes(request.method)) return null;
  return { detail: msg('http.methodNotAllowed', { path: path.slice(0, 200), methods: allowed.join(', '), method: request.method }), allow: allowed.join(', ') };
}
