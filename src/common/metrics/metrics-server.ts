import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { msg } from '../i18n/message';
import { PROBLEM_CONTENT_TYPE, problemDocument } from '../problems/problem';
import { Metrics } from './metrics';

/** The Prometheus text exposition format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * `GET /metrics` on a listener of its own (METRICS_PORT, default 9464), never on the API port: a scrape reads the
 * database and Redis (ten times the cost of a health check) and is for the operator's Prometheus, not the public.
 * Every role runs one; the workers' queues and the API's requests are scraped alike.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsServer.name);
  private server?: Server;

  constructor(
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The port it listens on (the one chosen when METRICS_PORT is 0). */
  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async onApplicationBootstrap(): Promise<void> {
    const server = createServer((request, response) => {
      if (request.method === 'GET' && (request.url ?? '').split('?')[0] === '/metrics') {
        this.metrics.registry.metrics().then(
          (text) => response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(text),
          () => response.writeHead(503, { 'content-type': PROBLEM_CONTENT_TYPE }).end(JSON.stringify(problemDocument('en', 'SERVICE_UNAVAILABLE'))),
        );
        return;
      }
      response.writeHead(404, { 'content-type': PROBLEM_CONTENT_TYPE }).end(JSON.stringify(problemDocument('en', 'NOT_FOUND', msg('notFound.route'))));
    });
    server.headersTimeout = 10_000;
    server.requestTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.metricsPort, this.config.metricsHost, () => resolve());
    });
    this.server = server;
    this.logger.log(`metrics on ${this.config.metricsHost}:${this.port}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
