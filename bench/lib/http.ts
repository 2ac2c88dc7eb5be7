/**
 * A tiny HTTP/1.1 client on node:http with a keep-alive pool, and a closed-loop load generator: `concurrency`
 * workers each send their next request as soon as the previous one answered. No dependency beyond Node.
 */
import { Agent, request as httpRequest } from 'node:http';
import type { Readable } from 'node:stream';
import { nowMs } from './util';

export interface HttpResponse<T = unknown> {
  status: number;
  body: T;
  text: string;
}

export class HttpClient {
  private readonly agent: Agent;
  private readonly url: URL;

  constructor(baseUrl: string, maxSockets: number) {
    this.url = new URL(baseUrl);
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  request<T = unknown>(method: string, path: string, options: { key?: string; json?: unknown; body?: Buffer | Readable; contentType?: string; contentLength?: number } = {}): Promise<HttpResponse<T>> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = {};
      if (options.key) headers.authorization = `Bearer ${options.key}`;
      let payload: Buffer | undefined;
      if (options.json !== undefined) {
        payload = Buffer.from(JSON.stringify(options.json));
        headers['content-type'] = 'application/json';
      } else if (Buffer.isBuffer(options.body)) {
        payload = options.body;
        headers['content-type'] = options.contentType ?? 'application/octet-stream';
      } else if (options.body) {
        headers['content-type'] = options.contentType ?? 'application/octet-stream';
        if (options.contentLength !== undefined) headers['content-length'] = options.contentLength;
      }
      if (payload) headers['content-length'] = payload.length;
      const req = httpRequest({ host: this.url.hostname, port: this.url.port, method, path, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          if ((res.headers['content-type'] ?? '').includes('json') && text) {
            try {
              body = JSON.parse(text);
            } catch {
              /* leave as text */
            }
          }
          resolve({ status: res.statusCode ?? 0, body: body as T, text });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      if (payload) req.end(payload);
      else if (options.body && !Buffer.isBuffer(options.body)) options.body.pipe(req);
      else req.end();
    });
  }

  /** The request must answer `expected`; answers the parsed body. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are whatever the server sent
  async expect<T = any>(expected: number, method: string, path: string, options: Parameters<HttpClient['request']>[2] = {}): Promise<T> {
    const res = await this.request<T>(method, path, options);
    if (res.status !== expected) throw new Error(`${method} ${path}: expected ${expected}, got ${res.status}: ${res.text.slice(0, 500)}`);
    return res.body;
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface LoadResult {
  /** Wall time from the first request sent to the last answer, ms. */
  elapsedMs: number;
  latenciesMs: number[];
  /** Time (ms from the start) at which each successful request was answered, in answer order. */
  successTimesMs: number[];
  statuses: Record<number, number>;
  errors: number;
  firstFailure?: string;
}

/**
 * Sends one request per item (until `maxDurationMs` has passed) with `concurrency` requests in flight, each answered before that worker sends its
 * next (closed loop). `started` is the shared time origin (nowMs()).
 */
export async function runClosedLoop<I>(
  client: HttpClient,
  items: readonly I[],
  concurrency: number,
  toRequest: (item: I) => { method: string; path: string; key: string; json?: unknown },
  okStatus = 200,
  /** No new request is sent after this many ms (the items left are not used). */
  maxDurationMs = Infinity,
  /** Called with each item answered `okStatus` and when (ms from `started`). */
  onSuccess?: (item: I, atMs: number) => void,
): Promise<LoadResult & { started: number }> {
  const latenciesMs: number[] = [];
  const successTimesMs: number[] = [];
  const statuses: Record<number, number> = {};
  let errors = 0;
  let firstFailure: string | undefined;
  let next = 0;
  const started = nowMs();
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length || nowMs() - started > maxDurationMs) return;
      const r = toRequest(items[i]);
      const t0 = nowMs();
      try {
        const res = await client.request(r.method, r.path, { key: r.key, json: r.json });
        const t1 = nowMs();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        latenciesMs.push(t1 - t0);
        if (res.status === okStatus) {
          successTimesMs.push(t1 - started);
          onSuccess?.(items[i], t1 - started);
        }
        else firstFailure ??= `${res.status} ${res.text.slice(0, 300)}`;
      } catch (err) {
        errors++;
        firstFailure ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { started, elapsedMs: nowMs() - started, latenciesMs, successTimesMs, statuses, errors, firstFailure };
}
