import type { QueryRunner } from 'typeorm';
import { Outbox } from '../../src/events/outbox.service';
import { createCertifiedBrand } from '../support/brands';
import type { DomainEvent } from '../../src/events/outbox.service';
import { appendEvents, testEvents } from '../support/events';
import { expectFieldError, expectProblem } from '../support/expect';
import { createOrganization, OrgWithKey } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { registerTrainee } from '../support/trainees';

/**
 * Events of a real type (the feed's answers are checked against the served document, which lists every type and its
 * data), without a brand, so only the platform reads them.
 */
const erasures = (count: number): DomainEvent[] =>
  testEvents(count, 'trainee.erased').map((e) => ({ ...e, aggregateType: 'trainee', data: { traineeId: e.aggregateId } }));

const today = (): string => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);

/**
 * GET /v1/events: oldest first, only what the caller may read, a cursor that always moves on and never skips an
 * event, even one whose transaction took its outbox position first and committed last.
 */
describe('event feed', () => {
  let t: TestApp;
  let outbox: Outbox;
  const open: QueryRunner[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    outbox = t.app.get(Outbox);
  });
  afterAll(async () => {
    for (const runner of open) await runner.release().catch(() => undefined);
    await t?.close();
  });

  const feed = (query: string, key = t.platformKey) => t.request('GET', `/v1/events${query}`, { key });
  // The feed never passes a transaction still running anywhere on the server (other tests' databases included),
  // so an event may take a moment to show: reads that expect one wait for it (`wait`), and `settled` waits until
  // everything written so far can be read.
  const WAIT = '&wait=30';
  const cursorAt = (xid: string, seq: string): string => Buffer.from(JSON.stringify([xid, seq])).toString('base64url');
  const lastPosition = async (): Promise<{ xid: string; seq: string }> =>
    (await t.dataSource.query(`SELECT xid::text AS xid, seq::text AS seq FROM outbox_events ORDER BY xid DESC, seq DESC LIMIT 1`))[0] ?? { xid: '0', seq: '1' };
  /** The cursor after every event written so far. */
  const head = async (): Promise<string> => {
    const last = await lastPosition();
    return cursorAt(last.xid, last.seq);
  };
  /** The first page after `after` that has events, following the cursor over empty answers (each a long poll). */
  const nextPage = async (after: string, limit = 1): Promise<{ items: any[]; nextCursor: string }> => {
    let cursor = after;
    for (let round = 0; round < 4; round++) {
      const res = await feed(`?limit=${limit}&after=${cursor}${WAIT}`);
      expect(res.status).toBe(200);
      if (res.body.items.length) return res.body;
      cursor = res.body.nextCursor;
    }
    throw new Error('no event came in 2 minutes');
  };
  const settled = async (): Promise<void> => {
    const last = await lastPosition();
    expect((await nextPage(cursorAt(last.xid, String(BigInt(last.seq) - 1n)))).items).toHaveLength(1);
  };
  /** A transaction of its own, left open until the test commits it. */
  const begin = async (): Promise<QueryRunner> => {
    const runner = t.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    open.push(runner);
    return runner;
  };

  it('never skips an event committed after a page was read with an earlier position (two commits out of order across a page boundary)', async () => {
    const start = await head();
    const [first] = await appendEvents(t.dataSource, outbox, erasures(1));

    // T1 takes its outbox position (seq) first and stays open; T2 takes the next one and commits.
    const t1 = await begin();
    const [late] = await outbox.append(t1.manager, null, erasures(1));
    const [early] = await appendEvents(t.dataSource, outbox, erasures(1));
    expect(BigInt(late.seq)).toBeLessThan(BigInt((await t.dataSource.query(`SELECT seq FROM outbox_events WHERE id = $1`, [early]))[0].seq));

    const page1 = { body: await nextPage(start) };
    expect(page1.body.items.map((e: any) => e.id)).toEqual([first]);
    const page2 = await feed(`?limit=1&after=${page1.body.nextCursor}`);
    // T2's event is committed, but T1 could still commit one before it: the feed waits for T1.
    expect(page2.body.items).toEqual([]);
    expect(page2.body.nextCursor).toEqual(expect.any(String));
    // What a reader paging by seq alone would have done: taken T2's event now, and passed over T1's for good.
    const bySeq = await t.dataSource.query(`SELECT id FROM outbox_events WHERE seq > (SELECT seq FROM outbox_events WHERE id = $1) ORDER BY seq`, [first]);
    expect(bySeq.map((r: any) => r.id)).toEqual([early]);

    await t1.commitTransaction();
    const page3 = { body: await nextPage(page2.body.nextCursor) };
    const page4 = { body: await nextPage(page3.body.nextCursor) };
    expect([...page3.body.items, ...page4.body.items].map((e: any) => e.id)).toEqual([late.id, early]);
    const page5 = await feed(`?limit=1&after=${page4.body.nextCursor}`);
    expect(page5.body.items).toEqual([]);
  });

  it('orders by transaction: a transaction that began writing first comes first, whatever its outbox position', async () => {
    const start = await head();
    const t1 = await begin();
    await t1.query('SELECT pg_current_xact_id()');
    const t2 = await begin();
    const [b] = await outbox.append(t2.manager, null, erasures(1));
    await t2.commitTransaction();
    const [a] = await outbox.append(t1.manager, null, erasures(1));
    expect(BigInt(a.seq)).toBeGreaterThan(BigInt(b.seq));
    const waiting = await feed(`?after=${start}`);
    expect(waiting.body.items).toEqual([]);
    await t1.commitTransaction();
    const page1 = { body: await nextPage(waiting.body.nextCursor) };
    const page2 = { body: await nextPage(page1.body.nextCursor) };
    expect([...page1.body.items, ...page2.body.items].map((e: any) => e.id)).toEqual([a.id, b.id]);
  });

  it('a rolled-back transaction holds the feed back only while it runs', async () => {
    const start = await head();
    const t1 = await begin();
    await outbox.append(t1.manager, null, erasures(1));
    const [kept] = await appendEvents(t.dataSource, outbox, erasures(1));
    expect((await feed(`?after=${start}`)).body.items).toEqual([]);
    await t1.rollbackTransaction();
    expect((await nextPage(start, 50)).items.map((e: any) => e.id)).toEqual([kept]);
  });

  it('records the writing transaction on every event, the one-statement confirmation included', async () => {
    const [row] = await t.dataSource.query(`SELECT count(*)::int AS n FROM outbox_events WHERE xid IS NULL OR xid <= 0`);
    expect(row.n).toBe(0);
    const runner = await begin();
    const [appended] = await outbox.append(runner.manager, null, erasures(1));
    const [mine] = await runner.query(`SELECT pg_current_xact_id()::text AS xid`);
    const [stored] = await runner.query(`SELECT xid::text AS xid FROM outbox_events WHERE id = $1`, [appended.id]);
    expect(stored.xid).toBe(mine.xid);
    await runner.commitTransaction();
  });

  describe('visibility and filters', () => {
    let firm: OrgWithKey;
    let otherFirm: OrgWithKey;
    let bureau: OrgWithKey;
    let farBureau: OrgWithKey;
    let employer: OrgWithKey;
    let otherEmployer: OrgWithKey;
    let brand: any;
    let placement: any;
    let start: string;

    beforeAll(async () => {
      start = await head();
      [firm, otherFirm, bureau, farBureau, employer, otherEmployer] = await Promise.all([
        createOrganization(t, 'hr_firm', '310104'),
        createOrganization(t, 'hr_firm', '310104'),
        createOrganization(t, 'bureau', '310000'),
        createOrganization(t, 'bureau', '440300'),
        createOrganization(t, 'employer', '310104'),
        createOrganization(t, 'employer', '310104'),
      ]);
      brand = await createCertifiedBrand(t, firm.key, bureau.key);
      const trainee = await registerTrainee(t, firm.key, brand.id);
      placement = (
        await t.request('POST', '/v1/placements', {
          key: firm.key,
          body: { traineeId: trainee.id, employerId: employer.id, jobTitle: 'AI训练师', workRegionCode: '310104', salaryFen: 1_500_000, salaryPeriod: 'monthly', startDate: today() },
        })
      ).body;
      expect((await t.request('POST', `/v1/placements/${placement.id}/confirm`, { key: employer.key })).status).toBe(200);
      await settled();
    });

    const all = async (key: string, query = ''): Promise<any[]> => {
      const items: any[] = [];
      let cursor = start;
      for (;;) {
        const page = await feed(`?limit=2&after=${cursor}${query}`, key);
        expect(page.status).toBe(200);
        items.push(...page.body.items);
        if (page.body.items.length === 0) return items;
        cursor = page.body.nextCursor;
      }
    };
    const types = (items: any[]): string[] => items.map((e) => e.type);

    it('shows each organization the events it may read, oldest first', async () => {
      const brandTypes = ['brand.created', 'brand.submitted', 'brand.certified', 'trainee.registered', 'placement.proposed', 'placement.confirmed'];
      expect(types(await all(firm.key))).toEqual(brandTypes);
      expect(types(await all(bureau.key))).toEqual(brandTypes);
      expect(types(await all(employer.key))).toEqual(['placement.proposed', 'placement.confirmed']);
      expect(await all(otherFirm.key)).toEqual([]);
      expect(await all(farBureau.key)).toEqual([]);
      expect(await all(otherEmployer.key)).toEqual([]);
      const everything = await all(t.platformKey);
      expect(types(everything)).toEqual([...Array(6).fill('organization.created'), ...brandTypes]);
      // Sequential writes come in the order they happened.
      const sequential = everything.slice(6).map((e) => e.occurredAt);
      expect([...sequential].sort()).toEqual(sequential);
    });

    it('gives each item its ids and data, the data as webhook deliveries carry it', async () => {
      const [, confirmed] = await all(employer.key);
      expect(confirmed).toEqual({
        id: expect.any(String),
        type: 'placement.confirmed',
        occurredAt: expect.stringMatching(/Z$/),
        brandId: brand.id,
        aggregateType: 'placement',
        aggregateId: placement.id,
        data: expect.objectContaining({ eventId: confirmed.id, brandId: brand.id, aggregateType: 'placement', aggregateId: placement.id, placementId: placement.id, employerId: employer.id, status: 'confirmed', version: 2 }),
      });
    });

    it('filters by types (exact or aggregate.*) and by brand', async () => {
      expect(types(await all(firm.key, '&types=placement.confirmed,brand.certified'))).toEqual(['brand.certified', 'placement.confirmed']);
      expect(types(await all(firm.key, '&types=placement.*'))).toEqual(['placement.proposed', 'placement.confirmed']);
      expect(types(await all(t.platformKey, `&brandId=${brand.id}&types=brand.*`))).toEqual(['brand.created', 'brand.submitted', 'brand.certified']);
      expect(await all(otherFirm.key, `&brandId=${brand.id}`)).toEqual([]);
      expectFieldError(await feed('?types=placement.confirm'), 'VALIDATION_FAILED', 'types', 'UNKNOWN_EVENT_TYPE');
    });
  });

  describe('the cursor and the long poll', () => {
    it('is always set, starts at the oldest event without one, and refuses one it did not hand out', async () => {
      await settled();
      const first = await feed('?limit=1');
      expect(first.body.items).toHaveLength(1);
      const [oldest] = await t.dataSource.query(`SELECT id FROM outbox_events ORDER BY xid, seq LIMIT 1`);
      expect(first.body.items[0].id).toBe(oldest.id);
      const cursor = await head();
      const empty = await feed(`?after=${cursor}`);
      expect(empty.status).toBe(200);
      expect(empty.body).toEqual({ items: [], nextCursor: expect.any(String) });
      for (const bad of ['abc', Buffer.from('["1"]').toString('base64url'), Buffer.from('["1","x"]').toString('base64url'), Buffer.from('["99999999999999999999","1"]').toString('base64url')]) {
        expectFieldError(await feed(`?after=${bad}`), 'VALIDATION_FAILED', 'after', 'INVALID_CURSOR');
      }
      for (const bad of ['?limit=0', '?limit=501', '?wait=31', '?wait=-1', '?wait=1.5', '?cursor=x', `?brandId=nope`]) {
        expectProblem(await feed(bad), 400, 'VALIDATION_FAILED');
      }
      expectProblem(await t.request('GET', '/v1/events', { key: null }), 401, 'UNAUTHENTICATED');
    });

    it('passes over events the caller may not read, without showing them', async () => {
      const employer = await createOrganization(t, 'employer');
      const cursor = await head();
      await appendEvents(t.dataSource, outbox, erasures(30));
      await settled();
      const page = await feed(`?after=${cursor}`, employer.key);
      expect(page.body.items).toEqual([]);
      // Its cursor moved past them: from there, even the platform finds nothing more.
      const platformPage = await feed(`?after=${page.body.nextCursor}`);
      expect(platformPage.body.items).toEqual([]);
    });

    it('wait holds an empty answer until an event arrives', async () => {
      const cursor = await head();
      const waiting = feed(`?after=${cursor}&wait=30`);
      await new Promise((r) => setTimeout(r, 300));
      const [id] = await appendEvents(t.dataSource, outbox, erasures(1));
      const res = await waiting;
      expect(res.status).toBe(200);
      expect(res.body.items.map((e: any) => e.id)).toEqual([id]);

      const quiet = await feed(`?after=${res.body.nextCursor}&wait=1`);
      expect(quiet.body).toEqual({ items: [], nextCursor: expect.any(String) });
    });
  });
});
