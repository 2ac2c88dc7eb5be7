import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupAddress } from 'node:dns';
import type { Socket } from 'node:net';
import { APP_CONFIG, AppConfig } from '../config/config';
import { ipLiteral, refusedAddress, type RefusalReason } from './webhook-target.rules';

/** What one attempt came to: the receiver's status (null when none came), how long it took, and why it failed. */
export interface SendResult {
  responseStatus: number | null;
  durationMs: number;
  error: string | null;
  /** The target address was refused (nothing was sent). */
  refused: boolean;
}

/** A target refused before any byte is sent: its host resolves to (or is) an address the rules refuse. */
export class TargetRefusedError extends Error {
  constructor(
    readonly address: string,
    readonly reason: RefusalReason,
  ) {
    super(`address ${address} is not allowed (${reason})`);
    this.name = 'TargetRefusedError';
  }
}

/** Response bodies are read and thrown away; a receiver that sends more than this loses the connection instead. */
const MAX_RESPONSE_BYTES = 64 * 1024;
const MAX_ERROR_LENGTH = 300;
/** A request still waiting for a connection after this many timeouts gives up. */
const QUEUED_TIMEOUTS = 6;
const USER_AGENT = 'labor-brands-webhooks/1';

/**
 * How a host name becomes addresses: the system resolver (`getaddrinfo`, as every Node client uses). A provider of
 * its own so that the one place that resolves can be observed, and swapped in tests for a resolver whose answer
 * changes.
 */
@Injectable()
export class WebhookResolver {
  async lookup(hostname: string): Promise<LookupAddress[]> {
    return dnsLookup(hostname, { all: true, verbatim: true });
  }
}

/**
 * Sends deliveries over HTTP(S) without ever reaching the service's own network (unless
 * WEBHOOK_ALLOW_PRIVATE_TARGETS): a host is resolved once, per connection, through WebhookResolver, every address
 * it resolves to is checked (refusedAddress), and the connection is made to a checked address itself (the
 * socket's `lookup` answers it), so a DNS answer that changes between the check and the connection cannot slip
 * through; the connected socket's remote address is checked once more. IP literals are checked as they are.
 *
 * Redirects are not followed (a 3xx is a failed attempt); an attempt has WEBHOOK_TIMEOUT_MS to answer in full.
 * Connections are kept alive per origin, each one made through the same checks.
 */
