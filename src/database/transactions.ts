import { Inject, Injectable, Optional } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

/**
 * The name of the data source on DATABASE_DIRECT_URL that exists when DATABASE_URL is a pooler: long transactions
 * (imports) run there, so they neither hold one of PgBouncer's few server connections for minutes nor meet its
 * idle-in-transaction limits while they wait for the next chunk of an upload.
 */
export const DIRECT_DATA_SOURCE = 'direct';
import type { IsolationLevel } from 'typeorm/driver/types/IsolationLevel';

const SERIALIZATION_FAILURE = '40001';
const DEADLOCK = '40P01';

const commitHooks = new WeakMap<EntityManager, Array<() => void>>();

/**
 * Runs `hook` once the transaction of `manager` has committed (never if it rolls back). Outside a transaction
 * started by `inTransaction` the commit time is unknown, so the hook runs shortly after instead.
 */
export function afterCommit(manager: EntityManager, hook: () => void): void {
  const hooks = commitHooks.get(manager);
  if (hooks) hooks.push(hook);
  else setTimeout(hook, 10).unref();
}

/**
 * Runs `work` in one transaction, READ COMMITTED unless told otherwise. Writers here lock the rows they change
 * (`FOR UPDATE` or a version predicate), so READ COMMITTED is enough; a deadlock or serialization failure is
 * retried a few times because it says nothing about the request, only about timing.
 */
export async function inTransaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
  isolation: IsolationLevel = 'READ COMMITTED',
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const hooks: Array<() => void> = [];
    try {
      const run = (manager: EntityManager): Promise<T> => {
        commitHooks.set(manager, hooks);
        return work(manager);
      };
      // TypeORM sets a named level with a statement of its own after START TRANSACTION: one round trip more on
      // every write. READ COMMITTED is PostgreSQL's default level, so it is asked for by saying nothing.
      const result = await (isolation === 'READ COMMITTED' ? dataSource.transaction(run) : dataSource.transaction(isolation, run));
      for (const hook of new Set(hooks)) hook();
      return result;
    } catch (err) {
      if (isTimingFailure(err) && attempt < 4) continue;
      throw err;
    }
  }
}

/**
 * Transactions for the services: a use case that changes several things runs them in `run`, passing the manager
 * it is given to each repository method (and to the outbox and audit log), so they commit or roll back together.
 */
@Injectable()
export class Transactions {
  constructor(
    private readonly dataSource: DataSource,
    @Optional() @Inject(getDataSourceToken(DIRECT_DATA_SOURCE)) private readonly direct?: DataSource,
  ) {}

  run<T>(work: (manager: EntityManager) => Promise<T>, isolation?: IsolationLevel): Promise<T> {
    return inTransaction(this.dataSource, work, isolation);
  }

  /** A transaction that may last minutes (a large import): on Postgres itself when DATABASE_URL is a pooler. */
  runLong<T>(work: (manager: EntityManager) => Promise<T>, isolation?: IsolationLevel): Promise<T> {
    return inTransaction(this.direct ?? this.dataSource, work, isolation);
  }
}

export function pgErrorCode(err: unknown): string | undefined {
  const e = err as { code?: string; driverError?: { code?: string } };
  return e?.driverError?.code ?? e?.code;
}

export function pgConstraint(err: unknown): string | undefined {
  const e = err as { constraint?: string; driverError?: { constraint?: string } };
  return e?.driverError?.constraint ?? e?.constraint;
}

/** A deadlock or serialization failure: it says nothing about the request, only about timing; a retry may pass. */
export function isTimingFailure(err: unknown): boolean {
  const code = pgErrorCode(err);
  return code === SERIALIZATION_FAILURE || code === DEADLOCK;
}

/** A unique constraint refused the write: the use case answers 409 with what the constraint means. */
export function isUniqueViolation(err: unknown, constraint: string): boolean {
  return pgErrorCode(err) === '23505' && pgConstraint(err) === constraint;
}

/**
 * Rows of an UPDATE or DELETE … RETURNING run through TypeORM's `query()`, which answers those commands with
 * `[rows, affectedCount]` rather than the rows alone.
 */
export function returnedRows<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}
