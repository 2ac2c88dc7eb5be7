import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { compactVerify, createLocalJWKSet, decodeProtectedHeader } from 'jose';
import { createBrand, createCertifiedBrand, SEED_BRANDS } from '../support/brands';
import { expectFieldError, expectProblem, ISO_INSTANT, UUID } from '../support/expect';
import { createOrganization, OrgWithKey } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { registerTrainee, uniqueNationalId } from '../support/trainees';

const chinaDate = (days = 0): string => new Date(Date.now() + 8 * 3_600_000 + days * 86_400_000).toISOString().slice(0, 10);
const SERIAL = /^LB-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

/** The JSON payload of a compact JWS, decoded by hand. */
const payloadOf = (jws: string): any => JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString('utf8'));

/** Replaces the character at `index` of a JWS with another base64url character: one changed byte. */
function tamper(jws: string, index: number): string {
  const replacement = jws[index] === 'A' ? 'B' : 'A';
  return jws.slice(0, index) + replacement + jws.slice(index + 1);
}

/** An independent verifier: Node's crypto alone, with the key picked from the JWKS by the header's kid. */
function nodeVerifies(jws: string, keySet: { keys: Array<Record<string, unknown>> }): boolean {
  const [header, payload, signature] = jws.split('.');
  const { kid, alg } = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
  if (alg !== 'EdDSA') return false;
  const jwk = keySet.keys.find((k) => k.kid === kid);
  if (!jwk) return false;
  const key = createPublicKey({ key: jwk as never, format: 'jwk' });
  return cryptoVerify(null, Buffer.from(`${header}.${payload}`, 'ascii'), key, Buffer.from(signature, 'base64url'));
}

async function joseVerifies(jws: string, keySet: { keys: Array<Record<string, unknown>> }): Promise<boolean> {
  try {
    await compactVerify(jws, createLocalJWKSet(keySet as never), { algorithms: ['EdDSA'] });
    return true;
  } catch {
    return false;
  }
}

