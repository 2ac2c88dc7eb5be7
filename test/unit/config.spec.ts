import { nodeVersionProblem } from '../../src/node-version';
import { ConfigError, loadConfig } from '../../src/config/config';

const STRONG_KEY = 'lbk_0123456789abcdefghijklmnopqrstuvwxyz';

/** The ConfigError `loadConfig` throws for this environment (fails the test if it does not throw one). */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('has working defaults for an empty environment', () => {
    expect(loadConfig({})).toMatchObject({
      role: 'both',
      port: 3000,
      host: '0.0.0.0',
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/labor_brands',
      databasePoolSize: 20,
      redisUrl: 'redis://127.0.0.1:6379',
      redisPrefix: 'lb',
      bootstrapAdminKey: null,
      logLevel: 'info',
      rateLimitMax: 6000,
      rateLimitWindowMs: 60_000,
      rateLimitSyncMs: 100,
      bodyLimitBytes: 1024 * 1024,
      importBodyLimitBytes: 200 * 1024 * 1024,
      apiKeyCacheTtlMs: 1000,
      idempotencyTtlHours: 24,
      runMigrations: true,
    });
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ PORT: '', ROLE: '', BOOTSTRAP_ADMIN_KEY: '', DATABASE_URL: '', RUN_MIGRATIONS: '' })).toMatchObject({
      port: 3000,
      role: 'both',
      bootstrapAdminKey: null,
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/labor_brands',
      runMigrations: true,
    });
  });

  it('reads every variable it is given', () => {
    const config = loadConfig({
      ROLE: 'api',
      PORT: '8080',
      HOST: '127.0.0.1',
      DATABASE_URL: 'postgresql://app:pw@db.internal:6543/brands',
      DATABASE_POOL_SIZE: '50',
      REDIS_URL: 'rediss://cache.internal:6380/2',
      REDIS_PREFIX: 'prod-lb_1',
      BOOTSTRAP_ADMIN_KEY: STRONG_KEY,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_MAX: '0',
      RATE_LIMIT_WINDOW_MS: '1000',
      RATE_LIMIT_SYNC_MS: '250',
      BODY_LIMIT_BYTES: '2048',
      IMPORT_BODY_LIMIT_BYTES: '4096',
      API_KEY_CACHE_TTL_MS: '0',
      IDEMPOTENCY_TTL_HOURS: '48',
      RUN_MIGRATIONS: 'false',
    });
    expect(config).toMatchObject({
      role: 'api',
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: 'postgresql://app:pw@db.internal:6543/brands',
      databasePoolSize: 50,
      redisUrl: 'rediss://cache.internal:6380/2',
      redisPrefix: 'prod-lb_1',
      bootstrapAdminKey: STRONG_KEY,
      logLevel: 'warn',
      rateLimitMax: 0,
      rateLimitWindowMs: 1000,
      rateLimitSyncMs: 250,
      bodyLimitBytes: 2048,
      importBodyLimitBytes: 4096,
      apiKeyCacheTtlMs: 0,
      idempotencyTtlHours: 48,
      runMigrations: false,
    });
  });

  it.each([
    ['1', true],
    ['yes', true],
    ['TRUE', true],
    ['0', false],
    ['no', false],
    ['False', false],
  ])('reads RUN_MIGRATIONS=%s as %s', (raw, value) => {
    expect(loadConfig({ RUN_MIGRATIONS: raw }).runMigrations).toBe(value);
  });

  it.each(['api', 'worker', 'both'])('accepts ROLE=%s', (role) => {
    expect(loadConfig({ ROLE: role }).role).toBe(role);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['PORT', ' 80'],
    ['DATABASE_URL', 'nonsense'],
    ['DATABASE_URL', 'mysql://root@127.0.0.1/brands'],
    ['DATABASE_POOL_SIZE', '0'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['REDIS_URL', 'not a url'],
    ['REDIS_PREFIX', 'has spaces'],
    ['REDIS_PREFIX', 'x'.repeat(65)],
    ['ROLE', 'x'],
    ['ROLE', 'API'],
    ['BOOTSTRAP_ADMIN_KEY', 'short'],
    ['BOOTSTRAP_ADMIN_KEY', 'x'.repeat(23)],
    ['LOG_LEVEL', 'loud'],
    ['RATE_LIMIT_MAX', 'many'],
    ['RATE_LIMIT_WINDOW_MS', '10'],
    ['RATE_LIMIT_SYNC_MS', '5'],
    ['RATE_LIMIT_SYNC_MS', '60000'],
    ['BODY_LIMIT_BYTES', '1'],
    ['API_KEY_CACHE_TTL_MS', '5000'],
    ['IDEMPOTENCY_TTL_HOURS', '0'],
    ['RUN_MIGRATIONS', 'maybe'],
    ['OUTBOX_RETENTION_MONTHS', '-1'],
    ['AUDIT_RETENTION_MONTHS', 'forever'],
  ])('names %s in the error when it is %p', (name, value) => {
    const err = configError({ [name]: value });
    expect(err.name).toBe('ConfigError');
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toContain(name);
    expect(err.message).toContain(name);
    expect(err.message).toMatch(/^Invalid configuration:\n {2}- /);
  });

  it('reads the retention of the outbox and the audit log in months, and where archives go', () => {
    expect(loadConfig({})).toMatchObject({ outboxRetentionMonths: 3, auditRetentionMonths: 24, archiveDir: 'archive' });
    expect(loadConfig({ OUTBOX_RETENTION_MONTHS: '0', AUDIT_RETENTION_MONTHS: '120', ARCHIVE_DIR: '/var/lib/labor-brands/archive' })).toMatchObject({
      outboxRetentionMonths: 0,
      auditRetentionMonths: 120,
      archiveDir: '/var/lib/labor-brands/archive',
    });
  });

  it('reports every bad variable at once', () => {
    const err = configError({ PORT: 'abc', DATABASE_URL: 'nonsense', ROLE: 'x', BOOTSTRAP_ADMIN_KEY: 'short' });
    expect(err.problems).toHaveLength(4);
    for (const name of ['PORT', 'DATABASE_URL', 'ROLE', 'BOOTSTRAP_ADMIN_KEY']) {
      expect(err.problems.filter((p) => p.includes(name))).toHaveLength(1);
      expect(err.message).toContain(name);
    }
  });

  it('never repeats a secret in the error', () => {
    const err = configError({ BOOTSTRAP_ADMIN_KEY: 'hunter2-short', PORT: 'abc' });
    expect(err.message).not.toContain('hunter2');
  });

  it('accepts a bootstrap key of exactly 24 characters', () => {
    expect(loadConfig({ BOOTSTRAP_ADMIN_KEY: 'k'.repeat(24) }).bootstrapAdminKey).toBe('k'.repeat(24));
  });

  it('accepts the bounds of the numeric ranges', () => {
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
    expect(loadConfig({ PORT: '65535' }).port).toBe(65535);
    expect(loadConfig({ API_KEY_CACHE_TTL_MS: '1000' }).apiKeyCacheTtlMs).toBe(1000);
  });

  it('reads the webhook settings: private targets refused, 10 s, back-off from 5 s to 6 h, 3 days, by default', () => {
    expect(loadConfig({})).toMatchObject({
      webhookAllowPrivateTargets: false,
      webhookTimeoutMs: 10_000,
      webhookRetryBaseMs: 5_000,
      webhookRetryMaxDelayMs: 6 * 3_600_000,
      webhookRetryForMs: 3 * 86_400_000,
      webhookDisableAfterMs: 3 * 86_400_000,
      webhookReconcileMs: 10_000,
    });
    expect(
      loadConfig({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_TIMEOUT_MS: '500', WEBHOOK_RETRY_BASE_MS: '100', WEBHOOK_RETRY_MAX_DELAY_MS: '1000', WEBHOOK_RETRY_FOR_MS: '60000', WEBHOOK_DISABLE_AFTER_MS: '30000' }),
    ).toMatchObject({ webhookAllowPrivateTargets: true, webhookTimeoutMs: 500, webhookRetryBaseMs: 100, webhookRetryMaxDelayMs: 1000, webhookRetryForMs: 60_000, webhookDisableAfterMs: 30_000 });
    // Never more than the 10 s the contract allows; a maximum below the base is a mistake.
    expect(configError({ WEBHOOK_TIMEOUT_MS: '20000' }).problems).toEqual([expect.stringContaining('WEBHOOK_TIMEOUT_MS')]);
    expect(configError({ WEBHOOK_RETRY_BASE_MS: '5000', WEBHOOK_RETRY_MAX_DELAY_MS: '1000' }).problems).toEqual([expect.stringContaining('WEBHOOK_RETRY_MAX_DELAY_MS')]);
    expect(configError({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'maybe' }).problems).toEqual([expect.stringContaining('WEBHOOK_ALLOW_PRIVATE_TARGETS')]);
  });

  describe('Redis topology', () => {
    it('is one server from REDIS_URL by default, with the untagged queue prefix of earlier versions', () => {
      expect(loadConfig({})).toMatchObject({ redis: { mode: 'single', url: 'redis://127.0.0.1:6379' }, redisPrefix: 'lb', queuePrefix: 'lb:bull' });
    });

    it('reads a Sentinel group: the sentinels, the master name and both passwords', () => {
      const config = loadConfig({ REDIS_SENTINELS: 'sentinel-1:26379, 10.0.0.2:26380,[::1]:26381', REDIS_SENTINEL_NAME: 'lb-master', REDIS_PASSWORD: 'pw', REDIS_SENTINEL_PASSWORD: 'spw' });
      expect(config.redis).toEqual({
        mode: 'sentinel',
        sentinels: [
          { host: 'sentinel-1', port: 26379 },
          { host: '10.0.0.2', port: 26380 },
          { host: '::1', port: 26381 },
        ],
        name: 'lb-master',
        password: 'pw',
        sentinelPassword: 'spw',
        tls: false,
      });
      expect(config.queuePrefix).toBe('lb:bull');
    });

    it('reads a Cluster, which wins over REDIS_URL and the sentinels, and tags the queue prefix so each queue has one slot', () => {
      const config = loadConfig({ REDIS_CLUSTER_NODES: 'a:7000,b:7001', REDIS_URL: 'redis://other:6379', REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'm', REDIS_PREFIX: 'prod' });
      expect(config.redis).toEqual({ mode: 'cluster', nodes: [{ host: 'a', port: 7000 }, { host: 'b', port: 7001 }], password: undefined, tls: false });
      expect(config).toMatchObject({ redisPrefix: 'prod', queuePrefix: '{prod}:bull' });
    });

    it('accepts REDIS_PREFIX as a hash tag, in every mode; other keys use the name without braces', () => {
      expect(loadConfig({ REDIS_PREFIX: '{lsb}' })).toMatchObject({ redisPrefix: 'lsb', queuePrefix: '{lsb}:bull' });
      expect(loadConfig({ REDIS_PREFIX: '{lsb}', REDIS_CLUSTER_NODES: 'a:7000' })).toMatchObject({ redisPrefix: 'lsb', queuePrefix: '{lsb}:bull' });
    });

    it.each([
      [{ REDIS_PREFIX: '{lb' }, 'REDIS_PREFIX'],
      [{ REDIS_PREFIX: 'a{b}' }, 'REDIS_PREFIX'],
      [{ REDIS_PREFIX: '{}' }, 'REDIS_PREFIX'],
      [{ REDIS_CLUSTER_NODES: 'a' }, 'REDIS_CLUSTER_NODES'],
      [{ REDIS_CLUSTER_NODES: 'a:70000' }, 'REDIS_CLUSTER_NODES'],
      [{ REDIS_CLUSTER_NODES: ' , ' }, 'REDIS_CLUSTER_NODES'],
      [{ REDIS_SENTINELS: 's:26379' }, 'REDIS_SENTINEL_NAME'],
      [{ REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINELS'],
      [{ REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'bad name' }, 'REDIS_SENTINEL_NAME'],
      [{ REDIS_TLS: 'perhaps' }, 'REDIS_TLS'],
    ])('refuses %p, naming %s', (env, name) => {
      const err = configError(env);
      expect(err.problems).toEqual([expect.stringContaining(name)]);
    });

    it('never repeats a Redis password in an error', () => {
      const err = configError({ REDIS_SENTINELS: 's', REDIS_SENTINEL_NAME: 'm', REDIS_PASSWORD: 'hunter2', REDIS_SENTINEL_PASSWORD: 'hunter3' });
      expect(err.message).not.toMatch(/hunter/);
    });
  });

  describe('database URLs and the connection budget', () => {
    it('uses DATABASE_URL for sessions too unless DATABASE_DIRECT_URL is set: not pooled', () => {
      expect(loadConfig({ DATABASE_URL: 'postgres://a@db/x' })).toMatchObject({ databaseDirectUrl: 'postgres://a@db/x', databasePooled: false });
    });

    it('takes DATABASE_URL for a pooler when DATABASE_DIRECT_URL differs', () => {
      expect(loadConfig({ DATABASE_URL: 'postgres://a@pgbouncer:6432/x', DATABASE_DIRECT_URL: 'postgres://a@db:5432/x' })).toMatchObject({
        databaseUrl: 'postgres://a@pgbouncer:6432/x',
        databaseDirectUrl: 'postgres://a@db:5432/x',
        databasePooled: true,
      });
    });

    it('reads the budget settings, with defaults of one process, 20 server connections, 2 direct, checked', () => {
      expect(loadConfig({})).toMatchObject({ databaseExpectedProcesses: 1, databasePoolerServerConnections: 20, databaseDirectPoolSize: 2, databaseBudgetCheck: true });
      expect(
        loadConfig({ DATABASE_EXPECTED_PROCESSES: '6', DATABASE_POOLER_SERVER_CONNECTIONS: '40', DATABASE_DIRECT_POOL_SIZE: '3', DATABASE_BUDGET_CHECK: 'false' }),
      ).toMatchObject({ databaseExpectedProcesses: 6, databasePoolerServerConnections: 40, databaseDirectPoolSize: 3, databaseBudgetCheck: false });
    });

    it.each([
      ['DATABASE_DIRECT_URL', 'mysql://x@y/z'],
      ['DATABASE_EXPECTED_PROCESSES', '0'],
      ['DATABASE_POOLER_SERVER_CONNECTIONS', 'many'],
      ['DATABASE_DIRECT_POOL_SIZE', '0'],
      ['DATABASE_BUDGET_CHECK', 'maybe'],
    ])('names %s when it is %p', (name, value) => {
      expect(configError({ [name]: value }).problems).toEqual([expect.stringContaining(name)]);
    });
  });

  it('reads process.env by default', () => {
    const saved = process.env;
    process.env = { PORT: '4321' };
    try {
      expect(loadConfig().port).toBe(4321);
    } finally {
      process.env = saved;
    }
  });
});

describe('the Node.js version check at start-up', () => {
  it.each([
    ['20.19.0', null],
    ['20.20.2', null],
    ['22.1.0', null],
    ['24.0.0', null],
  ])('%s is recent enough', (version, expected) => {
    expect(nodeVersionProblem(version)).toBe(expected);
  });

  it.each(['20.18.3', '18.20.4', '16.0.0'])('%s is refused with what to do', (version) => {
    expect(nodeVersionProblem(version)).toMatch(new RegExp(`20\\.19 or later.*${version.replace(/\./g, '\\.')}.*Install`));
  });
});
