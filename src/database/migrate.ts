import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source';
import { ensureDatabase } from './ensure-database';
import { prepareComingMonths } from './month-partitions';

/**
 * Applies pending migrations, then makes the coming months' partitions of the month-partitioned tables. Several instances may start at once: a session advisory lock lets one migrate
 * while the others wait, then find nothing left to do.
 */
export async function migrate(databaseUrl: string, log: (msg: string) => void = () => undefined): Promise<string[]> {
  await ensureDatabase(databaseUrl);
  const lock = new Client({ connectionString: databaseUrl });
  await lock.connect();
  try {
    await lock.query(`SELECT pg_advisory_lock(hashtext('labor-brands:migrations'))`);
    const dataSource = new DataSource({ ...dataSourceOptions(databaseUrl, 2) });
    await dataSource.initialize();
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      for (const m of applied) log(`migration applied: ${m.name}`);
      // The maintenance job makes them too, but a database must not wait for a worker to take this month's rows.
      for (const [table, months] of Object.entries(await prepareComingMonths(dataSource))) {
        if (months.length) log(`partitions made: ${table} ${months.join(', ')}`);
      }
      return applied.map((m) => m.name);
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await lock.query(`SELECT pg_advisory_unlock(hashtext('labor-brands:migrations'))`).catch(() => undefined);
    await lock.end();
  }
}