describe('certifications', () => {
  let t: TestApp;
  let firm: OrgWithKey;
  let otherFirm: OrgWithKey;
  let bureau: OrgWithKey;
  let farBureau: OrgWithKey;
  let employer: OrgWithKey;
  let otherEmployer: OrgWithKey;
  let brand: any;

  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_BASE_URL: 'https://registry.example.cn' });
    [firm, otherFirm, bureau, farBureau, employer, otherEmployer] = await Promise.all([
      createOrganization(t, 'hr_firm', '310104', '上海徐汇人力资源有限公司'),
      createOrganization(t, 'hr_firm', '310110'),
      createOrganization(t, 'bureau', '310100', '上海市人力资源和社会保障局'),
      createOrganization(t, 'bureau', '210100'),
      createOrganization(t, 'employer', '310104'),
      createOrganization(t, 'employer', '310115'),
    ]);
    brand = await createCertifiedBrand(t, firm.key, bureau.key, SEED_BRANDS.xuhuiAiTrainer);
  });
  afterAll(async () => t?.close());

  const issue = (key: string, traineeId: string, body: unknown = { level: 3 }, headers?: Record<string, string>) =>
    t.request('POST', `/v1/trainees/${traineeId}/certifications`, { key, body, headers });
  const revoke = (key: string, id: string, body: unknown = { reason: 'assessment records falsified' }, headers?: Record<string, string>) =>
    t.request('POST', `/v1/certifications/${id}/revoke`, { key, body, headers });
  const publicCheck = (serial: string) => t.request('GET', `/v1/public/certifications/${serial}`, { key: null });
  const rowsOf = async (traineeId: string): Promise<number> => (await t.dataSource.query(`SELECT count(*)::int AS n FROM certifications WHERE trainee_id = $1`, [traineeId]))[0].n;

  it('the operator issues: 201 with Location, a random serial and a signed credential; event and audit written', async () => {
    const trainee = await registerTrainee(t, firm.key, brand.id);
    const validUntil = chinaDate(3 * 365);
    const res = await issue(firm.key, trainee.id, { level: 3, validUntil });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/v1/certifications/${res.body.id}`);
    expect(res.headers.etag).toBe('"1"');
    expect(res.body).toEqual({
      id: expect.stringMatching(UUID),
      serial: expect.stringMatching(SERIAL),
      traineeId: trainee.id,
      brandId: brand.id,
      occupationCode: '4-04-05-05',
      occupationName: '人工智能训练师',
      level: 3,
      levelName: '高级工 senior worker',
      issuerId: firm.id,
      issuedAt: expect.stringMatching(ISO_INSTANT),
      validUntil,
      status: 'active',
      valid: true,
      revokedAt: null,
      revokedById: null,
      revocationReason: null,
      holderNameMasked: '张*',
      credential: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      verificationUrl: `https://registry.example.cn/v1/public/certifications/${res.body.serial}`,
      version: 1,
      createdAt: expect.stringMatching(ISO_INSTANT),
    });

    const fetched = await t.request('GET', res.headers.location as string, { key: firm.key });
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(res.body);

    const credential = payloadOf(res.body.credential);
    expect(credential).toMatchObject({
      id: `urn:uuid:${res.body.id}`,
      type: ['VerifiableCredential', 'OpenBadgeCredential'],
      issuer: { id: `urn:uuid:${firm.id}`, name: '上海徐汇人力资源有限公司' },
      validFrom: res.body.issuedAt,
      validUntil: `${validUntil}T23:59:59+08:00`,
      credentialSubject: { name: '张*', source: { id: `urn:uuid:${brand.id}`, name: brand.name } },
      credentialStatus: { id: res.body.verificationUrl },
    });
    expect(credential.credentialSubject.achievement.id).toBe('urn:labor-brands:occupation:4-04-05-05:level:3');
    const [row] = await t.dataSource.query(`SELECT credential_key_id, holder_name_masked FROM certifications WHERE id = $1`, [res.body.id]);
    expect(row).toEqual({ credential_key_id: decodeProtectedHeader(res.body.credential).kid, holder_name_masked: '张*' });

    const [event] = await t.dataSource.query(`SELECT type, brand_id, actor_organization_id, data FROM outbox_events WHERE aggregate_id = $1`, [res.body.id]);
    expect(event).toMatchObject({ type: 'certification.issued', brand_id: brand.id, actor_organization_id: firm.id });
    expect(event.data).toMatchObject({ certificationId: res.body.id, traineeId: trainee.id, brandId: brand.id, level: 3, issuerId: firm.id });
    expect(JSON.stringify(event.data)).not.toMatch(/张|\*|310104\d{8}/);
    const audit = await t.dataSource.query(`SELECT action, actor_organization_id FROM audit_log WHERE object_id = $1`, [res.body.id]);
    expect(audit).toEqual([{ action: 'certification.issue', actor_organization_id: firm.id }]);
  });

  it('a bureau whose jurisdiction covers the brand issues too, under its own name', async () => {
    const trainee = await registerTrainee(t, firm.key, brand.id);
    const res = await issue(bureau.key, trainee.id, { level: 1 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ issuerId: bureau.id, level: 1, levelName: '高级技师 senior technician', validUntil: null, valid: true });
    const credential = payloadOf(res.body.credential);
    expect(credential.issuer).toEqual({ id: `urn:uuid:${bureau.id}`, type: ['Profile'], name: '上海市人力资源和社会保障局' });
    expect(credential).not.toHaveProperty('validUntil');
  });

  it('409 BRAND_NOT_CERTIFIED under a draft brand and after the brand is suspended; nothing written', async () => {
    const draft = await createBrand(t, firm.key, { name: '草稿品牌' });
    const draftTrainee = await registerTrainee(t, firm.key, draft.id);
    expectProblem(await issue(firm.key, draftTrainee.id), 409, 'BRAND_NOT_CERTIFIED');
    expectProblem(await issue(bureau.key, draftTrainee.id), 409, 'BRAND_NOT_CERTIFIED');
    expect(await rowsOf(draftTrainee.id)).toBe(0);

    const other = await createCertifiedBrand(t, firm.key, bureau.key, { name: '将被暂停的品牌' });
    const trainee = await registerTrainee(t, firm.key, other.id);
    expect((await issue(firm.key, trainee.id)).status).toBe(201);
    const suspended = await t.request('POST', `/v1/brands/${other.id}/suspend`, { key: bureau.key, body: { reason: 'audit pending' } });
    expect(suspended.status).toBe(200);
    expectProblem(await issue(firm.key, trainee.id), 409, 'BRAND_NOT_CERTIFIED');
    expectProblem(await issue(bureau.key, trainee.id), 409, 'BRAND_NOT_CERTIFIED');
    expect(await rowsOf(trainee.id)).toBe(1);
    // Reinstated: certifying again.
    await t.request('POST', `/v1/brands/${other.id}/reinstate`, { key: bureau.key, body: { reason: 'audit passed' } });
    expect((await issue(firm.key, trainee.id)).status).toBe(201);
  });

  it('withdrawn and erased trainees cannot be certified (409 INVALID_TRANSITION)', async () => {
    const withdrawn = await registerTrainee(t, firm.key, brand.id);
    expect((await t.request('PATCH', `/v1/trainees/${withdrawn.id}`, { key: firm.key, body: { status: 'withdrawn' } })).status).toBe(200);
    expectProblem(await issue(firm.key, withdrawn.id), 409, 'INVALID_TRANSITION');
    const erased = await registerTrainee(t, firm.key, brand.id);
    expect((await t.request('POST', `/v1/trainees/${erased.id}/erase`, { key: firm.key })).status).toBe(200);
    expectProblem(await issue(bureau.key, erased.id), 409, 'INVALID_TRANSITION');
    expect(await rowsOf(withdrawn.id)).toBe(0);
    expect(await rowsOf(erased.id)).toBe(0);
  });

  it('who may issue, read and list: 403 for a visible trainee, 404 for an invisible one', async () => {
    const trainee = await registerTrainee(t, firm.key, brand.id);
    // The employer with a placement sees the trainee; the other employer does not.
    const placed = await t.request('POST', '/v1/placements', {
      key: firm.key,
      body: { traineeId: trainee.id, employerId: employer.id, jobTitle: 'AI训练师', workRegionCode: '310104', salaryFen: 1_500_000, salaryPeriod: 'monthly', startDate: chinaDate() },
    });
    expect(placed.status).toBe(201);
    const { body: cert } = await issue(firm.key, trainee.id);

    for (const key of [t.platformKey, employer.key]) expectProblem(await issue(key, trainee.id), 403, 'FORBIDDEN');
    for (const key of [otherFirm.key, farBureau.key, otherEmployer.key]) expectProblem(await issue(key, trainee.id), 404, 'NOT_FOUND');
    expectProblem(await issue(firm.key, '00000000-0000-4000-8000-000000000000'), 404, 'NOT_FOUND');
    expectFieldError(await issue(firm.key, 'not-a-uuid'), 'VALIDATION_FAILED', 'id');

    for (const key of [firm.key, bureau.key, t.platformKey, employer.key]) {
      const list = await t.request('GET', `/v1/trainees/${trainee.id}/certifications`, { key });
      expect(list.status).toBe(200);
      expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([cert.id]);
      expect((await t.request('GET', `/v1/certifications/${cert.id}`, { key })).status).toBe(200);
    }
    for (const key of [otherFirm.key, farBureau.key, otherEmployer.key]) {
      expectProblem(await t.request('GET', `/v1/trainees/${trainee.id}/certifications`, { key }), 404, 'NOT_FOUND');
      expectProblem(await t.request('GET', `/v1/certifications/${cert.id}`, { key }), 404, 'NOT_FOUND');
      expectProblem(await revoke(key, cert.id), 404, 'NOT_FOUND');
    }
    expectProblem(await t.request('GET', '/v1/certifications/00000000-0000-4000-8000-000000000000', { key: firm.key }), 404, 'NOT_FOUND');
    expectFieldError(await t.request('GET', '/v1/certifications/123', { key: firm.key }), 'VALIDATION_FAILED', 'id');
    expectProblem(await t.request('GET', `/v1/certifications/${cert.id}`, { key: null }), 401, 'UNAUTHENTICATED');
    expect(await rowsOf(trainee.id)).toBe(1);
  });

  it('validates the issue body: level 1..5 as a number, validUntil after today, no other field', async () => {
    const trainee = await registerTrainee(t, firm.key, brand.id);
    const cases: Array<[unknown, string, string]> = [
      [{ level: 0 }, 'level', 'MIN'],
      [{ level: 6 }, 'level', 'MAX'],
      [{ level: '1' }, 'level', 'IS_INT'],
      [{ level: 2.5 }, 'level', 'IS_INT'],
      [{}, 'level', 'IS_INT'],
      [{ level: 3, validUntil: chinaDate(-1) }, 'validUntil', 'IS_FUTURE_DATE'],
      [{ level: 3, validUntil: chinaDate() }, 'validUntil', 'IS_FUTURE_DATE'],
      [{ level: 3, validUntil: '2030-02-30' }, 'validUntil', 'IS_CALENDAR_DATE'],
      [{ level: 3, validUntil: 20300101 }, 'validUntil', 'IS_CALENDAR_DATE'],
      [{ level: 3, serial: 'LB-0000-0000-0000-0000' }, 'serial', 'UNKNOWN_FIELD'],
      [{ level: 3, status: 'revoked' }, 'status', 'UNKNOWN_FIELD'],
      [{ level: 3, issuerId: otherFirm.id }, 'issuerId', 'UNKNOWN_FIELD'],
    ];
    for (const [body, field, code] of cases) expectFieldError(await issue(firm.key, trainee.id, body), 'VALIDATION_FAILED', field, code);
    expectProblem(await t.request('POST', `/v1/trainees/${trainee.id}/certifications`, { key: firm.key, raw: '{"level": 3', contentType: 'application/json' }), 400, 'MALFORMED_JSON');
    expect(await rowsOf(trainee.id)).toBe(0);
    // validUntil null means no end.
    expect((await issue(firm.key, trainee.id, { level: 5, validUntil: null })).body).toMatchObject({ level: 5, validUntil: null });
  });

  it('lists a trainee\'s certificates newest first, keyset-paginated', async () => {
    const trainee = await registerTrainee(t, firm.key, brand.id);
    const issued: string[] = [];
    for (const level of [5, 4, 3, 2, 1]) issued.push((await issue(level % 2 ? firm.key : bureau.key, trainee.id, { level })).body.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await t.request('GET', `/v1/trainees/${trainee.id}/certifications?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { key: bureau.key });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((c: { id: string }) => c.id));
      cursor = page.body.nextCursor;
      // A certificate issued meanwhile is newer than the cursor: never repeated, never shifting the pages.
      if (seen.length === 2) await issue(firm.key, trainee.id, { level: 3 });
    } while (cursor);
    expect(seen).toEqual([...issued].reverse());
    expectProblem(await t.request('GET', `/v1/trainees/${trainee.id}/certifications?limit=0`, { key: firm.key }), 400, 'VALIDATION_FAILED');
    expectProblem(await t.request('GET', `/v1/trainees/${trainee.id}/certifications?limit=501`, { key: firm.key }), 400, 'VALIDATION_FAILED');
    expectProblem(await t.request('GET', `/v1/trainees/${trainee.id}/certifications?cursor=bogus`, { key: firm.key }), 400, 'VALIDATION_FAILED');
    const empty = await t.request('GET', `/v1/trainees/${(await registerTrainee(t, firm.key, brand.id)).id}/certifications`, { key: firm.key });
    expect(empty.body).toEqual({ items: [], nextCursor: null });
  });

  it('revokes: the issuer or a covering bureau; others 403/404; twice 409; stale If-Match 409', async () => {
    const trainee = await registerTrainee(t, firm.key, brand.id);
    await t.request('POST', '/v1/placements', {
      key: firm.key,
      body: { traineeId: trainee.id, employerId: employer.id, jobTitle: 'AI训练师', workRegionCode: '310104', salaryFen: 1_500_000, salaryPeriod: 'monthly', startDate: chinaDate() },
    });
    const { body: byFirm } = await issue(firm.key, trainee.id, { level: 4 });
    const { body: byBureau } = await issue(bureau.key, trainee.id, { level: 2 });

    for (const key of [employer.key, t.platformKey]) expectProblem(await revoke(key, byFirm.id), 403, 'FORBIDDEN');
    // The operator did not issue the bureau's certificate.
    expectProblem(await revoke(firm.key, byBureau.id), 403, 'FORBIDDEN');
    expectProblem(await revoke(otherEmployer.key, byFirm.id), 404, 'NOT_FOUND');
    expectFieldError(await revoke(firm.key, byFirm.id, {}), 'VALIDATION_FAILED', 'reason');
    expectFieldError(await revoke(firm.key, byFirm.id, { reason: 'x', status: 'active' }), 'VALIDATION_FAILED', 'status', 'UNKNOWN_FIELD');
    expectProblem(await revoke(firm.key, byFirm.id, undefined, { 'if-match': '"2"' }), 409, 'VERSION_CONFLICT');

    const revoked = await revoke(firm.key, byFirm.id, { reason: 'assessment records falsified' }, { 'if-match': '"1"' });
    expect(revoked.status).toBe(200);
    expect(revoked.headers.etag).toBe('"2"');
    expect(revoked.body).toMatchObject({ id: byFirm.id, status: 'revoked', valid: false, revokedById: firm.id, revocationReason: 'assessment records falsified', version: 2, credential: byFirm.credential });
    expect(revoked.body.revokedAt).toMatch(ISO_INSTANT);
    expectProblem(await revoke(firm.key, byFirm.id), 409, 'INVALID_TRANSITION');
    expectProblem(await revoke(bureau.key, byFirm.id), 409, 'INVALID_TRANSITION');

    // A covering bureau revokes what the operator issued; the bureau's own certificate too.
    const { body: another } = await issue(firm.key, trainee.id, { level: 4 });
    expect((await revoke(bureau.key, another.id)).body).toMatchObject({ status: 'revoked', revokedById: bureau.id });
    expect((await revoke(bureau.key, byBureau.id)).body.status).toBe('revoked');
    expect((await t.request('GET', `/v1/certifications/${byFirm.id}`, { key: employer.key })).body.status).toBe('revoked');

    const events = await t.dataSource.query(`SELECT type, data FROM outbox_events WHERE aggregate_id = $1 ORDER BY seq`, [byFirm.id]);
    expect(events.map((e: { type: string }) => e.type)).toEqual(['certification.issued', 'certification.revoked']);
    expect(events[1].data).toMatchObject({ certificationId: byFirm.id, traineeId: trainee.id, brandId: brand.id, level: 4, issuerId: firm.id });
  });

  it('concurrent revocations of one certificate: exactly one succeeds', async () => {
    const trainee = await registerTrainee(t, firm.key, brand.id);
    const { body: cert } = await issue(firm.key, trainee.id);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => revoke(i % 2 ? firm.key : bureau.key, cert.id, { reason: `r${i}` })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(11);
    const events = await t.dataSource.query(`SELECT count(*)::int AS n FROM outbox_events WHERE aggregate_id = $1 AND type = 'certification.revoked'`, [cert.id]);
    expect(events[0].n).toBe(1);
  });

  it('an Idempotency-Key makes a retried issue safe: one certificate, the same answer', async () => {
    const trainee = await registerTrainee(t, firm.key, brand.id);
    const first = await issue(firm.key, trainee.id, { level: 2 }, { 'idempotency-key': `issue-${trainee.id}` });
    const again = await issue(firm.key, trainee.id, { level: 2 }, { 'idempotency-key': `issue-${trainee.id}` });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(again.headers.location).toBe(first.headers.location);
    expect(await rowsOf(trainee.id)).toBe(1);
  });

  it('the public route, without a key, shows a revocation at once and nothing personal', async () => {
    const nationalId = uniqueNationalId('male');
    const trainee = await registerTrainee(t, firm.key, brand.id, { fullName: '张三丰', nationalId, phone: '13912345678' });
    const { body: cert } = await issue(firm.key, trainee.id, { level: 2, validUntil: chinaDate(400) });

    const before = await publicCheck(cert.serial);
    expect(before.status).toBe(200);
    expect(before.headers['cache-control']).toBe('no-store');
    expect(before.body).toEqual({
      valid: true,
      serial: cert.serial,
      status: 'active',
      level: 2,
      levelName: '技师 technician',
      brand: { id: brand.id, name: brand.name, regionCode: '310104', status: 'certified' },
      issuer: { id: firm.id, name: '上海徐汇人力资源有限公司' },
      occupationCode: '4-04-05-05',
      occupationName: '人工智能训练师',
      holderNameMasked: '张**',
      issuedAt: cert.issuedAt,
      validUntil: cert.validUntil,
      revokedAt: null,
      credential: cert.credential,
    });
    const decoded = JSON.stringify(payloadOf(cert.credential));
    for (const secret of ['张三丰', '三丰', nationalId, nationalId.slice(6, 14), '13912345678', trainee.id]) {
      expect(before.text).not.toContain(secret);
      expect(decoded).not.toContain(secret);
    }

    expect((await revoke(bureau.key, cert.id)).status).toBe(200);
    const after = await publicCheck(cert.serial);
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ valid: false, status: 'revoked', revokedAt: expect.stringMatching(ISO_INSTANT) });
    expect(after.text).not.toContain('assessment records');

    // Typed from paper: any case, without hyphens.
    expect((await publicCheck(cert.serial.toLowerCase().replace(/-/g, ''))).body.serial).toBe(cert.serial);

    // The certificate outlives the trainee's erasure: the public route never reads the trainee.
    expect((await t.request('POST', `/v1/trainees/${trainee.id}/erase`, { key: firm.key })).status).toBe(200);
    expect((await publicCheck(cert.serial)).body).toMatchObject({ holderNameMasked: '张**', status: 'revoked' });
  });

  it('the public route: past validUntil is not valid; bad serials 400, unknown ones 404', async () => {
    const trainee = await registerTrainee(t, firm.key, brand.id);
    const { body: cert } = await issue(firm.key, trainee.id, { level: 4, validUntil: chinaDate(30) });
    await t.dataSource.query(`UPDATE certifications SET valid_until = $2 WHERE id = $1`, [cert.id, chinaDate(-1)]);
    expect((await publicCheck(cert.serial)).body).toMatchObject({ valid: false, status: 'active', validUntil: chinaDate(-1) });
    expect((await t.request('GET', `/v1/certifications/${cert.id}`, { key: firm.key })).body).toMatchObject({ valid: false, status: 'active' });

    // One symbol changed: the check symbol catches the typo.
    const last = cert.serial.at(-2) === '0' ? '1' : '0';
    const typo = `${cert.serial.slice(0, -2)}${last}${cert.serial.at(-1)}`;
    expectFieldError(await publicCheck(typo), 'VALIDATION_FAILED', 'serial', 'INVALID_CHECK_CHARACTER');
    for (const garbage of ['garbage', 'LB-0000', encodeURIComponent("LB-' OR 1=1 --"), '%E5%BC%A0%E4%BC%9F']) {
      expectFieldError(await publicCheck(garbage), 'VALIDATION_FAILED', 'serial', 'INVALID_SERIAL');
    }
    // Well-formed, right check symbol, never issued.
    expectProblem(await publicCheck('LB-0000-0000-0000-0000'), 404, 'NOT_FOUND');
  });

  it('credentials verify with only the JWKS from /.well-known/jwks.json (Node crypto and jose), and fail once a byte changes', async () => {
    const trainee = await registerTrainee(t, firm.key, brand.id);
    const { body: cert } = await issue(bureau.key, trainee.id, { level: 3 });

    const res = await t.request('GET', '/.well-known/jwks.json', { key: null });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(String(res.headers['content-type'])).toMatch(/^application\/jwk-set\+json/);
    const keySet = JSON.parse(res.text);
    expect(keySet.keys.length).toBeGreaterThanOrEqual(1);
    for (const key of keySet.keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
      expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    }
    const header = decodeProtectedHeader(cert.credential);
    expect(header).toEqual({ alg: 'EdDSA', kid: keySet.keys[0].kid, typ: 'vc+jwt', cty: 'vc' });

    expect(nodeVerifies(cert.credential, keySet)).toBe(true);
    expect(await joseVerifies(cert.credential, keySet)).toBe(true);
    const { payload } = await compactVerify(cert.credential, createLocalJWKSet(keySet));
    expect(JSON.parse(new TextDecoder().decode(payload)).credentialStatus.id).toBe(`https://registry.example.cn/v1/public/certifications/${cert.serial}`);

    const [h, p, s] = cert.credential.split('.');
    for (const index of [Math.floor(h.length / 2), h.length + 1 + Math.floor(p.length / 2), h.length + p.length + 2 + Math.floor(s.length / 2)]) {
      const forged = tamper(cert.credential, index);
      expect(forged).not.toBe(cert.credential);
      let nodeOk: boolean;
      try {
        nodeOk = nodeVerifies(forged, keySet);
      } catch {
        nodeOk = false;
      }
      expect(nodeOk).toBe(false);
      expect(await joseVerifies(forged, keySet)).toBe(false);
    }
    // Another key set (another deployment's key) does not verify it either.
    const stranger = await startTestApp();
    try {
      const otherKeys = JSON.parse((await stranger.request('GET', '/.well-known/jwks.json', { key: null })).text);
      expect(await joseVerifies(cert.credential, otherKeys)).toBe(false);
    } finally {
      await stranger.close();
    }
  });

  it('the statistics query reads the columns it expects', async () => {
    const own = await createCertifiedBrand(t, firm.key, bureau.key, { name: '统计用品牌' });
    const [a, b, c] = [await registerTrainee(t, firm.key, own.id), await registerTrainee(t, firm.key, own.id), await registerTrainee(t, firm.key, own.id)];
    await issue(firm.key, a.id, { level: 3 });
    await issue(firm.key, a.id, { level: 2 });
    await issue(firm.key, b.id, { level: 3, validUntil: chinaDate(10) });
    await revoke(firm.key, (await issue(firm.key, c.id)).body.id);
    const [row] = await t.dataSource.query(
      `SELECT count(DISTINCT trainee_id)::int AS n FROM certifications WHERE brand_id = $1 AND status = 'active' AND (valid_until IS NULL OR valid_until >= $2)`,
      [own.id, chinaDate()],
    );
    expect(row.n).toBe(2);
  });

  it('/docs-json documents the routes, the public ones without a key', async () => {
    const res = await t.request('GET', '/docs-json', { key: null });
    expect(res.status).toBe(200);
    const paths = res.body.paths;
    expect(Object.keys(paths['/v1/trainees/{id}/certifications']).sort()).toEqual(['get', 'post']);
    expect(paths['/v1/certifications/{id}'].get).toBeDefined();
    expect(paths['/v1/certifications/{id}/revoke'].post).toBeDefined();
    expect(paths['/v1/trainees/{id}/certifications'].post.responses['201']).toBeDefined();
    for (const path of ['/v1/public/certifications/{serial}', '/.well-known/jwks.json']) {
      expect(paths[path].get).toBeDefined();
      expect(paths[path].get.security).toEqual([]);
    }
    expect(paths['/v1/certifications/{id}/revoke'].post.security).toEqual([{ bearer: [] }]);
  });
});
