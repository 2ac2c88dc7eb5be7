import { connectionBudgetProblem, processConnections, type BudgetConfig } from '../../src/database/connection-budget';

const DIRECT: BudgetConfig = { role: 'both', databasePooled: false, databasePoolSize: 20, databaseDirectPoolSize: 2, databaseExpectedProcesses: 1, databasePoolerServerConnections: 20 };
const SERVER = { maxConnections: 100, reserved: 3, usedByOthers: 0 };

describe('the connection budget', () => {
  it('counts the pool and, in the worker role, the LISTEN connection of each process', () => {
    expect(processConnections({ ...DIRECT, role: 'both' })).toEqual({ pool: 20, directPool: 0, listen: 1, total: 21 });
    expect(processConnections({ ...DIRECT, role: 'worker' })).toEqual({ pool: 20, directPool: 0, listen: 1, total: 21 });
    expect(processConnections({ ...DIRECT, role: 'api' })).toEqual({ pool: 20, directPool: 0, listen: 0, total: 20 });
  });

  it('behind PgBouncer counts only the session connections of a process: the direct pool (API) and LISTEN (worker)', () => {
    const pooled = { ...DIRECT, databasePooled: true };
    expect(processConnections({ ...pooled, role: 'api' })).toEqual({ pool: 0, directPool: 2, listen: 0, total: 2 });
    expect(processConnections({ ...pooled, role: 'worker' })).toEqual({ pool: 0, directPool: 0, listen: 1, total: 1 });
    expect(processConnections({ ...pooled, role: 'both' })).toEqual({ pool: 0, directPool: 2, listen: 1, total: 3 });
  });

  it('lets four processes of 21 through max_connections 100, refuses five', () => {
    expect(connectionBudgetProblem({ ...DIRECT, databaseExpectedProcesses: 4 }, SERVER)).toBeNull();
    const problem = connectionBudgetProblem({ ...DIRECT, databaseExpectedProcesses: 5 }, SERVER);
    expect(problem).toContain('5 processes (DATABASE_EXPECTED_PROCESSES) × 21 connections (DATABASE_POOL_SIZE 20 + 1 LISTEN) = 105');
    expect(problem).toContain('Postgres allows 97: max_connections 100 − 3 reserved − 0 used by other clients');
    expect(problem).toContain('DATABASE_BUDGET_CHECK=false');
  });

  it("subtracts other clients' connections", () => {
    expect(connectionBudgetProblem({ ...DIRECT, databaseExpectedProcesses: 4 }, { ...SERVER, usedByOthers: 14 })).toMatch(/84, but Postgres allows 83/);
  });

  it('counts PgBouncer’s server connections once, however many processes use it', () => {
    const pooled = { ...DIRECT, databasePooled: true, databaseExpectedProcesses: 20, databasePoolerServerConnections: 30 };
    // 20 × 3 + 30 = 90 ≤ 97
    expect(connectionBudgetProblem(pooled, SERVER)).toBeNull();
    expect(connectionBudgetProblem({ ...pooled, databasePoolerServerConnections: 40 }, SERVER)).toMatch(
      /20 processes \(DATABASE_EXPECTED_PROCESSES\) × 3 connections \(DATABASE_DIRECT_POOL_SIZE 2 \+ 1 LISTEN\) \+ 40 PgBouncer server connections \(DATABASE_POOLER_SERVER_CONNECTIONS\) = 100/,
    );
  });
});
