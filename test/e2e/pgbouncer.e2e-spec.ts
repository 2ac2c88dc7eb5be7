import { DataSource } from 'typeorm';
import { getDataSourceToken } from '@nestjs/typeorm';
import { OutboxRelay } from '../../src/events/outbox-relay';
import { DIRECT_DATA_SOURCE } from '../../src/database/transactions';
import { expectIdempotency, expectPlacementFlow, castOf } from '../support/main-flows';
import { Pgbouncer } from '../support/pgbouncer';
import { createTestDatabase, dropTestDatabase, startTestApp, TestApp } from '../support/test-app';
import { registerTrainee } from '../support/trainees';

/**
 * DATABASE_URL through Debian's PgBouncer in transaction mode (started here on a spare port, stopped afterwards),
 * DATABASE_DIRECT_URL on Postgres itself for the relay's LISTEN and long imports: the main flows pass, and nothing
 * relies on session state a pooled connection would lose.
 */
describe('behind PgBouncer in transaction mode', () => {
  let bouncer: Pgbouncer;
  let databaseUrl: string;
  let t: TestApp;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    bouncer = await Pgbouncer.start(databaseUrl, 5);
    t = await startTestApp(
      { DATABASE_URL: bouncer.urlFor(databaseUrl), DATABASE_DIRECT_URL: databaseUrl, OUTBOX_POLL_MS: '60000', DATABASE_POOL_SIZE: '20' },
      { worker: true, databaseUrl: bouncer.urlFor(databaseUrl) },
    );
  }, 60_000);
  afterAll(async () => {
    try {
      if (t) await t.close();
      await bouncer?.stop();
    } finally {
      if (databaseUrl) await dropTestDatabase(databaseUrl);
    }
  });

  it('uses PgBouncer for the pool and Postgres itself for sessions', async () => {
    expect(t.config.databasePooled).toBe(true);
    const [{ port }] = await t.dataSource.query(`SELECT inet_server_port() AS port`);
    // Through PgBouncer the server port seen is Postgres's; the pool's own settings tell it goes through the bouncer.
    expect(Number(port)).toBe(Number(new URL(databaseUrl).port || 5432));
    expect((t.dataSource.options as { url?: string }).url).toBe(bouncer.urlFor(databaseUrl));
    const direct = t.app.get<DataSource>(getDataSourceToken(DIRECT_DATA_SOURCE));
    expect((direct.options as { url?: string }).url).toBe(databaseUrl);
    // The server connections carry the statement timeout PgBouncer sets (the app cannot send it through it).
    const [{ statement_timeout }] = await t.dataSource.query(`SHOW statement_timeout`);
    expect(statement_timeout).toBe('30s');
  });

  it('registers trainees, proposes and confirms placements, relays the events and updates the statistics', async () => {
    await expectPlacementFlow(t, 5);
  });

  it('wakes the relay by LISTEN on the direct connection: an event is relayed long before the poll would', async () => {
    // The poll is a minute apart (OUTBOX_POLL_MS): only the notification can deliver in time.
    const relay = t.app.get(OutboxRelay);
    const before = relay.stats.delivered;
    const cast = await castOf(t, 1);
    const started = Date.now();
    await registerTrainee(t, cast.firm.key, cast.brandId);
    while (relay.stats.delivered === before && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 10));
    expect(relay.stats.delivered).toBeGreaterThan(before);
  });

  it('replays an Idempotency-Key and does the work once', async () => {
    await expectIdempotency(t);
  });

  it('imports trainees in one long transaction on the direct connection', async () => {
    const cast = await castOf(t, 1);
    const csv = ['fullName,nationalId,phone,targetGroups,cohort,expectedMonthlySalaryFen'];
    const { uniqueNationalId } = await import('../support/trainees');
    for (let i = 0; i < 50; i++) csv.push(`学员${i},${uniqueNationalId()},1380013${String(8000 + i).padStart(4, '0')},,2026,800000`);
    const res = await t.request('POST', `/v1/brands/${cast.brandId}/trainees/import`, { key: cast.firm.key, raw: csv.join('\n'), contentType: 'text/csv' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ received: 50, created: 50, rejected: 0 });
  });
});
