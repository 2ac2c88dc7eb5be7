import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app.factory';
import { MetricsServer } from '../../src/common/metrics/metrics-server';
import { REDIS } from '../../src/common/redis/redis';
import { AppConfig, loadConfig } from '../../src/config/config';
import { adminDatabaseUrl, testRedisUrl } from './database-urls';
import { ResponseValidator } from './openapi-responses';

export interface Response<T = any> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  text: string;
  /** The body's bytes as sent (a file: a CSV's BOM, an .xlsx). */
  raw: Buffer;
}

export interface RequestOptions {
  key?: string | null;
  body?: unknown;
  /** Sent as is, with the given content type (for malformed JSON, CSV, …). */
  raw?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  dataSource: DataSource;
  platformKey: string;
  databaseUrl: string;
  request<T = any>(method: string, url: string, options?: RequestOptions): Promise<Response<T>>;
  /** A Prometheus scrape of the app's own metrics listener (never the API port). */
  metrics(): Promise<{ status: number; contentType: string | null; text: string }>;
  close(): Promise<void>;
}

const ADMIN_URL = (): string => adminDatabaseUrl();

/** A fresh database cloned from the migrated template; every test file gets its own. */
export async function createTestDatabase(): Promise<string> {
  const template = process.env.LB_TEST_TEMPLATE;
  if (!template) throw new Error('LB_TEST_TEMPLATE is not set: run the tests through jest (global setup)');
  const name = `lb_t_${randomBytes(6).toString('hex')}`;
  const client = new Client({ connectionString: ADMIN_URL() });
  await client.connect();
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
        break;
      } catch (err) {
        // Two files cloning at the same instant: "source database is being accessed by other users".
        if ((err as { code?: string }).code !== '55006' || attempt > 20) throw err;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
  } finally {
    await client.end();
  }
  const url = new URL(ADMIN_URL());
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropTestDatabase(databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const client = new Client({ connectionString: ADMIN_URL() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await client.end();
}

export interface StartOptions {
  /**
   * Run on this (already migrated) database instead of a fresh clone: a second instance of the same deployment.
   * The database then belongs to whoever created it; `close()` leaves it in place, so close such apps first.
   */
  databaseUrl?: string;
  /**
   * Also run the worker role in this app (outbox relay, domain-events worker, maintenance), like `ROLE=both`.
   * Several such apps on one database and `REDIS_PREFIX` are several worker processes of one deployment.
   */
  worker?: boolean;
  /** Runs before the app's lifecycle hooks (see CreateAppOptions.beforeInit), e.g. to register event handlers. */
  beforeInit?: (app: NestFastifyApplication) => void | Promise<void>;
}

/** Resolves once the client is ready or has failed to connect (or after `timeoutMs`); never rejects. */
async function redisSettled(redis: Redis, timeoutMs = 3000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve) => {
    const settle = (): void => {
      clearTimeout(timer);
      redis.off('ready', settle);
      redis.off('error', settle);
      resolve();
    };
    const timer = setTimeout(settle, timeoutMs);
    redis.once('ready', settle);
    redis.once('error', settle);
  });
}

/** The document each app serves, read once per test file (every app of a build serves the same one). */
let validator: Promise<ResponseValidator> | undefined;
function responseValidator(app: NestFastifyApplication): Promise<ResponseValidator> {
  validator ??= app.inject({ method: 'GET', url: '/docs-json' }).then((res) => new ResponseValidator(JSON.parse(res.body)));
  return validator;
}

/**
 * A migrated database of its own, a Redis prefix of its own and a platform key (`BOOTSTRAP_ADMIN_KEY`, random
 * unless `env` sets one); `env` overrides any environment variable the app reads.
 */
export async function startTestApp(env: Record<string, string> = {}, start: StartOptions = {}): Promise<TestApp> {
  const ownsDatabase = start.databaseUrl === undefined;
  const databaseUrl = start.databaseUrl ?? (await createTestDatabase());
  const platformKey = env.BOOTSTRAP_ADMIN_KEY ?? `lbk_test_${randomBytes(24).toString('base64url')}`;
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    REDIS_URL: testRedisUrl(),
    REDIS_PREFIX: `lbt_${randomBytes(5).toString('hex')}`,
    BOOTSTRAP_ADMIN_KEY: platformKey,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_POOL_SIZE: '10',
    // Each app scrapes on a free port of its own (several run at once).
    METRICS_PORT: '0',
    METRICS_HOST: '127.0.0.1',
    // Every request of a test comes from 127.0.0.1: the per-address limits are tested where they are the point.
    AUTH_FAILURE_RATE_LIMIT_MAX: '0',
    ...env,
  });
  let app: NestFastifyApplication;
  try {
    ({ app } = await createApp(config, { api: true, worker: start.worker ?? false }, { beforeInit: start.beforeInit }));
  } catch (err) {
    if (ownsDatabase) await dropTestDatabase(databaseUrl);
    throw err;
  }
  // The app does not wait for Redis at start-up (it degrades without it: readiness says so, the rate limit fails
  // open). Tests expect Redis connected when it is up, so wait for the connection to settle either way.
  await redisSettled(app.get<Redis>(REDIS));
  const dataSource = app.get(DataSource);

  const request = async <T = any>(method: string, url: string, options: RequestOptions = {}): Promise<Response<T>> => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    const key = options.key === undefined ? platformKey : options.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    let payload: string | Buffer | undefined;
    if (options.raw !== undefined) {
      payload = options.raw;
      if (options.contentType) headers['content-type'] = options.contentType;
    } else if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    const res = await app.inject({ method: method as 'GET', url, headers, payload });
    const wrong = (await responseValidator(app)).check(method, url, res.statusCode, res.headers, res.body, res.rawPayload);
    if (wrong.length > 0) throw new Error(`the answer contradicts the served OpenAPI document:\n  ${wrong.join('\n  ')}`);
    let body: unknown = undefined;
    const type = String(res.headers['content-type'] ?? '');
    if (res.body && type.includes('json')) body = JSON.parse(res.body);
    return { status: res.statusCode, headers: res.headers as Response['headers'], body: body as T, text: res.body, raw: res.rawPayload };
  };

  return {
    app,
    config,
    dataSource,
    platformKey,
    databaseUrl,
    request,
    async metrics() {
      const res = await fetch(`http://127.0.0.1:${app.get(MetricsServer).port}/metrics`);
      return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
    },
    async close() {
      await app.close();
      if (ownsDatabase) await dropTestDatabase(databaseUrl);
    },
  };
}
