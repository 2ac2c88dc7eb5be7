import { randomBytes } from 'node:crypto';
import { BOOTSTRAP_PLATFORM_CREDIT_CODE } from '../../src/organizations/bootstrap';
import { hashApiKeySecret } from '../../src/common/auth/api-key-secret';
import { expectProblem } from '../support/expect';
import { startTestApp, TestApp } from '../support/test-app';

describe('bootstrap admin key', () => {
  let t: TestApp;
  const others: TestApp[] = [];
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    // Apps sharing the database close first; the owner drops it.
    for (const o of others) await o.close();
    await t?.close();
  });

  /** Another instance of the same deployment: same database, same BOOTSTRAP_ADMIN_KEY unless told otherwise. */
  async function anotherInstance(bootstrapKey = t.platformKey): Promise<TestApp> {
    const app = await startTestApp({ BOOTSTRAP_ADMIN_KEY: bootstrapKey }, { databaseUrl: t.databaseUrl });
    others.push(app);
    return app;
  }

  const platformOrgs = async (): Promise<Array<{ id: string; credit_code: string }>> =>
    t.dataSource.query(`SELECT id, credit_code FROM organizations WHERE kind = 'platform'`);
  const keysWithSecret = async (secret: string): Promise<Array<{ id: string; organization_id: string; revoked_at: Date | null }>> =>
    t.dataSource.query(`SELECT id, organization_id, revoked_at FROM api_keys WHERE secret_hash = $1`, [hashApiKeySecret(secret)]);

  it('creates one platform organization holding a key of exactly that secret', async () => {
    const orgs = await platformOrgs();
    expect(orgs).toHaveLength(1);
    expect(orgs[0].credit_code).toBe(BOOTSTRAP_PLATFORM_CREDIT_CODE);
    const keys = await keysWithSecret(t.platformKey);
    expect(keys).toHaveLength(1);
    expect(keys[0].organization_id).toBe(orgs[0].id);
    const me = await t.request('GET', '/v1/me');
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ organization: expect.objectContaining({ id: orgs[0].id, kind: 'platform' }), apiKeyId: keys[0].id });
    const audit = await t.dataSource.query(`SELECT actor_organization_id FROM audit_log WHERE action = 'api_key.bootstrap' AND object_id = $1`, [keys[0].id]);
    expect(audit).toEqual([{ actor_organization_id: null }]);
  });

  it('a second start on the same database with the same key creates nothing new, and the key still works', async () => {
    const [orgsBefore, keysBefore] = await Promise.all([platformOrgs(), t.dataSource.query(`SELECT count(*)::int AS n FROM api_keys`)]);
    const second = await anotherInstance();
    expect(await platformOrgs()).toEqual(orgsBefore);
    expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM api_keys`))[0].n).toBe(keysBefore[0].n);
    expect(await keysWithSecret(t.platformKey)).toHaveLength(1);
    const viaFirst = await t.request('GET', '/v1/me');
    const viaSecond = await second.request('GET', '/v1/me');
    expect(viaFirst.status).toBe(200);
    expect(viaSecond.status).toBe(200);
    expect(viaSecond.body).toEqual(viaFirst.body);
    expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'api_key.bootstrap'`))[0].n).toBe(1);
  });

  it('instances starting at once with a new key agree on one platform organization and one key', async () => {
    const fresh = `lbk_test_${randomBytes(24).toString('base64url')}`;
    const orgsBefore = await platformOrgs();
    await Promise.all([anotherInstance(fresh), anotherInstance(fresh), anotherInstance(fresh)]);
    expect(await platformOrgs()).toEqual(orgsBefore);
    const keys = await keysWithSecret(fresh);
    expect(keys).toHaveLength(1);
    expect(keys[0].organization_id).toBe(orgsBefore[0].id);
    const me = await t.request('GET', '/v1/me', { key: fresh });
    expect(me.status).toBe(200);
    expect(me.body.organization.kind).toBe('platform');
  });

  it('a revoked bootstrap key stays revoked across restarts', async () => {
    const doomed = `lbk_test_${randomBytes(24).toString('base64url')}`;
    await anotherInstance(doomed);
    const [key] = await keysWithSecret(doomed);
    const orgId = (await platformOrgs())[0].id;
    expect((await t.request('DELETE', `/v1/organizations/${orgId}/api-keys/${key.id}`)).status).toBe(204);
    const restarted = await anotherInstance(doomed);
    expectProblem(await restarted.request('GET', '/v1/me', { key: doomed }), 401, 'UNAUTHENTICATED');
    const keys = await keysWithSecret(doomed);
    expect(keys).toHaveLength(1);
    expect(keys[0].revoked_at).not.toBeNull();
  });
});