@Injectable()
export class WebhookSender implements OnModuleDestroy {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 16, scheduling: 'lifo' });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 16, scheduling: 'lifo' });

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly resolver: WebhookResolver,
  ) {}

  onModuleDestroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /**
   * Where a URL's host points, for the check when a subscription is made or changed: null when every address is
   * allowed (or private targets are allowed), else the first refused one; throws when the host does not resolve.
   */
  async refusedTarget(url: URL): Promise<TargetRefusedError | null> {
    if (this.config.webhookAllowPrivateTargets) return null;
    const literal = ipLiteral(url.hostname);
    const addresses = literal ? [literal] : (await this.resolver.lookup(url.hostname)).map((a) => a.address);
    if (addresses.length === 0) throw Object.assign(new Error(`${url.hostname} does not resolve`), { code: 'ENOTFOUND' });
    for (const address of addresses) {
      const reason = refusedAddress(address);
      if (reason) return new TargetRefusedError(address, reason);
    }
    return null;
  }

  /**
   * POSTs `body` with `headers`; never throws. The receiver's time (the timeout, `durationMs`) runs from when the
   * request has a connection: waiting for one of this process's connections to the origin is not the receiver's
   * doing. A request that gets none for long fails all the same.
   */
  send(target: string, headers: Record<string, string>, body: string): Promise<SendResult> {
    let started = process.hrtime.bigint();
    const elapsed = (): number => Math.round(Number(process.hrtime.bigint() - started) / 1e6);
    return new Promise<SendResult>((resolve) => {
      let settled = false;
      const timeout: { timer?: NodeJS.Timeout } = {};
      const finish = (responseStatus: number | null, error: string | null, refused = false): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timeout.timer);
        resolve({ responseStatus, durationMs: elapsed(), error: error && error.length > MAX_ERROR_LENGTH ? `${error.slice(0, MAX_ERROR_LENGTH - 1)}…` : error, refused });
      };
      let url: URL;
      try {
        url = new URL(target);
      } catch {
        return finish(null, 'the subscription URL is not valid');
      }
      const allowPrivate = this.config.webhookAllowPrivateTargets;
      const literal = ipLiteral(url.hostname);
      if (literal && !allowPrivate) {
        const reason = refusedAddress(literal);
        if (reason) return finish(null, new TargetRefusedError(literal, reason).message, true);
      }
      const secure = url.protocol === 'https:';
      const request = (secure ? https : http).request(url, {
        method: 'POST',
        agent: secure ? this.httpsAgent : this.httpAgent,
        headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, 'content-length': String(Buffer.byteLength(body)), ...headers },
        lookup: this.checkedLookup(allowPrivate) as never,
      });
      const timeoutMs = this.config.webhookTimeoutMs;
      const expire = (ms: number, why: string): void => {
        clearTimeout(timeout.timer);
        timeout.timer = setTimeout(() => request.destroy(Object.assign(new Error(why), { code: 'TIMEOUT' })), ms);
      };
      expire(timeoutMs * QUEUED_TIMEOUTS, `no connection to the receiver within ${timeoutMs * QUEUED_TIMEOUTS} ms`);
      request.on('socket', (socket: Socket) => {
        started = process.hrtime.bigint();
        expire(timeoutMs, `no answer within ${timeoutMs} ms`);
        if (allowPrivate) return;
        // Belt and braces: whatever path led here, the address actually connected to must be an allowed one.
        const verify = (): void => {
          const reason = socket.remoteAddress ? refusedAddress(socket.remoteAddress) : 'not an IP address';
          if (reason) socket.destroy(new TargetRefusedError(socket.remoteAddress ?? '?', reason));
        };
        if (socket.connecting) socket.once('connect', verify);
      });
      request.on('response', (response) => {
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_RESPONSE_BYTES) response.destroy();
        });
        const status = response.statusCode ?? null;
        const outcome = (): void => finish(status, status !== null && status >= 200 && status < 300 ? null : describeStatus(status));
        response.on('end', outcome);
        response.on('close', outcome);
        response.on('error', outcome);
      });
      request.on('error', (err) => finish(null, describeError(err), err instanceof TargetRefusedError));
      request.end(body);
    });
  }

  /**
   * The socket's `lookup`: resolves through WebhookResolver and refuses the connection when any address is not
   * allowed, so it can only connect to checked addresses. Node asks for one address or (happy eyeballs) all.
   */
  private checkedLookup(allowPrivate: boolean) {
    return (hostname: string, options: { family?: number; all?: boolean }, callback: (err: Error | null, address?: string | LookupAddress[], family?: number) => void): void => {
      this.resolver.lookup(hostname).then(
        (found) => {
          if (!allowPrivate) {
            for (const a of found) {
              const reason = refusedAddress(a.address);
              if (reason) return callback(new TargetRefusedError(a.address, reason));
            }
          }
          const wanted = options.family === 4 || options.family === 6 ? found.filter((a) => a.family === options.family) : found;
          if (wanted.length === 0) return callback(Object.assign(new Error(`${hostname} does not resolve`), { code: 'ENOTFOUND' }));
          if (options.all) return callback(null, wanted);
          callback(null, wanted[0].address, wanted[0].family);
        },
        (err: Error) => callback(err),
      );
    };
  }
}

function describeStatus(status: number | null): string {
  if (status === null) return 'no status';
  if (status >= 300 && status < 400) return `HTTP ${status} (redirects are not followed)`;
  return `HTTP ${status}`;
}

function describeError(err: Error & { code?: string }): string {
  if (err instanceof TargetRefusedError) return err.message;
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host not found (${err.code})`;
    case 'ECONNRESET':
      return 'connection reset';
    case 'TIMEOUT':
      return err.message;
    default:
      return err.code ? `${err.code}: ${err.message}` : err.message;
  }
}
