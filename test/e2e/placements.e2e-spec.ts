import { createBrand, createCertifiedBrand, SEED_BRANDS } from '../support/brands';
import { createOrganization, OrgWithKey } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { registerTrainee } from '../support/trainees';

const today = (): string => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);

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
