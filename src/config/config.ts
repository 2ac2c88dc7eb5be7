/**
 * The service's whole configuration, read once from the environment and validated before anything starts,
 * so a bad deployment fails at boot with every problem named instead of at the first request.
 */
export type Role = 'api' | 'worker' | 'both';

export interface RedisNode {
  host: string;
  port: number;
}

/**
 * Where Redis is: one server (REDIS_URL), a Sentinel group that names the current master (REDIS_SENTINELS and
 * REDIS_SENTINEL_NAME), or a Cluster (REDIS_CLUSTER_NODES, which wins over the others). REDIS_PASSWORD is the data
 * nodes' password in the two latter modes (REDIS_URL carries its own); REDIS_SENTINEL_PASSWORD the sentinels'.
 */
export type RedisTopology =
  | { mode: 'single'; url: string }
  | { mode: 'sentinel'; sentinels: RedisNode[]; name: string; password?: string; sentinelPassword?: string; tls: boolean }
  | { mode: 'cluster'; nodes: RedisNode[]; password?: string; tls: boolean };

export interface AppConfig {
  role: Role;
  port: number;
  host: string;
  /** Every short transaction; may be PgBouncer in transaction mode. */
  databaseUrl: string;
  /**
   * Postgres itself, for what needs a session of its own: migrations under their advisory lock, the relay's
   * LISTEN, long imports. DATABASE_DIRECT_URL, else DATABASE_URL.
   */
  databaseDirectUrl: string;
  /** DATABASE_DIRECT_URL differs from DATABASE_URL: the latter is taken to be a pooler (PgBouncer). */
  databasePooled: boolean;
  /** Connections of the main pool of one process (to PgBouncer when pooled). */
  databasePoolSize: number;
  /** Connections of one process's session pool on DATABASE_DIRECT_URL (long imports), when pooled. */
  databaseDirectPoolSize: number;
  /**
   * The connection budget checked at start-up (docs/operations.md): how many processes of this deployment
   * (API and worker) run against the database at once, and, when pooled, how many server connections PgBouncer
   * opens at most. DATABASE_BUDGET_CHECK=false skips the check.
   */
  databaseExpectedProcesses: number;
  databasePoolerServerConnections: number;
  databaseBudgetCheck: boolean;
  /** REDIS_URL as given (the single server's address; unused in the Sentinel and Cluster modes). */
  redisUrl: string;
  redis: RedisTopology;
  /**
   * Prefix of every Redis key; lets several deployments (or test files) share one Redis. Written without its
   * braces when REDIS_PREFIX was given as a hash tag (`{lb}`).
   */
  redisPrefix: string;
  /**
   * Prefix of the BullMQ queues: `<prefix>:bull`, with the prefix as a hash tag (`{lb}:bull`) when REDIS_PREFIX
   * was given as one or Redis is a Cluster, so that every key of a queue hashes to one slot, as BullMQ's
   * multi-key scripts need. A single server or Sentinel group keeps the untagged keys of earlier versions.
   */
  queuePrefix: string;
  bootstrapAdminKey: string | null;
  logLevel: string;
  /** Requests allowed per API key per window; 0 disables the limit. */
  rateLimitMax: number;
  rateLimitWindowMs: number;
  /**
   * How often each process sends its locally counted per-key hits to Redis (one pipeline for all keys): the lag
   * of one instance's view of the others' requests. The limit's overshoot is bounded by the per-process share,
   * not by this interval (RateLimiter).
   */
  rateLimitSyncMs: number;
  /**
   * Requests allowed per client address per minute on the routes anyone may call without a key (the public JSON
   * routes and the website); 0 disables the limit.
   */
  publicRateLimitMax: number;
  /** JSON bodies above this many bytes answer 413. */
  bodyLimitBytes: number;
  importBodyLimitBytes: number;
  /** How long a looked-up API key is trusted before it is read again: the bound on revocation delay. */
  apiKeyCacheTtlMs: number;
  idempotencyTtlHours: number;
  runMigrations: boolean;
  /** Outbox relay (worker role): the safety-net poll between LISTEN wake-ups, and rows claimed per batch. */
  outboxPollMs: number;
  outboxBatchSize: number;
  /** Domain-event jobs processed at once by one worker process. */
  eventWorkerConcurrency: number;
  /**
   * A worker holds a lock on each job in hand for `eventLockDurationMs` (renewed at half that); the stalled
   * checker runs every `eventStalledIntervalMs` and re-queues jobs whose lock expired (their worker died), so a
   * killed worker's jobs run again after at most about the sum of the two.
   */
  eventLockDurationMs: number;
  eventStalledIntervalMs: number;
  /** Tries per domain-event job before it becomes a dead letter (failed, kept 7 days); exponential backoff. */
  eventJobAttempts: number;
  /** How long a brand's recomputation waits after its first event, gathering a burst into one computation. */
  statisticsDebounceMs: number;
  /** NODE_ENV=production: development keys are refused and every secret must come from the environment. */
  production: boolean;
  /** `kid:base64key,…` (first encrypts); parsed and checked by the PII keyring at start-up. */
  piiEncryptionKeys: string | undefined;
  piiHmacKey: string | undefined;
  /** Ed25519 JWK(s) or a PKCS#8 PEM; parsed by the credential keyring at start-up. */
  credentialSigningKey: string | undefined;
  /** Public base URL of this service, written into credentials as their verification address. */
  publicBaseUrl: string;
  /** Slow clients are cut off: headers, silence while a request arrives, a whole request, idle keep-alive. */
  httpHeadersTimeoutMs: number;
  httpBodyTimeoutMs: number;
  httpRequestTimeoutMs: number;
  httpIdleTimeoutMs: number;
  /** Trust X-Forwarded-For from this many proxies in front (0: the peer address is the client's). */
  trustProxyHops: number;
  /** Failed key checks (unknown, malformed, revoked keys) per client address a minute; 0 disables. */
  authFailureRateLimitMax: number;
  /** The Prometheus scrape listener (never on the API port); 0: a free port (tests). */
  metricsPort: number;
  metricsHost: string;
  /**
   * How long a signed revocation status list is served before it is read again (a revocation through the same
   * process drops it at once); at most 60 s, so a revocation reaches the published list within a minute.
   */
  statusListMaxAgeMs: number;
  /**
   * Webhook targets may be loopback, private, link-local or multicast addresses, and plain `http` is allowed in
   * production too: for tests and on-premises receivers only (API.md, Integrations).
   */
  webhookAllowPrivateTargets: boolean;
  /** A delivery attempt that has not answered within this many milliseconds fails (API.md: 10 s). */
  webhookTimeoutMs: number;
  /**
   * The retry schedule: exponential back-off from `webhookRetryBaseMs`, doubling per attempt up to
   * `webhookRetryMaxDelayMs`, each delay jittered; a delivery is retried until `webhookRetryForMs` after it was
   * made (API.md: 3 days), then `failed`.
   */
  webhookRetryBaseMs: number;
  webhookRetryMaxDelayMs: number;
  webhookRetryForMs: number;
  /** A subscription none of whose attempts succeeded for this long is disabled (API.md: 3 days). */
  webhookDisableAfterMs: number;
  /**
   * Delivery jobs (each a batch of up to `webhookBatchSize` deliveries: of subscriptions whose attempts succeed
   * together, of any other one alone) one worker process runs at once.
   */
  webhookConcurrency: number;
  webhookBatchSize: number;
  /**
   * How often each worker process reconciles the webhooks with Postgres: outbox events no delivery was made for
   * (their domain-events job lost with Redis's data) get theirs, and deliveries due for longer than this whose
   * job was lost are queued again.
   */
  webhookReconcileMs: number;
  /**
   * Whole months of the outbox and of the audit log kept in Postgres before the current one; older months are what
   * `npm run archive` writes out and drops (it never archives a month inside these, whatever `--before` says).
   */
  outboxRetentionMonths: number;
  auditRetentionMonths: number;
  /** Where `npm run archive` writes its files (`<table>-<YYYY-MM>.ndjson.gz`). */
  archiveDir: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];

  const str = (name: string, fallback: string): string => {
    const v = env[name];
    return v === undefined || v === '' ? fallback : v;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return Number(raw);
  };
  const url = (name: string, fallback: string, protocols: string[]): string => {
    const v = str(name, fallback);
    try {
      const u = new URL(v);
      if (!protocols.includes(u.protocol)) problems.push(`${name} must use ${protocols.join(' or ')} (got ${u.protocol})`);
    } catch {
      problems.push(`${name} is not a valid URL`);
    }
    return v;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
    if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
    problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  };

  const role = str('ROLE', 'both');
  if (!['api', 'worker', 'both'].includes(role)) problems.push(`ROLE must be api, worker or both (got "${role}")`);

  const bootstrapAdminKey = env.BOOTSTRAP_ADMIN_KEY ? env.BOOTSTRAP_ADMIN_KEY : null;
  if (bootstrapAdminKey !== null && bootstrapAdminKey.length < 24) {
    problems.push('BOOTSTRAP_ADMIN_KEY must be at least 24 characters (a guessable admin key is worse than none)');
  }

  const givenPrefix = str('REDIS_PREFIX', 'lb');
  const tagged = /^\{[A-Za-z0-9_-]{1,62}\}$/.test(givenPrefix);
  if (!tagged && !/^[A-Za-z0-9_-]{1,64}$/.test(givenPrefix)) {
    problems.push('REDIS_PREFIX must be 1-64 letters, digits, _ or -, or such a name in braces (a hash tag: {lb})');
  }
  const redisPrefix = tagged ? givenPrefix.slice(1, -1) : givenPrefix;
  const redisUrl = url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']);
  const redis = redisTopology(env, redisUrl, bool('REDIS_TLS', false), problems);
  const queuePrefix = tagged || redis.mode === 'cluster' ? `{${redisPrefix}}:bull` : `${redisPrefix}:bull`;

  const databaseUrl = url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/labor_brands', ['postgres:', 'postgresql:']);
  // Checked only when given: a bad DATABASE_URL is named once.
  const databaseDirectUrl = env.DATABASE_DIRECT_URL ? url('DATABASE_DIRECT_URL', databaseUrl, ['postgres:', 'postgresql:']) : databaseUrl;

  const config: AppConfig = {
    role: role as Role,
    port: int('PORT', 3000, 0, 65535),
    host: str('HOST', '0.0.0.0'),
    databaseUrl,
    databaseDirectUrl,
    databasePooled: databaseDirectUrl !== databaseUrl,
    databasePoolSize: int('DATABASE_POOL_SIZE', 20, 1, 500),
    databaseDirectPoolSize: int('DATABASE_DIRECT_POOL_SIZE', 2, 1, 100),
    databaseExpectedProcesses: int('DATABASE_EXPECTED_PROCESSES', 1, 1, 1000),
    databasePoolerServerConnections: int('DATABASE_POOLER_SERVER_CONNECTIONS', 20, 1, 10_000),
    databaseBudgetCheck: bool('DATABASE_BUDGET_CHECK', true),
    redisUrl,
    redis,
    redisPrefix,
    queuePrefix,
    bootstrapAdminKey,
    logLevel: str('LOG_LEVEL', 'info'),
    rateLimitMax: int('RATE_LIMIT_MAX', 6000, 0, 10_000_000),
    rateLimitWindowMs: int('RATE_LIMIT_WINDOW_MS', 60_000, 100, 86_400_000),
    rateLimitSyncMs: int('RATE_LIMIT_SYNC_MS', 100, 10, 10_000),
    publicRateLimitMax: int('PUBLIC_RATE_LIMIT_MAX', 600, 0, 10_000_000),
    bodyLimitBytes: int('BODY_LIMIT_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    importBodyLimitBytes: int('IMPORT_BODY_LIMIT_BYTES', 200 * 1024 * 1024, 1024, 2 * 1024 * 1024 * 1024),
    apiKeyCacheTtlMs: int('API_KEY_CACHE_TTL_MS', 1000, 0, 1000),
    idempotencyTtlHours: int('IDEMPOTENCY_TTL_HOURS', 24, 1, 24 * 30),
    runMigrations: bool('RUN_MIGRATIONS', true),
    outboxPollMs: int('OUTBOX_POLL_MS', 500, 10, 60_000),
    outboxBatchSize: int('OUTBOX_BATCH_SIZE', 500, 1, 10_000),
    eventWorkerConcurrency: int('EVENT_WORKER_CONCURRENCY', 8, 1, 1000),
    eventLockDurationMs: int('EVENT_LOCK_DURATION_MS', 30_000, 1000, 3_600_000),
    eventStalledIntervalMs: int('EVENT_STALLED_INTERVAL_MS', 15_000, 100, 3_600_000),
    eventJobAttempts: int('EVENT_JOB_ATTEMPTS', 8, 1, 100),
    statisticsDebounceMs: int('STATISTICS_DEBOUNCE_MS', 150, 0, 60_000),
    production: env.NODE_ENV === 'production',
    piiEncryptionKeys: env.PII_ENCRYPTION_KEYS || undefined,
    piiHmacKey: env.PII_HMAC_KEY || undefined,
    credentialSigningKey: env.CREDENTIAL_SIGNING_KEY || undefined,
    publicBaseUrl: url('PUBLIC_BASE_URL', 'http://localhost:3000', ['http:', 'https:']).replace(/\/+$/, ''),
    httpHeadersTimeoutMs: int('HTTP_HEADERS_TIMEOUT_MS', 30_000, 100, 600_000),
    httpBodyTimeoutMs: int('HTTP_BODY_TIMEOUT_MS', 30_000, 100, 600_000),
    httpRequestTimeoutMs: int('HTTP_REQUEST_TIMEOUT_MS', 600_000, 1000, 86_400_000),
    httpIdleTimeoutMs: int('HTTP_IDLE_TIMEOUT_MS', 30_000, 100, 600_000),
    trustProxyHops: int('TRUST_PROXY_HOPS', 0, 0, 10),
    authFailureRateLimitMax: int('AUTH_FAILURE_RATE_LIMIT_MAX', 60, 0, 10_000_000),
    metricsPort: int('METRICS_PORT', 9464, 0, 65535),
    metricsHost: str('METRICS_HOST', '0.0.0.0'),
    statusListMaxAgeMs: int('STATUS_LIST_MAX_AGE_MS', 20_000, 0, 60_000),
    webhookAllowPrivateTargets: bool('WEBHOOK_ALLOW_PRIVATE_TARGETS', false),
    webhookTimeoutMs: int('WEBHOOK_TIMEOUT_MS', 10_000, 100, 10_000),
    webhookRetryBaseMs: int('WEBHOOK_RETRY_BASE_MS', 5_000, 10, 3_600_000),
    webhookRetryMaxDelayMs: int('WEBHOOK_RETRY_MAX_DELAY_MS', 6 * 3_600_000, 10, 7 * 86_400_000),
    webhookRetryForMs: int('WEBHOOK_RETRY_FOR_MS', 3 * 86_400_000, 0, 30 * 86_400_000),
    webhookDisableAfterMs: int('WEBHOOK_DISABLE_AFTER_MS', 3 * 86_400_000, 1000, 30 * 86_400_000),
    webhookConcurrency: int('WEBHOOK_CONCURRENCY', 16, 1, 1000),
    webhookBatchSize: int('WEBHOOK_BATCH_SIZE', 100, 1, 1000),
    webhookReconcileMs: int('WEBHOOK_RECONCILE_MS', 10_000, 100, 3_600_000),
    outboxRetentionMonths: int('OUTBOX_RETENTION_MONTHS', 3, 0, 1200),
    auditRetentionMonths: int('AUDIT_RETENTION_MONTHS', 24, 0, 1200),
    archiveDir: str('ARCHIVE_DIR', 'archive'),
  };
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel)) {
    problems.push(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "${config.logLevel}")`);
  }
  if (config.webhookRetryMaxDelayMs < config.webhookRetryBaseMs) {
    problems.push('WEBHOOK_RETRY_MAX_DELAY_MS must not be below WEBHOOK_RETRY_BASE_MS');
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}

export const APP_CONFIG = Symbol('APP_CONFIG');

/** `host:port,host:port`; each port 1-65535. */
function redisNodes(name: string, raw: string, problems: string[]): RedisNode[] {
  const nodes: RedisNode[] = [];
  for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    // [v6]:port or host:port
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9._-]+)):(\d{1,5})$/.exec(item);
    const port = m ? Number(m[3]) : 0;
    if (!m || port < 1 || port > 65535) {
      problems.push(`${name} must be a comma-separated list of host:port (got "${item}")`);
      continue;
    }
    nodes.push({ host: m[1] ?? m[2], port });
  }
  if (nodes.length === 0 && !problems.some((p) => p.startsWith(name))) problems.push(`${name} names no host:port`);
  return nodes;
}

function redisTopology(env: Env, redisUrl: string, tls: boolean, problems: string[]): RedisTopology {
  const password = env.REDIS_PASSWORD || undefined;
  if (env.REDIS_CLUSTER_NODES) {
    return { mode: 'cluster', nodes: redisNodes('REDIS_CLUSTER_NODES', env.REDIS_CLUSTER_NODES, problems), password, tls };
  }
  if (env.REDIS_SENTINELS || env.REDIS_SENTINEL_NAME) {
    if (!env.REDIS_SENTINELS) problems.push('REDIS_SENTINELS must list the sentinels (host:port,…) when REDIS_SENTINEL_NAME is set');
    if (!env.REDIS_SENTINEL_NAME) problems.push('REDIS_SENTINEL_NAME must name the master the sentinels watch when REDIS_SENTINELS is set');
    else if (!/^[A-Za-z0-9._-]{1,64}$/.test(env.REDIS_SENTINEL_NAME)) problems.push('REDIS_SENTINEL_NAME must be 1-64 letters, digits, ., _ or -');
    return {
      mode: 'sentinel',
      sentinels: env.REDIS_SENTINELS ? redisNodes('REDIS_SENTINELS', env.REDIS_SENTINELS, problems) : [],
      name: env.REDIS_SENTINEL_NAME ?? '',
      password,
      sentinelPassword: env.REDIS_SENTINEL_PASSWORD || undefined,
      tls,
    };
  }
  return { mode: 'single', url: redisUrl };
}
