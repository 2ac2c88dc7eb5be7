import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { DataSource, EntityManager, QueryFailedError, type QueryRunner } from 'typeorm';
import { namedStatementsAllowed } from './data-source';
import type { NamedStatement } from './sql';

/** "cached plan must not change result type" */
const CACHED_PLAN_CHANGED = '0A000';
/** Per statement name, how often its result type changed under this process (see Repository.named). */
const generations = new Map<string, number>();

/** A transaction's handle (or the pool's): what every repository method runs its SQL on. */
export type Db = EntityManager;

/**
 * The base of every repository, the only classes that hold SQL. A method that takes a `Db` runs in the caller's
 * transaction; one that does not takes a pooled connection per statement.
 */
@Injectable()
export abstract class Repository {
  private namedAllowed?: boolean;

  constructor(protected readonly dataSource: DataSource) {}

  protected db(m?: Db): Db {
    return m ?? this.dataSource.manager;
  }

  /**
   * Runs a constant hot statement as a named prepared statement: Postgres parses and plans it once per connection
   * instead of on every call (a third of the one-statement confirmation's database time was its parsing and
   * planning). Through PgBouncer it runs unnamed. Logged and failing like TypeORM's `query()` (a QueryFailedError
   * around the driver's error), so callers and the statement capture of the benches see no difference.
   */
  protected async named<T = Record<string, unknown>>(statement: NamedStatement, params: unknown[], on?: Db | QueryRunner): Promise<T[]> {
    this.namedAllowed ??= namedStatementsAllowed(this.dataSource.options);
    // A transaction's manager or a connection held for a whole job (its runner), else a pooled connection of its own.
    const held = on && 'connect' in on ? on : on?.queryRunner;
    const runner = held ?? this.dataSource.createQueryRunner();
    try {
      const client = (await runner.connect()) as PoolClient;
      this.dataSource.logger.logQuery(statement.text, params, runner);
      const generation = generations.get(statement.name) ?? 0;
      const name = generation ? `${statement.name}_${generation}` : statement.name;
      try {
        return (await client.query(this.namedAllowed ? { name, text: statement.text, values: params } : { text: statement.text, values: params })).rows as T[];
      } catch (err) {
        // A migration changed a table the statement's result is made of while this process kept its plan (a
        // rolling deploy): Postgres refuses the old statement rather than answer another shape. A new name makes
        // every connection prepare it afresh; on a connection of its own this call runs it unnamed (on a held one it
        // may be inside a transaction the error has already aborted: the caller retries, as after any failure).
        const planChanged = this.namedAllowed && (err as { code?: string }).code === CACHED_PLAN_CHANGED;
        if (planChanged) generations.set(statement.name, generation + 1);
        if (!planChanged || held) throw new QueryFailedError(statement.text, params, err as Error);
        try {
          return (await client.query({ text: statement.text, values: params })).rows as T[];
        } catch (retryErr) {
          throw new QueryFailedError(statement.text, params, retryErr as Error);
        }
      }
    } finally {
      if (!held) await runner.release();
    }
  }
}
