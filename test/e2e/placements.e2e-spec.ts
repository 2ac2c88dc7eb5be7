import { Client } from 'pg';
import { createBrand, createCertifiedBrand, SEED_BRANDS } from '../support/brands';
import { eventually, expectProblem, ISO_INSTANT } from '../support/expect';
import { createOrganization, OrgWithKey } from '../support/factories';
import { chinaDate } from '../support/placements';
import { startTestApp, TestApp } from '../support/test-app';
import { registerTrainee } from '../support/trainees';

const today = (): string => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);


/** Records the text of every statement sent to Postgres (each a round trip), named prepared ones included. */
function recordStatements(statements: string[]): jest.SpyInstance {
  const query = Client.prototype.query as (...args: unknown[]) => unknown;
  return jest.spyOn(Client.prototype, 'query').mockImplementation(function (this: Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string };
    statements.push(typeof first === 'string' ? first : (first?.text ?? ''));
    return query.apply(this, args);
  } as never);
}

describe('placements', () => {
  let t: TestApp;
  let firm: OrgWithKey;
  let otherFirm: OrgWithKey;
  let bureau: OrgWithKey;
  let farBureau: OrgWithKey;
  let employer: OrgWithKey;
  let otherEmployer: OrgWithKey;
  let brand: any;

  beforeAll(async () => {
    t = await startTestApp();
    [firm, otherFirm, bureau, farBureau, employer, otherEmployer] = await Promise.all([
      createOrganization(t, 'hr_firm', '310104'),
      createOrganization(t, 'hr_firm', '310110'),
      createOrganization(t, 'bureau', '310100'),
      createOrganization(t, 'bureau', '210100'),
      createOrganization(t, 'employer', '310104'),
      createOrganization(t, 'employer', '310115'),
    ]);
    brand = await createCertifiedBrand(t, firm.key, bureau.key, SEED_BRANDS.xuhuiAiTrainer);
  });
  afterAll(async () => t?.close());

  const propose = (key: string, body: Record<string, unknown>) => t.request('POST', '/v1/placements', { key, body });
  const proposal = (traineeId: string, overrides: Record<string, unknown> = {}) => ({
    traineeId,
    employerId: employer.id,
    jobTitle: 'AI训练师',
    workRegionCode: '310104',
    salaryFen: 1_500_000,
    salaryPeriod: 'monthly',
    startDate: today(),
    ...overrides,
  });

  it('proposes, confirms, changes salary and ends, with the trainee status following and a full timeline', async () => {
    const trainee = await registerTrainee(t, firm.key, brand.id);
    const proposed = await propose(firm.key, proposal(trainee.id));
    expect(proposed.status).toBe(201);
    expect(proposed.headers.location).toBe(`/v1/placements/${proposed.body.id}`);
    expect(proposed.body).toMatchObject({
      traineeId: trainee.id,
      brandId: brand.id,
      employerId: employer.id,
      proposedById: firm.id,
      occupationCode: '4-04-05-05',
      salaryFen: 1_500_000,
      salaryPeriod: 'monthly',
      annualSalaryFen: 18_000_000,
      status: 'proposed',
      confirmedAt: null,
      version: 1,
    });
    const id = proposed.body.id;

    const confirmed = await t.request('POST', `/v1/placements/${id}/confirm`, { key: employer.key, body: { salaryFen: 1_600_000 } });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ status: 'confirmed', salaryFen: 1_600_000, annualSalaryFen: 19_200_000, version: 2 });
    expect(confirmed.body.confirmedAt).toMatch(/Z$/);
    expect((await t.request('GET', `/v1/trainees/${trainee.id}`, { key: firm.key })).body.status).toBe('placed');

    const raised = await t.request('POST', `/v1/placements/${id}/salary-changes`, { key: employer.key, body: { salaryFen: 250_000_000, salaryPeriod: 'annual', effectiveDate: today() } });
    expect(raised.status).toBe(200);
    expect(raised.body).toMatchObject({ salaryFen: 250_000_000, salaryPeriod: 'annual', annualSalaryFen: 250_000_000, status: 'confirmed' });

    const ended = await t.request('POST', `/v1/placements/${id}/end`, { key: firm.key, body: { endDate: today(), reason: 'contract ended' } });
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ status: 'ended', endDate: today(), endReason: 'contract ended' });
    expect((await t.request('GET', `/v1/trainees/${trainee.id}`, { key: firm.key })).body.status).toBe('completed');

    const events = await t.request('GET', `/v1/placements/${id}/events`, { key: employer.key });
    expect(events.status).toBe(200);
    expect(events.body.items.map((e: { type: string }) => e.type)).toEqual(['placement.proposed', 'placement.confirmed', 'placement.salary_changed', 'placement.ended']);
    expect(events.body.items[1]).toMatchObject({ actorOrganizationId: employer.id, data: expect.objectContaining({ placementId: id, traineeId: trainee.id, annualSalaryFen: 19_200_000 }) });
    // Events carry ids and facts, never the person.
    expect(JSON.stringify(events.body)).not.toContain('张伟');
    expect(JSON.stringify(events.body)).not.toContain('13812345678'); // the phone registerTrainee gives (a bare '138' also turns up in random ids)
    const history = await t.dataSource.query(`SELECT annual_salary_fen::int AS a FROM placement_salary_changes WHERE placement_id = $1 ORDER BY seq`, [id]);
    expect(history.map((h: { a: number }) => h.a)).toEqual([18_000_000, 19_200_000, 250_000_000]);
  });

  it('a confirmation as proposed (the one-statement path) writes what the general path writes', async () => {
    const trainee = await registerTrainee(t, firm.key, brand.id);
    const { body: p } = await propose(firm.key, proposal(trainee.id));
    const confirmed = await t.request('POST', `/v1/placements/${p.id}/confirm`, { key: employer.key });
    expect(confirmed.status).toBe(200);
    expect(confirmed.headers.etag).toBe('"2"');
    expect(confirmed.body).toEqual({ ...p, status: 'confirmed', version: 2, confirmedAt: expect.stringMatching(/Z$/), updatedAt: expect.stringMatching(/Z$/) });
    expect((await t.request('GET', `/v1/placements/${p.id}`, { key: firm.key })).body).toEqual(confirmed.body);
    const trainee2 = await t.request('GET', `/v1/trainees/${trainee.id}`, { key: firm.key });
    expect(trainee2.body).toMatchObject({ status: 'placed', version: 2 });
    const events = await t.request('GET', `/v1/placements/${p.id}/events`, { key: employer.key });
    expect(events.body.items[1]).toEqual({
      id: expect.any(String),
      type: 'placement.confirmed',
      occurredAt: expect.stringMatching(/Z$/),
      actorOrganizationId: employer.id,
      data: {
        placementId: p.id, traineeId: trainee.id, brandId: brand.id, employerId: employer.id, status: 'confirmed',
        salaryFen: 1_500_000, salaryPeriod: 'monthly', annualSalaryFen: 18_000_000, startDate: p.startDate,
        confirmedAt: confirmed.body.confirmedAt, endDate: null, version: 2,
      },
    });
    const audit = await t.dataSource.query(`SELECT actor_organization_id, actor_api_key_id, details FROM audit_log WHERE object_id = $1 AND action = 'placement.confirm'`, [p.id]);
    expect(audit).toEqual([{ actor_organization_id: employer.id, actor_api_key_id: employer.apiKeyId, details: { status: 'confirmed' } }]);
  });

  it('a trainee withdrawn or erased after the proposal cannot be placed (409), and nothing changes', async () => {
    for (const change of ['withdraw', 'erase']) {
      const trainee = await registerTrainee(t, firm.key, brand.id);
      const { body: p } = await propose(firm.key, proposal(trainee.id));
      if (change === 'withdraw') await t.request('PATCH', `/v1/trainees/${trainee.id}`, { key: firm.key, body: { status: 'withdrawn' } });
      else await t.request('POST', `/v1/trainees/${trainee.id}/erase`, { key: firm.key });
      const res = await t.request('POST', `/v1/placements/${p.id}/confirm`, { key: employer.key });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('INVALID_TRANSITION');
      expect((await t.request('GET', `/v1/placements/${p.id}`, { key: firm.key })).body).toMatchObject({ status: 'proposed', version: 1 });
    }
  });

  it('one open placement per trainee, a certified brand, an employer organization', async () => {
    const trainee = await registerTrainee(t, firm.key, brand.id);
    expect((await propose(firm.key, proposal(trainee.id))).status).toBe(201);
    const second = await propose(firm.key, proposal(trainee.id, { employerId: otherEmployer.id }));
    expect(second.status).toBe(409);
    expect(second.body.code).toBe('TRAINEE_HAS_OPEN_PLACEMENT');

    const notEmployer = await propose(firm.key, proposal((await registerTrainee(t, firm.key, brand.id)).id, { employerId: bureau.id }));
    expect(notEmployer.status).toBe(400);
    expect(notEmployer.body.errors[0].field).toBe('employerId');

    const draft = await createBrand(t, firm.key, { name: '草稿品牌' });
    const draftTrainee = await registerTrainee(t, firm.key, draft.id);
    const uncertified = await propose(firm.key, proposal(draftTrainee.id));
    expect(uncertified.status).toBe(409);
    expect(uncertified.body.code).toBe('BRAND_NOT_CERTIFIED');
    expect(await t.dataSource.query(`SELECT 1 FROM placements WHERE trainee_id = $1`, [draftTrainee.id])).toHaveLength(0);
  });

  it('the database itself refuses a second open placement', async () => {
    const trainee = await registerTrainee(t, firm.key, brand.id);
    await propose(firm.key, proposal(trainee.id));
    await expect(
      t.dataSource.query(
        `INSERT INTO placements (trainee_id, brand_id, employer_id, proposed_by_id, job_title, work_region_code, salary_fen, salary_period, annual_salary_fen, start_date, status)
         SELECT trainee_id, brand_id, employer_id, proposed_by_id, job_title, work_region_code, salary_fen, salary_period, annual_salary_fen, start_date, 'proposed' FROM placements WHERE trainee_id = $1`,
        [trainee.id],
      ),
    ).rejects.toThrow(/ux_placements_open_per_trainee/);
  });

  it('who may do what: 403 for a visible placement, 404 for an invisible one', async () => {
    const trainee = await registerTrainee(t, firm.key, brand.id);
    const { body: p } = await propose(firm.key, proposal(trainee.id));
    // Only the named employer confirms.
    for (const key of [firm.key, bureau.key, t.platformKey]) {
      const res = await t.request('POST', `/v1/placements/${p.id}/confirm`, { key, body: {} });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('FORBIDDEN');
    }
    for (const key of [otherFirm.key, otherEmployer.key, farBureau.key]) {
      expect((await t.request('POST', `/v1/placements/${p.id}/confirm`, { key, body: {} })).status).toBe(404);
      expect((await t.request('GET', `/v1/placements/${p.id}`, { key })).status).toBe(404);
      expect((await t.request('GET', `/v1/placements/${p.id}/events`, { key })).status).toBe(404);
    }
    for (const key of [firm.key, employer.key, bureau.key, t.platformKey]) {
      expect((await t.request('GET', `/v1/placements/${p.id}`, { key })).status).toBe(200);
    }
    // Only the operator withdraws; an employer, a bureau or another firm may not propose.
    expect((await t.request('POST', `/v1/placements/${p.id}/withdraw`, { key: employer.key })).status).toBe(403);
    for (const key of [employer.key, bureau.key]) expect((await propose(key, proposal(trainee.id))).body.code).toBe('FORBIDDEN');
    expect((await propose(otherFirm.key, proposal(trainee.id))).status).toBe(404);
    // The employer now sees the trainee; others without a placement still do not.
    expect((await t.request('GET', `/v1/trainees/${trainee.id}`, { key: employer.key })).status).toBe(200);
    expect((await t.request('GET', `/v1/trainees/${trainee.id}`, { key: employer.key })).body.phone).toBeNull();
    expect((await t.request('GET', `/v1/trainees/${trainee.id}`, { key: otherEmployer.key })).status).toBe(404);

    const withdrawn = await t.request('POST', `/v1/placements/${p.id}/withdraw`, { key: firm.key });
    expect(withdrawn.body.status).toBe('withdrawn');
    const late = await t.request('POST', `/v1/placements/${p.id}/confirm`, { key: employer.key, body: {} });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('INVALID_TRANSITION');
    // A withdrawn proposal no longer blocks a new one.
    expect((await propose(firm.key, proposal(trainee.id))).status).toBe(201);
  });

  it('dozens of concurrent transitions of one placement: exactly one succeeds', async () => {
    const trainee = await registerTrainee(t, firm.key, brand.id);
    const { body: p } = await propose(firm.key, proposal(trainee.id));
    const attempts = Array.from({ length: 36 }, (_, i) => {
      if (i % 3 === 0) return t.request('POST', `/v1/placements/${p.id}/confirm`, { key: employer.key, body: {} });
      if (i % 3 === 1) return t.request('POST', `/v1/placements/${p.id}/reject`, { key: employer.key, body: { reason: `r${i}` } });
      return t.request('POST', `/v1/placements/${p.id}/withdraw`, { key: firm.key });
    });
    const results = await Promise.all(attempts);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(35);
    const events = await t.dataSource.query(`SELECT count(*)::int AS n FROM outbox_events WHERE aggregate_id = $1`, [p.id]);
    expect(events[0].n).toBe(2);
  });

  it('optimistic concurrency and input checks', async () => {
    const trainee = await registerTrainee(t, firm.key, brand.id);
    const { body: p } = await propose(firm.key, proposal(trainee.id));
    const stale = await t.request('POST', `/v1/placements/${p.id}/confirm`, { key: employer.key, body: {}, headers: { 'if-match': '"7"' } });
    expect(stale.status).toBe(409);
    expect(stale.body.code).toBe('VERSION_CONFLICT');
    for (const body of [{ status: 'confirmed' }, { salaryFen: -1 }, { salaryPeriod: 'weekly' }, { startDate: '2026-02-30' }]) {
      const res = await t.request('POST', `/v1/placements/${p.id}/confirm`, { key: employer.key, body });
      expect(res.status).toBe(400);
    }
    for (const body of [proposal(trainee.id, { salaryFen: 0 }), proposal(trainee.id, { workRegionCode: '999999' }), proposal(trainee.id, { traineeId: 'x' }), { ...proposal(trainee.id), id: p.id }]) {
      expect((await propose(firm.key, body)).status).toBe(400);
    }
    await t.request('POST', `/v1/placements/${p.id}/confirm`, { key: employer.key, body: {}, headers: { 'if-match': '"1"' } });
    const future = await t.request('POST', `/v1/placements/${p.id}/end`, { key: employer.key, body: { endDate: '2999-01-01', reason: 'x' } });
    expect(future.status).toBe(400);
    const salaryByOperator = await t.request('POST', `/v1/placements/${p.id}/salary-changes`, { key: firm.key, body: { salaryFen: 1, salaryPeriod: 'monthly', effectiveDate: today() } });
    expect(salaryByOperator.status).toBe(403);
  });

  describe('salary changes and ends (one statement when the named employer reports them)', () => {
    const change = (id: string, body: Record<string, unknown>, headers: Record<string, string> = {}, key = employer.key) =>
      t.request('POST', `/v1/placements/${id}/salary-changes`, { key, body, headers });
    const monthly = (salaryFen: number, effectiveDate: string) => ({ salaryFen, salaryPeriod: 'monthly', effectiveDate });

    /** A placement confirmed as proposed (version 2), started `startDate`, at 15,000 a month. */
    const confirmedPlacement = async (startDate: string): Promise<any> => {
      const trainee = await registerTrainee(t, firm.key, brand.id);
      const { body: p } = await propose(firm.key, proposal(trainee.id, { startDate }));
      const confirmed = await t.request('POST', `/v1/placements/${p.id}/confirm`, { key: employer.key });
      expect(confirmed.status).toBe(200);
      return confirmed.body;
    };

    /** Everything a salary change writes: the placement, its events, its audit entries and its salary history. */
    const written = async (id: string) => ({
      placement: (await t.request('GET', `/v1/placements/${id}`, { key: firm.key })).body,
      events: (await t.request('GET', `/v1/placements/${id}/events?limit=100`, { key: employer.key })).body.items,
      audit: await t.dataSource.query(
        `SELECT actor_organization_id, actor_api_key_id, action, object_type, object_id, brand_id, details FROM audit_log WHERE object_id = $1 ORDER BY id`,
        [id],
      ),
      history: await t.dataSource.query(
        `SELECT salary_fen::int AS "salaryFen", salary_period AS "salaryPeriod", annual_salary_fen::int AS "annualSalaryFen", effective_date::text AS "effectiveDate",
                actor_organization_id AS "actorOrganizationId"
           FROM placement_salary_changes WHERE placement_id = $1 ORDER BY seq`,
        [id],
      ),
    });

    /** The salary_changed event and audit entry the general path has always written for placement `p` as it is now. */
    const salaryChangedEvent = (p: any) => ({
      id: expect.any(String),
      type: 'placement.salary_changed',
      occurredAt: expect.stringMatching(ISO_INSTANT),
      actorOrganizationId: employer.id,
      data: {
        placementId: p.id, traineeId: p.traineeId, brandId: brand.id, employerId: employer.id, status: 'confirmed',
        salaryFen: p.salaryFen, salaryPeriod: p.salaryPeriod, annualSalaryFen: p.annualSalaryFen, startDate: p.startDate,
        confirmedAt: p.confirmedAt, endDate: null, version: p.version,
      },
    });
    const salaryChangeAudit = (p: any) => ({
      actor_organization_id: employer.id, actor_api_key_id: employer.apiKeyId, action: 'placement.change_salary', object_type: 'placement', object_id: p.id,
      brand_id: brand.id, details: { status: 'confirmed' },
    });

    it('answers and writes what the transaction did: the placement, the event, the audit entry, the history', async () => {
      const p = await confirmedPlacement(chinaDate(-30));
      const before = await written(p.id);
      const raised = await change(p.id, monthly(1_800_000, chinaDate(-10)));
      expect(raised.status).toBe(200);
      expect(raised.headers.etag).toBe('"3"');
      expect(raised.body).toEqual({ ...p, salaryFen: 1_800_000, annualSalaryFen: 21_600_000, version: 3, updatedAt: expect.stringMatching(ISO_INSTANT) });
      expect(raised.body.updatedAt >= p.updatedAt).toBe(true);
      const after = await written(p.id);
      expect(after.placement).toEqual(raised.body);
      expect(after.events).toEqual([...before.events, salaryChangedEvent(raised.body)]);
      expect(after.audit).toEqual([...before.audit, salaryChangeAudit(p)]);
      expect(after.history).toEqual([
        ...before.history,
        { salaryFen: 1_800_000, salaryPeriod: 'monthly', annualSalaryFen: 21_600_000, effectiveDate: chinaDate(-10), actorOrganizationId: employer.id },
      ]);

      const annual = await change(p.id, { salaryFen: 250_000_000, salaryPeriod: 'annual', effectiveDate: chinaDate() });
      expect(annual.body).toEqual({ ...raised.body, salaryFen: 250_000_000, salaryPeriod: 'annual', annualSalaryFen: 250_000_000, version: 4, updatedAt: expect.stringMatching(ISO_INSTANT) });
      expect((await written(p.id)).events.at(-1)).toEqual(salaryChangedEvent(annual.body));
    });

    it('runs as one statement: no transaction, no locking read, one round trip for the whole change', async () => {
      const p = await confirmedPlacement(chinaDate(-5));
      const statements: string[] = [];
      const spy = recordStatements(statements);
      let res;
      try {
        res = await change(p.id, monthly(1_600_000, chinaDate()));
      } finally {
        spy.mockRestore();
      }
      expect(res.status).toBe(200);
      // Authentication reads the key (api_keys, organizations); everything of the change itself is one statement.
      const ofTheChange = statements.filter((sql) => /placement|outbox_events|audit_log|START TRANSACTION|COMMIT|ROLLBACK/i.test(sql));
      expect(ofTheChange).toHaveLength(1);
      for (const table of ['UPDATE placements', 'INSERT INTO placement_salary_changes', 'INSERT INTO outbox_events', 'INSERT INTO audit_log']) expect(ofTheChange[0]).toContain(table);
    });

    it('a back-dated correction goes into the history only; the same or a later date becomes the current salary', async () => {
      const p = await confirmedPlacement(chinaDate(-30));
      const raised = (await change(p.id, monthly(1_800_000, chinaDate(-10)))).body;
      const before = await written(p.id);

      const corrected = await change(p.id, monthly(1_700_000, chinaDate(-20)));
      expect(corrected.status).toBe(200);
      expect(corrected.headers.etag).toBe('"4"');
      // Only the version and the time of the change move: the salary of the 10th day before today stays current.
      expect(corrected.body).toEqual({ ...raised, version: 4, updatedAt: expect.stringMatching(ISO_INSTANT) });
      const after = await written(p.id);
      expect(after.placement).toEqual(corrected.body);
      expect(after.events).toEqual([...before.events, salaryChangedEvent(corrected.body)]);
      expect(after.events.at(-1).data).toMatchObject({ salaryFen: 1_800_000, annualSalaryFen: 21_600_000, version: 4 });
      expect(after.audit).toEqual([...before.audit, salaryChangeAudit(p)]);
      expect(after.history).toEqual([
        ...before.history,
        { salaryFen: 1_700_000, salaryPeriod: 'monthly', annualSalaryFen: 20_400_000, effectiveDate: chinaDate(-20), actorOrganizationId: employer.id },
      ]);

      // The same effective date as the latest: the newer report is the current salary.
      const sameDay = await change(p.id, { salaryFen: 20_000_000, salaryPeriod: 'annual', effectiveDate: chinaDate(-10) });
      expect(sameDay.body).toMatchObject({ salaryFen: 20_000_000, salaryPeriod: 'annual', annualSalaryFen: 20_000_000, version: 5 });
      const onStart = await change(p.id, monthly(1_000_000, p.startDate));
      expect(onStart.body).toMatchObject({ salaryFen: 20_000_000, annualSalaryFen: 20_000_000, version: 6 });
      expect((await written(p.id)).history.map((h: { salaryFen: number }) => h.salaryFen)).toEqual([1_500_000, 1_800_000, 1_700_000, 20_000_000, 1_000_000]);
    });

    it('If-Match: another version is refused as before (409, nothing written); the current one or * is accepted', async () => {
      const p = await confirmedPlacement(chinaDate(-30));
      const before = await written(p.id);
      for (const ifMatch of ['"1"', '3', 'W/"7"']) {
        const stale = await change(p.id, monthly(1_800_000, chinaDate()), { 'if-match': ifMatch });
        expectProblem(stale, 409, 'VERSION_CONFLICT');
        expect(stale.body.detail).toBe(`Placement is at version 2, not ${ifMatch.replace(/\D/g, '')}; read it again and retry`);
      }
      expectProblem(await change(p.id, monthly(1_800_000, chinaDate()), { 'if-match': '"x"' }), 400, 'VALIDATION_FAILED');
      expect(await written(p.id)).toEqual(before);

      const current = await change(p.id, monthly(1_800_000, chinaDate()), { 'if-match': '"2"' });
      expect(current.status).toBe(200);
      expect(current.body).toMatchObject({ salaryFen: 1_800_000, version: 3 });
      const any = await change(p.id, monthly(1_900_000, chinaDate()), { 'if-match': '*' });
      expect(any.body).toMatchObject({ salaryFen: 1_900_000, version: 4 });
    });

    it('an effective date before the start or in the future, or a placement not running: the same answer as before, nothing written', async () => {
      const p = await confirmedPlacement(chinaDate(-30));
      const before = await written(p.id);
      const early = await change(p.id, monthly(1_800_000, chinaDate(-31)));
      expectProblem(early, 400, 'VALIDATION_FAILED');
      expect(early.body.detail).toBe(`effectiveDate may not be before the start date ${chinaDate(-30)}`);
      expect(early.body.errors).toEqual([{ field: 'effectiveDate', code: 'BEFORE_START', message: `effectiveDate may not be before the start date ${chinaDate(-30)}` }]);
      const future = await change(p.id, monthly(1_800_000, chinaDate(1)));
      expectProblem(future, 400, 'VALIDATION_FAILED');
      expect(future.body.errors).toEqual([{ field: 'effectiveDate', code: 'IN_FUTURE', message: 'effectiveDate may not be in the future' }]);
      // The checks come in the order they always did: the version before the dates.
      expectProblem(await change(p.id, monthly(1_800_000, chinaDate(-31)), { 'if-match': '"1"' }), 409, 'VERSION_CONFLICT');
      expect(await written(p.id)).toEqual(before);

      const trainee = await registerTrainee(t, firm.key, brand.id);
      const { body: proposed } = await propose(firm.key, proposal(trainee.id));
      const notYet = await change(proposed.id, monthly(1_800_000, chinaDate()));
      expectProblem(notYet, 409, 'INVALID_TRANSITION');
      expect(notYet.body.detail).toBe('Cannot change_salary: cannot change_salary a proposed placement; only a confirmed one');
      expect(await t.request('POST', `/v1/placements/${p.id}/end`, { key: employer.key, body: { endDate: chinaDate(), reason: 'contract ended' } })).toMatchObject({ status: 200 });
      const ended = await written(p.id);
      const late = await change(p.id, monthly(1_800_000, chinaDate()));
      expectProblem(late, 409, 'INVALID_TRANSITION');
      expect(late.body.detail).toBe('Cannot change_salary: cannot change_salary a ended placement; only a confirmed one');
      expect(await written(p.id)).toEqual(ended);
      expect((await written(proposed.id)).events).toHaveLength(1);
    });

    it('anyone but the named employer: 403 where the placement is visible, 404 where not, nothing written', async () => {
      const p = await confirmedPlacement(chinaDate(-30));
      const before = await written(p.id);
      for (const key of [firm.key, bureau.key, t.platformKey]) {
        const res = await change(p.id, monthly(1_800_000, chinaDate()), {}, key);
        expectProblem(res, 403, 'FORBIDDEN');
        expect(res.body.detail).toBe('Only the named employer may change_salary this placement');
      }
      for (const key of [otherEmployer.key, otherFirm.key, farBureau.key]) {
        const res = await change(p.id, monthly(1_800_000, chinaDate()), {}, key);
        expectProblem(res, 404, 'NOT_FOUND');
        expect(res.body.detail).toBe('Placement not found');
      }
      expectProblem(await change('00000000-0000-4000-8000-000000000000', monthly(1_800_000, chinaDate())), 404, 'NOT_FOUND');
      expect(await written(p.id)).toEqual(before);
    });

    it('a change that waited for another sees it: the later effective date stays current whoever commits last', async () => {
      const p = await confirmedPlacement(chinaDate(-30));
      const locker = new Client({ connectionString: t.databaseUrl });
      await locker.connect();
      try {
        const [{ pid: lockerPid }] = (await locker.query('SELECT pg_backend_pid() AS pid')).rows;
        // Read from the pool: inside its transaction the locker would see one frozen snapshot of pg_stat_activity. (The
        // text shown is cut at track_activity_query_size: a long select may show its columns only, hence 'placement'.)
        const waiting = (n: number) =>
          eventually(10_000, async () => {
            const [{ n: seen }] = await t.dataSource.query(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%placement%' AND pid <> $1`,
              [lockerPid],
            );
            return seen >= n ? true : undefined;
          }, `${n} salary changes waiting for the placement`);
        // Both changes read the history while the placement is locked, then wait: the second to go must not trust what it read.
        await locker.query('BEGIN');
        await locker.query('SELECT 1 FROM placements WHERE id = $1 FOR UPDATE', [p.id]);
        const later = change(p.id, monthly(1_900_000, chinaDate(-5)));
        await waiting(1);
        const earlier = change(p.id, monthly(1_700_000, chinaDate(-8)));
        await waiting(2);
        await locker.query('COMMIT');
        const [a, b] = await Promise.all([later, earlier]);
        expect([a.status, b.status]).toEqual([200, 200]);
        expect(a.body).toMatchObject({ salaryFen: 1_900_000, version: 3 });
        expect(b.body).toMatchObject({ salaryFen: 1_900_000, version: 4 });
      } finally {
        await locker.end();
      }
      const after = await written(p.id);
      expect(after.placement).toMatchObject({ salaryFen: 1_900_000, annualSalaryFen: 22_800_000, version: 4 });
      expect(after.events.slice(-2).map((e: any) => [e.data.version, e.data.salaryFen])).toEqual([[3, 1_900_000], [4, 1_900_000]]);
      expect(after.history.map((h: any) => [h.salaryFen, h.effectiveDate])).toEqual([[1_500_000, chinaDate(-30)], [1_900_000, chinaDate(-5)], [1_700_000, chinaDate(-8)]]);
    });

    it('concurrent changes of one placement queue on it: every one recorded, each event with the then current salary', async () => {
      const p = await confirmedPlacement(chinaDate(-40));
      // Distinct salaries, shuffled dates (some repeated): which one is current follows from the order they committed in.
      const offsets = [-3, -39, -12, -3, -25, 0, -7, -40, -18, -12, -1, -30];
      const results = await Promise.all(offsets.map((offset, i) => change(p.id, monthly(2_000_000 + i, chinaDate(offset)))));
      expect(results.map((r) => r.status)).toEqual(offsets.map(() => 200));
      expect(new Set(results.map((r) => r.body.version))).toEqual(new Set(offsets.map((_, i) => 3 + i)));

      const after = await written(p.id);
      const changes = after.history.slice(1);
      expect(changes).toHaveLength(offsets.length);
      // History in commit order (the row lock serialises the changes): the current salary after each is the latest effective date's, the newer on a tie.
      let current = after.history[0];
      const events = after.events.filter((e: any) => e.type === 'placement.salary_changed');
      changes.forEach((h: any, i: number) => {
        if (h.effectiveDate >= current.effectiveDate) current = h;
        expect(events[i].data).toMatchObject({ version: 3 + i, salaryFen: current.salaryFen, annualSalaryFen: current.annualSalaryFen });
        const answer = results.find((r) => r.body.version === 3 + i)!;
        expect(answer.body.salaryFen).toBe(current.salaryFen);
      });
      expect(after.placement).toMatchObject({ salaryFen: current.salaryFen, version: 2 + offsets.length });
      expect(current.effectiveDate).toBe(chinaDate(0));
      expect(after.audit.filter((a: any) => a.action === 'placement.change_salary')).toHaveLength(offsets.length);
    });

    const end = (id: string, body: Record<string, unknown>, headers: Record<string, string> = {}, key = employer.key) =>
      t.request('POST', `/v1/placements/${id}/end`, { key, body, headers });
    const traineeOf = async (p: any) => (await t.request('GET', `/v1/trainees/${p.traineeId}`, { key: firm.key })).body;

    it('an end by the employer answers and writes what the transaction did, in one statement, and the trainee is unplaced', async () => {
      const p = await confirmedPlacement(chinaDate(-30));
      const before = await written(p.id);
      const placed = await traineeOf(p);
      expect(placed.status).toBe('placed');
      const statements: string[] = [];
      const spy = recordStatements(statements);
      let ended;
      try {
        ended = await end(p.id, { endDate: chinaDate(-1), reason: 'contract ended' });
      } finally {
        spy.mockRestore();
      }
      expect(ended.status).toBe(200);
      expect(ended.headers.etag).toBe('"3"');
      expect(ended.body).toEqual({
        ...p, status: 'ended', endDate: chinaDate(-1), endReason: 'contract ended', endedAt: expect.stringMatching(ISO_INSTANT), closedAt: ended.body.endedAt, version: 3,
        updatedAt: ended.body.endedAt,
      });

      const after = await written(p.id);
      expect(after.placement).toEqual(ended.body);
      expect(after.events).toEqual([
        ...before.events,
        { ...salaryChangedEvent(ended.body), type: 'placement.ended', data: { ...salaryChangedEvent(ended.body).data, status: 'ended', endDate: chinaDate(-1) } },
      ]);
      expect(after.audit).toEqual([...before.audit, { ...salaryChangeAudit(p), action: 'placement.end', details: { status: 'ended' } }]);
      expect(after.history).toEqual(before.history);
      expect(await traineeOf(p)).toMatchObject({ status: 'completed', version: placed.version + 1 });
      // All of it in one statement (authentication's reads of the key aside).
      const ofTheEnd = statements.filter((sql) => /placement|trainees|outbox_events|audit_log|START TRANSACTION|COMMIT|ROLLBACK/i.test(sql));
      expect(ofTheEnd).toHaveLength(1);
      for (const table of ['UPDATE placements', 'UPDATE trainees', 'INSERT INTO outbox_events', 'INSERT INTO audit_log']) expect(ofTheEnd[0]).toContain(table);
    });

    it('an end refused (dates, version, status, caller): the same answer as before, nothing written, the trainee still placed', async () => {
      const p = await confirmedPlacement(chinaDate(-30));
      const before = await written(p.id);
      const placed = await traineeOf(p);
      const early = await end(p.id, { endDate: chinaDate(-31), reason: 'x' });
      expectProblem(early, 400, 'VALIDATION_FAILED');
      expect(early.body.errors).toEqual([{ field: 'endDate', code: 'BEFORE_START', message: `endDate may not be before the start date ${chinaDate(-30)}` }]);
      const future = await end(p.id, { endDate: chinaDate(1), reason: 'x' });
      expectProblem(future, 400, 'VALIDATION_FAILED');
      expect(future.body.errors).toEqual([{ field: 'endDate', code: 'IN_FUTURE', message: 'endDate may not be in the future; report the end once it has happened' }]);
      const stale = await end(p.id, { endDate: chinaDate(), reason: 'x' }, { 'if-match': '"1"' });
      expectProblem(stale, 409, 'VERSION_CONFLICT');
      expect(stale.body.detail).toBe('Placement is at version 2, not 1; read it again and retry');
      for (const key of [bureau.key, t.platformKey]) {
        const res = await end(p.id, { endDate: chinaDate(), reason: 'x' }, {}, key);
        expectProblem(res, 403, 'FORBIDDEN');
        expect(res.body.detail).toBe("Only the employer or the brand's operator may end this placement");
      }
      for (const key of [otherEmployer.key, otherFirm.key]) expectProblem(await end(p.id, { endDate: chinaDate(), reason: 'x' }, {}, key), 404, 'NOT_FOUND');
      expect(await written(p.id)).toEqual(before);
      expect(await traineeOf(p)).toEqual(placed);

      const trainee = await registerTrainee(t, firm.key, brand.id);
      const { body: proposed } = await propose(firm.key, proposal(trainee.id));
      const notYet = await end(proposed.id, { endDate: chinaDate(), reason: 'x' });
      expectProblem(notYet, 409, 'INVALID_TRANSITION');
      expect(notYet.body.detail).toBe('Cannot end: cannot end a proposed placement; only a confirmed one');

      expect((await end(p.id, { endDate: chinaDate(), reason: 'x' }, { 'if-match': '"2"' })).status).toBe(200);
      const once = await written(p.id);
      const again = await end(p.id, { endDate: chinaDate(), reason: 'x' });
      expectProblem(again, 409, 'INVALID_TRANSITION');
      expect(await written(p.id)).toEqual(once);
    });

    it("the brand's operator still ends a job (the general path), with the same event and entry", async () => {
      const p = await confirmedPlacement(chinaDate(-30));
      const ended = await end(p.id, { endDate: chinaDate(), reason: 'contract ended' }, {}, firm.key);
      expect(ended.status).toBe(200);
      expect(ended.body).toMatchObject({ status: 'ended', endDate: chinaDate(), version: 3 });
      const after = await written(p.id);
      expect(after.events.at(-1)).toMatchObject({ type: 'placement.ended', actorOrganizationId: firm.id, data: { status: 'ended', endDate: chinaDate(), version: 3 } });
      expect(after.audit.at(-1)).toMatchObject({ actor_organization_id: firm.id, action: 'placement.end', details: { status: 'ended' } });
      expect((await traineeOf(p)).status).toBe('completed');
    });

    it('ends and salary changes of one placement at once: one end, changes only before it, the trainee unplaced once', async () => {
      const p = await confirmedPlacement(chinaDate(-30));
      const placed = await traineeOf(p);
      const results = await Promise.all([
        ...Array.from({ length: 6 }, (_, i) => change(p.id, monthly(2_000_000 + i, chinaDate(-i)))),
        end(p.id, { endDate: chinaDate(), reason: 'by the employer' }),
        end(p.id, { endDate: chinaDate(), reason: 'by the operator' }, {}, firm.key),
        end(p.id, { endDate: chinaDate(), reason: 'by the employer again' }),
      ]);
      const ends = results.slice(6);
      expect(ends.filter((r) => r.status === 200)).toHaveLength(1);
      expect(ends.filter((r) => r.status === 409).map((r) => r.body.code)).toEqual(['INVALID_TRANSITION', 'INVALID_TRANSITION']);
      const endedAt = ends.find((r) => r.status === 200)!.body.version;
      for (const r of results.slice(0, 6)) {
        if (r.status === 200) expect(r.body.version).toBeLessThan(endedAt);
        else expectProblem(r, 409, 'INVALID_TRANSITION');
      }
      const after = await written(p.id);
      expect(after.placement).toMatchObject({ status: 'ended', version: endedAt });
      expect(after.events.map((e: any) => e.data.version)).toEqual([1, ...Array.from({ length: endedAt - 1 }, (_, i) => 2 + i)]);
      expect(after.history).toHaveLength(1 + results.slice(0, 6).filter((r) => r.status === 200).length);
      expect(await traineeOf(p)).toMatchObject({ status: 'completed', version: placed.version + 1 });
    });
  });

  it('lists placements in each caller\'s scope', async () => {
    const ids = (res: any): string[] => res.body.items.map((p: { id: string }) => p.id);
    const trainee = await registerTrainee(t, firm.key, brand.id);
    const { body: p } = await propose(firm.key, proposal(trainee.id, { employerId: otherEmployer.id }));
    expect(ids(await t.request('GET', '/v1/placements?limit=500', { key: firm.key }))).toContain(p.id);
    expect(ids(await t.request('GET', '/v1/placements?limit=500', { key: otherEmployer.key }))).toEqual([p.id]);
    expect(ids(await t.request('GET', '/v1/placements?limit=500', { key: employer.key }))).not.toContain(p.id);
    expect(ids(await t.request('GET', '/v1/placements?limit=500', { key: bureau.key }))).toContain(p.id);
    expect(ids(await t.request('GET', '/v1/placements?limit=500', { key: farBureau.key }))).toEqual([]);
    expect(ids(await t.request('GET', '/v1/placements?limit=500', { key: otherFirm.key }))).toEqual([]);
    expect(ids(await t.request('GET', `/v1/placements?traineeId=${trainee.id}`, { key: firm.key }))).toEqual([p.id]);
    expect(ids(await t.request('GET', `/v1/placements?status=proposed&employerId=${otherEmployer.id}`, { key: t.platformKey }))).toEqual([p.id]);
    expect((await t.request('GET', '/v1/placements?status=bogus', { key: firm.key })).status).toBe(400);
  });
});
