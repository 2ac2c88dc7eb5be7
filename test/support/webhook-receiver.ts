import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request a receiver got: its headers and its raw body, exactly as sent. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

/** How the receiver answers a request: a status (and optional headers), after an optional delay. */
export type Answer = { status: number; headers?: Record<string, string>; delayMs?: number };

/**
 * A webhook receiver for tests: an HTTP server on 127.0.0.1 that records every request with its raw body and
 * answers as `answer` says (200 by default). It can be stopped and started again on the same port (a receiver
 * that is down, then back).
 */
export class WebhookReceiver {
  readonly received: ReceivedRequest[] = [];
  answer: (request: ReceivedRequest) => Answer = () => ({ status: 200 });
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  private constructor(public port: number) {}

  static async start(port = 0): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(port);
    await receiver.listen();
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  get running(): boolean {
    return this.server !== null;
  }

  async listen(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 30_000;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and drops every connection (kept-alive ones too): the receiver is down. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const request: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '', headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
    this.received.push(request);
    const answer = this.answer(request);
    if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
    if (res.destroyed) return;
    res.writeHead(answer.status, { 'content-type': 'text/plain', ...(answer.headers ?? {}) });
    res.end('ok');
  }

  /** The requests carrying this `webhook-id`. */
  withId(id: string): ReceivedRequest[] {
    return this.received.filter((r) => r.headers['webhook-id'] === id);
  }

  /** Parsed bodies of every request, in arrival order. */
  bodies(): Array<{ type: string; timestamp: string; data: Record<string, any> }> {
    return this.received.map((r) => JSON.parse(r.body));
  }

  async close(): Promise<void> {
    await this.stop();
  }
}

/** Verifies a request as a receiver would, with the Standard Webhooks library; throws when it does not verify. */
export function verify(secret: string, request: ReceivedRequest): { type: string; timestamp: string; data: Record<string, any> } {
  return new Webhook(secret).verify(request.body, request.headers) as { type: string; timestamp: string; data: Record<string, any> };
}
