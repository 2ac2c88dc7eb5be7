import { CallHandler, ExecutionContext, HttpStatus, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { from, Observable, switchMap, catchError, throwError, mergeMap } from 'rxjs';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { PiiCipher } from '../crypto/pii-cipher';
import { PII_CIPHER } from '../crypto/pii.provider';
import type { AuthenticatedRequest } from '../auth/decorators';
import { languageOf } from '../i18n/language';
import { msg } from '../i18n/message';
import { ProblemError } from '../problems/problem';
import { documentForRequest, toProblem } from '../problems/to-problem';
import { IdempotencyRepository, STORED_RESPONSE_CONTEXT } from './idempotency.repository';
import { StoredResponse } from './stored-response';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
/**
 * A record still `in_progress` this long after it was taken belongs to a process that died mid-request (no route
 * runs this long; a 200 MiB import takes a few minutes): the key is free again instead of answering 409 for a day.
 */
const ABANDONED_AFTER_MINUTES = 15;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The ids of the objects a response shows: its own `id`, its nested objects' and its `items`'. */
export function resourceIds(body: unknown): string[] {
  const ids = new Set<string>();
  const visit = (value: unknown, depth: number): void => {
    if (!value || typeof value !== 'object' || depth > 2) return;
    if (Array.isArray(value)) return value.forEach((v) => visit(v, depth + 1));
    for (const [k, v] of Object.entries(value)) {
      if ((k === 'id' || k.endsWith('Id')) && typeof v === 'string' && UUID.test(v)) ids.add(v.toLowerCase());
      else if (typeof v === 'object') visit(v, depth + 1);
    }
  };
  visit(body, 0);
  return [...ids];
}
const REPLAYED_HEADERS = ['location'];

function isStreamedBody(body: unknown): body is Readable {
  return typeof (body as { pipe?: unknown } | undefined)?.pipe === 'function';
}

/** Method, path and media type: what a streamed request says before its body is read. */
function provisionalHash(request: AuthenticatedRequest): Buffer {
  return createHash('sha256')
    .update(`${request.method} ${request.url.split('?')[0]}\n${String(request.headers['content-type'])}\n(streamed, not yet read)`)
    .digest();
}

interface StreamedBodyHash {
  /** The hash of the request with its whole body; undefined until the body has been read to its end. */
  digest(): Buffer | undefined;
  /** Reads the body to its end (nobody else will) and answers the hash; past `limit` bytes, 413. */
  readThrough(limit: number): Promise<Buffer>;
}

/**
 * Puts a hashing pass-through in place of the request's streamed body, so that the route reads the body once and
 * the hash of its content comes with it: sha-256 of method, path, media type and every byte.
 */
function hashStreamedBody(request: AuthenticatedRequest): StreamedBodyHash {
  const source = request.body as Readable;
  const hash = createHash('sha256').update(`${request.method} ${request.url.split('?')[0]}\n${String(request.headers['content-type'])}\n`);
  let digest: Buffer | undefined;
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      digest = hash.digest();
      done();
    },
  });
  source.on('error', (err) => hashing.destroy(err));
  (request as { body: unknown }).body = source.pipe(hashing);
  return {
    digest: () => digest,
    async readThrough(limit: number): Promise<Buffer> {
      let seen = 0;
      for await (const chunk of hashing) {
        seen += (chunk as Buffer).length;
        if (seen > limit) throw new ProblemError('PAYLOAD_TOO_LARGE', msg('import.tooLarge', { bytes: limit }));
      }
      if (!digest) throw new Error('the body ended without its hash');
      return digest;
    },
  };
}

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` count as the same request. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * `Idempotency-Key` for every POST: the first request with a key does the work and its response is stored;
 * a retry with the same key and body gets that response again (`Idempotent-Replayed: true`); the same key with
 * another body is 422, and while the first is still running, 409. Server failures (5xx) are not stored, so a
 * retry after one does the work.
 *
 * Stored bodies are encrypted with the PII key (a response may show a trainee's name or phone) and indexed by
 * the ids they show, so a trainee's erasure deletes them too.
 *
 * Routes that stream their body (imports) hash the body as the route reads it (streamedBodyHash): two files of the
 * same size are different requests. The record is taken before the body is read, under a provisional hash, and
 * completed with the content's; a retry of a completed one reads its own body through before it is answered, a
 * replay or 422. A 4xx answered before the body was read to its end is forgotten, not stored: nothing was written,
 * and its content is not known, so a retry simply runs again.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly records: IdempotencyRepository,
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PII_CIPHER) private readonly cipher: PiiCipher,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers['idempotency-key'];
    if (request.method !== 'POST' || header === undefined || !request.actor) return next.handle();
    const key = Array.isArray(header) ? header.join(',') : header;
    if (!KEY_PATTERN.test(key)) {
      throw new ProblemError('VALIDATION_FAILED', msg('idempotency.invalidKey'), [
        { field: 'Idempotency-Key', code: 'INVALID_HEADER', message: msg('field.header', { what: msg('idempotency.keyWhat') }) },
      ]);
    }
    const apiKeyId = request.actor.apiKeyId;
    const streamed = isStreamedBody(request.body);
    const bodyHash = streamed ? hashStreamedBody(request) : undefined;
    const requestHash = bodyHash ? provisionalHash(request) : this.hashRequest(request);
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const successStatus = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ?? HttpStatus.CREATED;

    const handled = (): Observable<unknown> =>
      next.handle().pipe(
        mergeMap(async (body: unknown) => {
          const headers: Record<string, string> = {};
          for (const name of REPLAYED_HEADERS) {
            const value = reply.getHeader(name);
            if (typeof value === 'string') headers[name] = value;
          }
          await this.complete(apiKeyId, key, successStatus, body ?? null, headers, bodyHash?.digest());
          return body;
        }),
        catchError((err: unknown) => {
          const { document, headers } = toProblem(err, languageOf(request.headers['accept-language']));
          // A 4xx is stored exactly as the problem filter sends it (instance included), so its replay is the same body.
          const unread = bodyHash !== undefined && bodyHash.digest() === undefined;
          const settle =
            document.status >= 500 || unread
              ? this.forget(apiKeyId, key)
              : this.complete(
                  apiKeyId,
                  key,
                  document.status,
                  documentForRequest(document, request.url),
                  { ...headers, 'content-type': 'application/problem+json; charset=utf-8' },
                  bodyHash?.digest(),
                );
          return from(settle.catch(() => undefined)).pipe(switchMap(() => throwError(() => err)));
        }),
      );
    // Errors of begin() (reused key, in progress, replay) must not settle the record: it belongs to the first request.
    return from(this.begin(apiKeyId, key, requestHash, bodyHash)).pipe(switchMap(handled));
  }

  private hashRequest(request: AuthenticatedRequest): Buffer {
    const path = request.url.split('?')[0];
    const material = request.body === undefined ? 'undefined' : canonical(request.body);
    return createHash('sha256').update(`${request.method} ${path}\n${material}`).digest();
  }

  private async begin(apiKeyId: string, key: string, requestHash: Buffer, bodyHash?: StreamedBodyHash): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.records.take(apiKeyId, key, requestHash, this.config.idempotencyTtlHours, ABANDONED_AFTER_MINUTES)) return;
      const existing = await this.records.find(apiKeyId, key);
      if (!existing) continue; // forgotten after a server error meanwhile: try to take it again
      // A streamed body is compared by its content, once read through; a first request still running has only its
      // provisional hash, and answers 409 below whatever the body.
      if (bodyHash && existing.state === 'completed') requestHash = await bodyHash.readThrough(this.config.importBodyLimitBytes);
      if (!existing.requestHash.equals(requestHash)) {
        throw new ProblemError('IDEMPOTENCY_KEY_REUSED', msg('idempotency.reused'));
      }
      if (existing.state !== 'completed') {
        throw new ProblemError('IDEMPOTENCY_IN_PROGRESS', msg('idempotency.inProgress'), undefined, {
          'retry-after': '1',
        });
      }
      const bodyText = existing.responseCipher ? this.cipher.decrypt(existing.responseCipher, STORED_RESPONSE_CONTEXT) : null;
      throw new StoredResponse(existing.responseStatus, bodyText, { ...(existing.responseHeaders ?? {}), 'idempotent-replayed': 'true' });
    }
    throw new ProblemError('IDEMPOTENCY_IN_PROGRESS', msg('idempotency.contended'), undefined, { 'retry-after': '1' });
  }

  private async complete(apiKeyId: string, key: string, status: number, body: unknown, headers: Record<string, string>, requestHash?: Buffer): Promise<void> {
    const text = body === null || body === undefined ? null : JSON.stringify(body);
    await this.records.complete(apiKeyId, key, {
      status,
      cipher: text === null ? null : this.cipher.encrypt(text, STORED_RESPONSE_CONTEXT),
      resourceIds: resourceIds(body),
      headers,
      requestHash,
    });
  }

  private async forget(apiKeyId: string, key: string): Promise<void> {
    await this.records.forget(apiKeyId, key);
  }
}
