import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source';
import { ENTITIES } from '../src/entities';
import { CaptureLogger } from './lib/confirm-sql';
import { benchDatabaseName, createMigratedDatabase, dropDatabase, withClient } from './lib/db';
import { servicesOn } from './lib/services';
import { insertBrand, insertBrandPopulation, insertOrganizations } from './lib/stats-data';
import { median } from './lib/util';

async function main(): Promise<void> {
  const db = benchDatabaseName('scratch_rc');
  const url = await createMigratedDatabase(db);
  try {
    const brandIds = await withClient(url, async (c) => {
      const { hrFirmId } = await insertOrganizations(c, 50);
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        const id = await insertBrand(c, hrFirmId, `b${i}`);
        await insertBrandPopulation(c, id, hrFirmId, 1000, 300);
        ids.push(id);
      }
      await c.query('VACUUM ANALYZE');
      return ids;
    });
    const logger = new CaptureLogger();
    const ds = new DataSource({ ...dataSourceOptions(url, 2, ENTITIES), logging: ['query'], logger } as ConstructorParameters<typeof DataSource>[0]);
    await ds.initialize();
    const { calculator } = servicesOn(ds);
    for (const id of brandIds) await calculator.rebuildTallies(id);
    for (const id of brandIds) await calculator.recomputeBrand(id);
    const from = logger.statements.length;
    await calculator.recomputeBrand(brandIds[3]);
    const stmts = logger.statements.slice(from);
    const fromR = logger.statements.length;
    
    const rstmts = logger.statements.slice(fromR);
    await ds.destroy();
    for (const [label, list] of [['brand', stmts], ['region 310000', rstmts]] as const) {
      console.log(`=== ${label}: ${list.length} statements`);
      await withClient(url, async (c) => {
        for (const s of list) {
          if (/^(BEGIN|COMMIT|ROLLBACK|START)/i.test(s.sql.trim())) continue;
          const plan: number[] = [];
          const exec: number[] = [];
          for (let i = 0; i < 15; i++) {
            await c.query('BEGIN');
            const [row] = (await c.query(`EXPLAIN (ANALYZE, SUMMARY, FORMAT JSON) ${s.sql}`, s.params)).rows;
            await c.query('ROLLBACK');
            plan.push(row['QUERY PLAN'][0]['Planning Time']);
            exec.push(row['QUERY PLAN'][0]['Execution Time']);
          }
          if (median(exec) > 200) { const r = await c.query(`EXPLAIN (ANALYZE, BUFFERS) ${s.sql}`, s.params); console.log(s.sql); console.log(r.rows.map((x: any) => x['QUERY PLAN']).join('\n')); }
          console.log(`plan ${median(plan).toFixed(3)} exec ${median(exec).toFixed(3)}  ${s.sql.replace(/\s+/g, ' ').slice(0, 90)}`);
        }
      });
    }
  } finally {
    await dropDatabase(db);
  }
}
main();
