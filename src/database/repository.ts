import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/** A transaction's handle (or the pool's): what every repository method runs its SQL on. */
export type Db = EntityManager;

/**
 * The base of every repository, the only classes that hold SQL. A method that takes a `Db` runs in the caller's
 * transaction; one that does not takes a pooled connection per statement.
 */
@Injectable()
export abstract class Repository {
  constructor(protected readonly dataSource: DataSource) {}

  protected db(m?: Db): Db {
    return m ?? this.dataSource.manager;
  }
}
