import { Client } from 'pg';
import type { AppConfig } from '../config/config';

/** The connections one process holds on Postgres itself, by what they are for. */
export interface ProcessConnections {
  /** The main pool (DATABASE_POOL_SIZE), when it goes to Postgres rather than to PgBouncer. */
  pool: number;
  /** The session pool on DATABASE_DIRECT_URL for long imports (DATABASE_DIRECT_POOL_SIZE), when pooled. */
  directPool: number;
  /** The outbox relay's LISTEN connection (worker role). */
  listen: number;
  total: number;
}

/**
 * What one process of this configuration holds on Postgres once started (docs/operations.md, Connection budget).
 * Behind PgBouncer the main pool's connections are PgBouncer's clients, not Postgres's: those are counted once,
 * as PgBouncer's server connections (connectionBudget). The migrations' three short-lived connections at start-up
 * are closed before the pools open and are not counted.
 */
export function processConnections(config: Pick<AppConfig, 'role' | 'databasePooled' | 'databasePoolSize' | 'databaseDirectPoolSize'>): ProcessConnections {
  const pool = config.databasePooled ? 0 : config.databasePoolSize;
  const directPool = config.databasePooled && config.role !== 'worker' ? config.databaseDirectPoolSize : 0;
  const listen = config.role === 'api' ? 0 : 1;
  return { pool, directPool, listen, total: pool + directPool + listen };
}

/** What the server allows and what others use, read from Postgres. */
export interface ServerConnections {
  maxConnections: number;
  /** superuser_reserved_connections + reserved_connections (Postgres 16+): not for an ordinary role. */
  reserved: number;
  /** Client connections of anything but this service (another application, psql, a replica's walsender is not one). */
  usedByOthers: number;
}

export type BudgetConfig = Pick<
  AppConfig,
  'role' | 'databasePooled' | 'databasePoolSize' | 'databaseDirectPoolSize' | 'databaseExpectedProcesses' | 'databasePoolerServerConnections'
>;

/**
 * The connection budget's verdict: null when every expected process (and PgBouncer) fits in what Postgres leaves
 * for this service, else what is wrong and what to change.
 */
export function connectionBudgetProblem(config: BudgetConfig, server: ServerConnections): string | null {
  const each = processConnections(config);
  const processes = config.databaseExpectedProcesses;
  const pooler = config.databasePooled ? config.databasePoolerServerConnections : 0;
  const needed = processes * each.total + pooler;
  const available = server.maxConnections - server.reserved - server.usedByOthers;
  if (needed <= available) return null;
  const parts = [
    each.pool ? `DATABASE_POOL_SIZE ${each.pool}` : null,
    each.directPool ? `DATABASE_DIRECT_POOL_SIZE ${each.directPool}` : null,
    each.listen ? `${each.listen} LISTEN` : null,
  ].filter(Boolean);
  const perProcess = `${processes} process${processes === 1 ? '' : 'es'} (DATABASE_EXPECTED_PROCESSES) × ${each.total} connection${each.total === 1 ? '' : 's'} (${parts.join(' + ') || 'none'})`;
  return (
    `the connection budget is exceeded: ${perProcess}${pooler ? ` + ${pooler} PgBouncer server connections (DATABASE_POOLER_SERVER_CONNECTIONS)` : ''} = ${needed}, ` +
    `but Postgres allows ${available}: max_connections ${server.maxConnections} − ${server.reserved} reserved − ${server.usedByOthers} used by other clients. ` +
    `Lower DATABASE_POOL_SIZE or the number of processes, put PgBouncer in transaction mode in front (DATABASE_URL, with DATABASE_DIRECT_URL for sessions), ` +
    `or raise max_connections; DATABASE_BUDGET_CHECK=false skips this check.`
  );
}

export class ConnectionBudgetError extends Error {
  constructor(readonly problem: string) {
    super(`Invalid configuration:\n  - ${problem}`);
    this.name = 'ConnectionBudgetError';
  }
}

/** This service's connections all carry an application_name starting so (data-source.ts, the relay's LISTEN). */
const OWN_APPLICATION = 'labor-brands';

/** Reads max_connections, the reserved slots and the other clients' connections from Postgres (direct URL). */
export async function serverConnections(databaseDirectUrl: string): Promise<ServerConnections> {
  const client = new Client({ connectionString: databaseDirectUrl, application_name: `${OWN_APPLICATION}:budget-check` });
  await client.connect();
  try {
    const { rows } = await client.query<{ max: number; reserved: number; others: number }>(
      `SELECT current_setting('max_connections')::int AS max,
              current_setting('superuser_reserved_connections')::int
                + COALESCE(NULLIF(current_setting('reserved_connections', true), ''), '0')::int AS reserved,
              (SELECT count(*)::int FROM pg_stat_activity
                WHERE backend_type = 'client backend' AND application_name NOT LIKE $1) AS others`,
      [`${OWN_APPLICATION}%`],
    );
    return { maxConnections: rows[0].max, reserved: rows[0].reserved, usedByOthers: rows[0].others };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Start-up: refuses (ConnectionBudgetError) a configuration whose processes would exceed max_connections. */
export async function checkConnectionBudget(config: BudgetConfig & Pick<AppConfig, 'databaseDirectUrl' | 'databaseBudgetCheck'>): Promise<void> {
  if (!config.databaseBudgetCheck) return;
  const problem = connectionBudgetProblem(config, await serverConnections(config.databaseDirectUrl));
  if (problem) throw new ConnectionBudgetError(problem);
}
