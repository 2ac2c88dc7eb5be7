import { randomUUID } from 'node:crypto';
import { expectFieldError, expectProblem } from '../support/expect';
import { createOrganization, creditCode } from '../support/factories';
import { Response, startTestApp, TestApp } from '../support/test-app';

describe('Idempotency-Key', () => {
  let t: TestApp;
  let platformOrgId: string;
  beforeAll(async () => {
    t = await startTestApp();
    platformOrgId = (await t.request('GET', '/v1/me')).body.organization.id;
  });
  afterAll(async () => t?.close());

  const orgBody = (overrides: Record<string, string> = {}): Record<string, string> => ({
    kind: 'hr_firm',
    name: 'Idempotent HR Co',
    creditCode: creditCode('310104'),
    regionCode: '310104',
    ...overrides,
  });
  const post = (body: unknown, idempotencyKey: string, key?: string): Promise<Response> =>
    t.request('POST', '/v1/organizations', { key, body, headers: { 'idempotency-key': idempotencyKey } });
  const orgsWithCode = async (code: string): Promise<number> =>
    (await t.dataSource.query(`SELECT count(*)::int AS n FROM organizations WHERE credit_code = $1`, [code]))[0].n;
  const totals = async (): Promise<Record<string, number>> =>
    (
      await t.dataSource.query(
        `SELECT (SELECT count(*)::int FROM organizations) AS organizations, (SELECT count(*)::int FROM api_keys) AS api_keys,
                (SELECT count(*)::int FROM audit_log WHERE action <> 'read') AS audit, (SELECT count(*)::int FROM outbox_events) AS outbox`,
      )
    )[0];

  it('replays the first response to the same key and body, doing the work once', async () => {
    const key = randomUUID();
    const body = orgBody();
    const first = await post(body, key);
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const before = await totals();

    // The same body with its fields in another order is the same request.
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    for (const again of [body, reordered]) {
      const replay = await post(again, key);
      expect(replay.status).toBe(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(String(replay.headers['content-type'])).toMatch(/^application\/json/);
      expect(replay.body).toEqual(first.body);
      expect(replay.headers.location).toBe(first.headers.location);
    }
    expect(await orgsWithCode(body.creditCode)).toBe(1);
    expect(await totals()).toEqual(before);
    // The replayed key is the one that was created, and it works.
    expect((await t.request('GET', '/v1/me', { key: first.body.apiKey.secret })).body.apiKeyId).toBe(first.body.apiKey.id);
  });

  it('frees a key whose first request was abandoned mid-flight (its process died) after 15 minutes', async () => {
    const key = randomUUID();
    const { apiKeyId } = (await t.request('GET', '/v1/me')).body;
    // What a crash leaves behind: the record taken, never completed.
    await t.dataSource.query(
      `INSERT INTO idempotency_keys (api_key_id, key, request_hash, state, created_at) VALUES ($1, $2, '\\x00', 'in_progress', now() - interval '14 minutes')`,
      [apiKeyId, key],
    );
    // Still held at 14 minutes (for another body: 422; for the same one it would be 409 in progress).
    const held = orgBody();
    expectProblem(await post(held, key), 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(await orgsWithCode(held.creditCode)).toBe(0);
    await t.dataSource.query(`UPDATE idempotency_keys SET created_at = now() - interval '16 minutes' WHERE api_key_id = $1 AND key = $2`, [apiKeyId, key]);
    const body = orgBody();
    const res = await post(body, key);
    expect(res.status).toBe(201);
    expect(await orgsWithCode(body.creditCode)).toBe(1);
    const replay = await post(body, key);
    expect(replay.headers['idempotent-replayed']).toBe('true');
  });

  it('keeps no API key secret in clear for the replay', async () => {
    const key = randomUUID();
    const body = orgBody();
    const first = await post(body, key);
    expect(first.status).toBe(201);
    const secret: string = first.body.apiKey.secret;
    const [hits] = await t.dataSource.query(`SELECT count(*)::int AS n FROM idempotency_keys k WHERE position($1 in row_to_json(k)::text) > 0`, [secret.slice(4)]);
    expect(hits.n).toBe(0);
    // The replay still answers the same body to the same API key.
    const replay = await post(body, key);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
  });

  it('answers 422 IDEMPOTENCY_KEY_REUSED to the same key with another body, doing nothing', async () => {
    const key = randomUUID();
    const body = orgBody();
    expect((await post(body, key)).status).toBe(201);
    const before = await totals();
    const other = orgBody();
    const res = await post(other, key);
    expectProblem(res, 422, 'IDEMPOTENCY_KEY_REUSED');
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    expect(await orgsWithCode(other.creditCode)).toBe(0);
    expect(await totals()).toEqual(before);
    // A one-field difference counts too.
    expectProblem(await post({ ...body, name: `${body.name} ` }, key), 422, 'IDEMPOTENCY_KEY_REUSED');
    // The same key on another route is another request.
    expectProblem(await t.request('POST', `/v1/organizations/${platformOrgId}/api-keys`, { headers: { 'idempotency-key': key } }), 422, 'IDEMPOTENCY_KEY_REUSED');
  });

  it('replays a 4xx answer too: a validation failure', async () => {
    const key = randomUUID();
    const body = orgBody({ regionCode: '990000' });
    const first = await post(body, key);
    expectProblem(first, 400, 'INVALID_REGION_CODE');
    const replay = await post(body, key);
    expect(replay.status).toBe(400);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(String(replay.headers['content-type'])).toMatch(/^application\/problem\+json/);
    expect(replay.body).toEqual(first.body);
  });

  it('replays a 4xx answer too: a conflict, even once the conflict is gone', async () => {
    const taken = orgBody();
    expect((await t.request('POST', '/v1/organizations', { body: taken })).status).toBe(201);
    const key = randomUUID();
    const first = await post({ ...taken, name: 'Second claimant' }, key);
    expectProblem(first, 409, 'DUPLICATE_CREDIT_CODE');
    const replay = await post({ ...taken, name: 'Second claimant' }, key);
    expect(replay.status).toBe(409);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect(await orgsWithCode(taken.creditCode)).toBe(1);
  });

  it('does not store refusals that happen before the route runs (401, 403)', async () => {
    const key = randomUUID();
    const hr = await createOrganization(t, 'hr_firm', '310104');
    const body = orgBody();
    expectProblem(await post(body, key, hr.key), 403, 'FORBIDDEN');
    expectProblem(await post(body, key, hr.key), 403, 'FORBIDDEN');
    expectProblem(await post(body, key, null as unknown as string), 401, 'UNAUTHENTICATED');
    const [records] = await t.dataSource.query(`SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1`, [key]);
    expect(records.n).toBe(0);
  });

  it('scopes keys to the API key: another key with the same Idempotency-Key does its own work', async () => {
    const secondPlatformKey = await t.request('POST', `/v1/organizations/${platformOrgId}/api-keys`);
    expect(secondPlatformKey.status).toBe(201);
    const other = secondPlatformKey.body.secret as string;

    const key = randomUUID();
    const a = orgBody();
    const first = await post(a, key);
    expect(first.status).toBe(201);
    // Another body under the same Idempotency-Key is not a reuse for the other API key: it creates.
    const b = orgBody();
    const second = await post(b, key, other);
    expect(second.status).toBe(201);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(second.body.organization.id).not.toBe(first.body.organization.id);
    expect(await orgsWithCode(b.creditCode)).toBe(1);

    // The same body under the same Idempotency-Key is not replayed to the other API key: it does the work
    // again, which here finds the credit code taken.
    const key2 = randomUUID();
    const c = orgBody();
    expect((await post(c, key2)).status).toBe(201);
    const theirs = await post(c, key2, other);
    expectProblem(theirs, 409, 'DUPLICATE_CREDIT_CODE');
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
  });

  it('lets each organization use the same Idempotency-Key when creating its own API keys', async () => {
    const hr = await createOrganization(t, 'hr_firm', '310104');
    const key = 'create-key-1';
    const mine = await t.request('POST', `/v1/organizations/${hr.id}/api-keys`, { key: hr.key, headers: { 'idempotency-key': key } });
    const platforms = await t.request('POST', `/v1/organizations/${hr.id}/api-keys`, { headers: { 'idempotency-key': key } });
    expect(mine.status).toBe(201);
    expect(platforms.status).toBe(201);
    expect(platforms.body.id).not.toBe(mine.body.id);
    const replay = await t.request('POST', `/v1/organizations/${hr.id}/api-keys`, { key: hr.key, headers: { 'idempotency-key': key } });
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(mine.body);
    const [n] = await t.dataSource.query(`SELECT count(*)::int AS n FROM api_keys WHERE organization_id = $1`, [hr.id]);
    expect(n.n).toBe(3);
  });

  it('concurrent duplicates: exactly one creates, the others replay or get 409 IDEMPOTENCY_IN_PROGRESS', async () => {
    for (let round = 0; round < 3; round++) {
      const key = randomUUID();
      const body = orgBody();
      const results = await Promise.all(Array.from({ length: 5 }, () => post(body, key)));
      const created = results.filter((r) => r.status === 201 && r.headers['idempotent-replayed'] === undefined);
      expect(created).toHaveLength(1);
      for (const r of results) {
        if (r === created[0]) continue;
        if (r.status === 201) {
          expect(r.headers['idempotent-replayed']).toBe('true');
          expect(r.body).toEqual(created[0].body);
        } else {
          expectProblem(r, 409, 'IDEMPOTENCY_IN_PROGRESS');
          expect(String(r.headers['retry-after'])).toMatch(/^\d+$/);
        }
      }
      expect(await orgsWithCode(body.creditCode)).toBe(1);
      // Once settled, a retry is a replay.
      const later = await post(body, key);
      expect(later.status).toBe(201);
      expect(later.headers['idempotent-replayed']).toBe('true');
      expect(later.body).toEqual(created[0].body);
    }
  });

  it('concurrent different bodies under one key: one creates, none of the others does any work', async () => {
    const key = randomUUID();
    const bodies = Array.from({ length: 5 }, () => orgBody());
    const results = await Promise.all(bodies.map((b) => post(b, key)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 201)) expect([409, 422]).toContain(r.status);
    let createdCount = 0;
    for (const b of bodies) createdCount += await orgsWithCode(b.creditCode);
    expect(createdCount).toBe(1);
  });

  it.each([
    ['too long', 'k'.repeat(256)],
    ['with a space', 'my key'],
    ['empty', ''],
  ])('refuses an Idempotency-Key that is %s with 400, doing nothing', async (_label, key) => {
    const before = await totals();
    const res = await post(orgBody(), key);
    expectFieldError(res, 'VALIDATION_FAILED', 'Idempotency-Key');
    expect(await totals()).toEqual(before);
  });

  it('accepts a key of 255 printable characters', async () => {
    const key = `${'~'.repeat(219)}${randomUUID()}`;
    expect(key).toHaveLength(255);
    const body = orgBody();
    expect((await post(body, key)).status).toBe(201);
    expect((await post(body, key)).headers['idempotent-replayed']).toBe('true');
  });

  it('ignores the header on GET', async () => {
    const a = await t.request('GET', '/v1/me', { headers: { 'idempotency-key': 'get-1' } });
    expect(a.status).toBe(200);
    expect(a.headers['idempotent-replayed']).toBeUndefined();
    const b = await t.request('GET', '/v1/me', { headers: { 'idempotency-key': 'get-1' } });
    expect(b.headers['idempotent-replayed']).toBeUndefined();
  });

  it('without the header, each POST does its own work', async () => {
    const body = orgBody();
    expect((await t.request('POST', '/v1/organizations', { body })).status).toBe(201);
    expectProblem(await t.request('POST', '/v1/organizations', { body }), 409, 'DUPLICATE_CREDIT_CODE');
  });
});
