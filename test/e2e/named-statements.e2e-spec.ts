/**
 * Repository.named: a hot statement is prepared once per connection on a direct connection, runs unnamed through a
 * pooler, fails like TypeORM's query(), and survives a migration that changes the shape of its result while the
 * process runs (a rolling deploy).
 */
import { DataSource, QueryFailedError } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source';
import { Db, Repository } from '../../src/database/repository';
import { namedStatement } from '../../src/database/sql';
import { createTestDatabase, dropTestDatabase } from '../support/test-app';

const ROWS = namedStatement('test_named_rows', `SELECT * FROM named_probe WHERE id >= $1 ORDER BY id`);
const FAILS = namedStatement('test_named_fails', `SELECT 1 / $1::int AS x`);

class ProbeRepository extends Repository {
  rows(from: number, m?: Db): Promise<Array<Record<string, unknown>>> {
    return this.named(ROWS, [from], m);
  }
  fails(divisor: number): Promise<unknown[]> {
    return this.named(FAILS, [divisor]);
  }
  /** The statements prepared on the pool's connection (one connection: the same session as named()). */
  async prepared(): Promise<string[]> {
    const rows: Array<{ name: string }> = await this.dataSource.query(`SELECT name FROM pg_prepared_statements ORDER BY name`);
    return rows.map((r) => r.name);
  }
}

describe('named statements (Repository.named)', () => {
  let url: string;
  const sources: DataSource[] = [];
  const open = async (pooled: boolean): Promise<ProbeRepository> => {
    const ds = new DataSource(dataSourceOptions(url, 1, [], pooled));
    await ds.initialize();
    sources.push(ds);
    return new (ProbeRepository as unknown as new (ds: DataSource) => ProbeRepository)(ds);
  };

  beforeAll(async () => {
    url = await createTestDatabase();
    const ds = new DataSource(dataSourceOptions(url, 1));
    await ds.initialize();
    await ds.query(`CREATE TABLE named_probe (id int PRIMARY KEY, label text)`);
    await ds.query(`INSERT INTO named_probe VALUES (1, 'a'), (2, 'b'), (3, 'c')`);
    await ds.destroy();
  });

  afterAll(async () => {
    for (const ds of sources) await ds.destroy();
    await dropTestDatabase(url);
  });

  it('prepares the statement once on a direct connection and answers its rows', async () => {
    const repo = await open(false);
    expect(await repo.rows(2)).toEqual([
      { id: 2, label: 'b' },
      { id: 3, label: 'c' },
    ]);
    expect(await repo.rows(3)).toEqual([{ id: 3, label: 'c' }]);
    expect(await repo.prepared()).toEqual([ROWS.name]);
  });

  it('prepares nothing through a pooler (PgBouncer in transaction mode)', async () => {
    const repo = await open(true);
    expect(await repo.rows(1)).toHaveLength(3);
    expect(await repo.prepared()).toEqual([]);
  });

  it('fails as TypeORM does, with the driver error inside', async () => {
    const repo = await open(false);
    const err = await repo.fails(0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueryFailedError);
    expect((err as QueryFailedError & { driverError: { code: string } }).driverError.code).toBe('22012');
    expect(await repo.fails(1)).toEqual([{ x: 1 }]);
  });

  it('answers the new shape after a migration changes the result of a prepared statement', async () => {
    const repo = await open(false);
    expect(await repo.rows(3)).toEqual([{ id: 3, label: 'c' }]);
    const ds = new DataSource(dataSourceOptions(url, 1));
    await ds.initialize();
    await ds.query(`ALTER TABLE named_probe ADD COLUMN rank int NOT NULL DEFAULT 7`);
    await ds.destroy();
    // Postgres refuses the old plan ("cached plan must not change result type"); the call runs unnamed, the next
    // prepares the statement again under a new name.
    expect(await repo.rows(3)).toEqual([{ id: 3, label: 'c', rank: 7 }]);
    expect(await repo.rows(3)).toEqual([{ id: 3, label: 'c', rank: 7 }]);
    expect(await repo.prepared()).toEqual([ROWS.name, `${ROWS.name}_1`]);
  });
});
