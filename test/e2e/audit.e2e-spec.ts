import { eventually, expectProblem, sleep } from '../support/expect';
import { createOrganization, creditCode } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';

describe('audit log', () => {
  let t: TestApp;
  let platform: { organizationId: string; apiKeyId: string };
  beforeAll(async () => {
    t = await startTestApp();
    const me = (await t.request('GET', '/v1/me')).body;
    platform = { organizationId: me.organization.id, apiKeyId: me.apiKeyId };
  });
  afterAll(async () => t?.close());

  const auditRows = (where: string, params: unknown[]): Promise<any[]> =>
    t.dataSource.query(`SELECT *, xmin::text AS tx FROM audit_log WHERE ${where} ORDER BY id`, params);

  it('creating an organization writes its audit entry and event in the same transaction', async () => {
    const res = await t.request('POST', '/v1/organizations', { body: { kind: 'bureau', name: 'Audit Bureau', creditCode: creditCode('310000'), regionCode: '310000' } });
    expect(res.status).toBe(201);
    const id = res.body.organization.id;
    const rows = await auditRows(`action = 'organization.create' AND object_id = $1`, [id]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toEqual(
      expect.objectContaining({
        actor_organization_id: platform.organizationId,
        actor_api_key_id: platform.apiKeyId,
        object_type: 'organization',
        details: expect.objectContaining({ kind: 'bureau', regionCode: '310000', apiKeyId: res.body.apiKey.id }),
      }),
    );
    expect(Math.abs(new Date(rows[0].occurred_at).getTime() - Date.now())).toBeLessThan(60_000);
    // No personal or secret data in the entry.
    expect(JSON.stringify(rows[0])).not.toContain(res.body.apiKey.secret);
    // One transaction: the organization, its key, the audit entry and the outbox event share a transaction id.
    const [org] = await t.dataSource.query(`SELECT xmin::text AS tx FROM organizations WHERE id = $1`, [id]);
    const [key] = await t.dataSource.query(`SELECT xmin::text AS tx FROM api_keys WHERE id = $1`, [res.body.apiKey.id]);
    const events = await t.dataSource.query(`SELECT xmin::text AS tx, type FROM outbox_events WHERE aggregate_id = $1`, [id]);
    expect(events).toEqual([{ tx: org.tx, type: 'organization.created' }]);
    expect(key.tx).toBe(org.tx);
    expect(rows[0].tx).toBe(org.tx);
  });

  it('a failed duplicate create adds no audit entry and no event', async () => {
    const body = { kind: 'hr_firm', name: 'Audit HR', creditCode: creditCode('310104'), regionCode: '310104' };
    expect((await t.request('POST', '/v1/organizations', { body })).status).toBe(201);
    const count = async (): Promise<{ audit: number; outbox: number }> =>
      (await t.dataSource.query(`SELECT (SELECT count(*)::int FROM audit_log WHERE action <> 'read') AS audit, (SELECT count(*)::int FROM outbox_events) AS outbox`))[0];
    const before = await count();
    expectProblem(await t.request('POST', '/v1/organizations', { body: { ...body, name: 'Copycat' } }), 409, 'DUPLICATE_CREDIT_CODE');
    expectProblem(await t.request('POST', '/v1/organizations', { body: { ...body, regionCode: 'x' } }), 400, 'INVALID_REGION_CODE');
    expect(await count()).toEqual(before);
  });

  it('creating and revoking keys is audited once each', async () => {
    const org = await createOrganization(t, 'employer', '310104');
    const created = await t.request('POST', `/v1/organizations/${org.id}/api-keys`, { key: org.key });
    expect(created.status).toBe(201);
    const createRows = await auditRows(`action = 'api_key.create' AND object_id = $1`, [created.body.id]);
    expect(createRows).toHaveLength(1);
    expect(createRows[0]).toEqual(expect.objectContaining({ actor_organization_id: org.id, actor_api_key_id: org.apiKeyId, object_type: 'api_key' }));
    // Revoked by several requests at once: recorded once.
    const results = await Promise.all(Array.from({ length: 4 }, () => t.request('DELETE', `/v1/organizations/${org.id}/api-keys/${created.body.id}`, { key: org.key })));
    expect(results.map((r) => r.status)).toEqual([204, 204, 204, 204]);
    const revokeRows = await auditRows(`action = 'api_key.revoke' AND object_id = $1`, [created.body.id]);
    expect(revokeRows).toHaveLength(1);
    expect(revokeRows[0]).toEqual(expect.objectContaining({ actor_organization_id: org.id, actor_api_key_id: org.apiKeyId, details: { organizationId: org.id } }));
  });

  it('is append-only: UPDATE, DELETE and TRUNCATE fail', async () => {
    const [{ n: before }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM audit_log`);
    expect(before).toBeGreaterThan(0);
    await expect(t.dataSource.query(`UPDATE audit_log SET action = 'tampered'`)).rejects.toThrow(/append-only/);
    await expect(t.dataSource.query(`UPDATE audit_log SET details = '{}'::jsonb WHERE id = (SELECT min(id) FROM audit_log)`)).rejects.toThrow(/append-only/);
    await expect(t.dataSource.query(`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
    await expect(t.dataSource.query(`DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)`)).rejects.toThrow(/append-only/);
    await expect(t.dataSource.query(`TRUNCATE audit_log`)).rejects.toThrow(/append-only/);
    const [{ n: after, tampered }] = await t.dataSource.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE action = 'tampered')::int AS tampered FROM audit_log`);
    expect(after).toBe(before);
    expect(tampered).toBe(0);
    // Appending still works.
    await t.dataSource.query(`INSERT INTO audit_log (action, object_type) VALUES ('test.append', 'test')`);
  });

  it("records the platform's reads, and not other organizations' reads", async () => {
    const subject = await createOrganization(t, 'hr_firm', '210102');
    const reader = await createOrganization(t, 'bureau', '210000');
    expect((await t.request('GET', `/v1/organizations/${subject.id}`, { key: reader.key })).status).toBe(200);
    expect((await t.request('GET', `/v1/organizations/${subject.id}`)).status).toBe(200);

    const { value: rows } = await eventually(2000, async () => {
      const r = await auditRows(`action = 'read' AND object_id = $1`, [subject.id]);
      return r.length ? r : undefined;
    }, 'platform read audited');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toEqual(
      expect.objectContaining({ actor_organization_id: platform.organizationId, actor_api_key_id: platform.apiKeyId, object_type: '/v1/organizations/:id' }),
    );

    // A list read by the platform is recorded too (no object id).
    expect((await t.request('GET', '/v1/organizations?kind=bureau')).status).toBe(200);
    await eventually(2000, async () => {
      const r = await auditRows(`action = 'read' AND object_type = '/v1/organizations' AND actor_organization_id = $1`, [platform.organizationId]);
      return r.length ? r : undefined;
    }, 'platform list read audited');

    await sleep(100);
    const byReader = await auditRows(`action = 'read' AND actor_organization_id = $1`, [reader.id]);
    expect(byReader).toHaveLength(0);
  });
});
