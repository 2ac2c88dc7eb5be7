import { EVENT_DATA_SCHEMAS } from '../../src/webhooks/dto/event-data.dto';
import { DOMAIN_EVENT_TYPES } from '../../src/webhooks/webhook.rules';
import { createBrand, createCertifiedBrand, futureDate } from '../support/brands';
import { waitFor } from '../support/events';
import { expectFieldError, expectProblem, UUID } from '../support/expect';
import { createOrganization, OrgWithKey } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { registerTrainee, uniqueNationalId } from '../support/trainees';
import { ReceivedRequest, verify, WebhookReceiver } from '../support/webhook-receiver';
import { FAST_WEBHOOKS, subscribe, Subscription } from '../support/webhooks';

const today = (): string => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);

/**
 * Webhook subscriptions through the API, and what they receive: every delivery verified with the Standard
 * Webhooks library as a receiver would, each organization receiving exactly the events it may read, and no
 * body carrying a trainee's name, identity number or phone.
 */
describe('webhooks', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  let firm: OrgWithKey;
  let otherFirm: OrgWithKey;
  let bureau: OrgWithKey;
  let farBureau: OrgWithKey;
  let employer: OrgWithKey;
  let otherEmployer: OrgWithKey;
  const platform = (): { key: string } => ({ key: t.platformKey });
  const at = (who: string): string => `${receiver.url}?who=${who}`;
  const received = (who: string): ReceivedRequest[] => receiver.received.filter((r) => r.path.endsWith(`?who=${who}`));

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    t = await startTestApp(FAST_WEBHOOKS, { worker: true });
    [firm, otherFirm, bureau, farBureau, employer, otherEmployer] = await Promise.all([
      createOrganization(t, 'hr_firm', '310104'),
      createOrganization(t, 'hr_firm', '310110'),
      createOrganization(t, 'bureau', '310100'),
      createOrganization(t, 'bureau', '210100'),
      createOrganization(t, 'employer', '310104'),
      createOrganization(t, 'employer', '310115'),
    ]);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  describe('subscriptions', () => {
    // Their URLs name hosts this machine cannot reach: they go before any event is delivered.
    afterAll(async () => {
      for (const org of [employer, firm]) {
        for (const w of (await t.request('GET', '/v1/webhooks', { key: org.key })).body.items) await t.request('DELETE', `/v1/webhooks/${w.id}`, { key: org.key });
      }
    });

    it('are made by any organization for itself, with a whsec_ secret shown once and stored encrypted', async () => {
      const res = await t.request('POST', '/v1/webhooks', { key: employer.key, body: { url: 'https://ats.example.com/hooks', eventTypes: ['placement.*', 'placement.confirmed'], description: '招聘系统' } });
      expect(res.status).toBe(201);
      expect(res.headers.location).toBe(`/v1/webhooks/${res.body.id}`);
      expect(res.headers.etag).toBe('"1"');
      expect(res.body).toEqual({
        id: expect.stringMatching(UUID),
        organizationId: employer.id,
        url: 'https://ats.example.com/hooks',
        eventTypes: ['placement.*', 'placement.confirmed'],
        description: '招聘系统',
        status: 'active',
        disabledReason: null,
        previousSecretExpiresAt: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
        version: 1,
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
      });
      const [row] = await t.dataSource.query(`SELECT secret_cipher FROM webhook_subscriptions WHERE id = $1`, [res.body.id]);
      expect(row.secret_cipher.toString('latin1')).not.toContain(res.body.secret.slice(6));

      const read = await t.request('GET', `/v1/webhooks/${res.body.id}`, { key: employer.key });
      expect(read.status).toBe(200);
      expect(read.body).not.toHaveProperty('secret');
      const { secret: _secret, ...view } = res.body;
      expect(read.body).toEqual(view);
      const listed = await t.request('GET', '/v1/webhooks', { key: employer.key });
      expect(listed.body.items.map((w: any) => w.id)).toEqual([res.body.id]);
      expect(listed.body.items[0]).not.toHaveProperty('secret');
      expect(JSON.stringify(listed.body)).not.toContain('whsec_');
    });

    it('refuse unknown event types, bad URLs and unknown fields', async () => {
      const post = (body: unknown) => t.request('POST', '/v1/webhooks', { key: firm.key, body });
      expectFieldError(await post({ url: 'https://x.example/h', eventTypes: ['placement.confirm'] }), 'VALIDATION_FAILED', 'eventTypes', 'IS_EVENT_TYPE');
      expectFieldError(await post({ url: 'https://x.example/h', eventTypes: [] }), 'VALIDATION_FAILED', 'eventTypes');
      expectFieldError(await post({ url: 'https://x.example/h', eventTypes: ['webhook.test'] }), 'VALIDATION_FAILED', 'eventTypes');
      expectFieldError(await post({ url: 'ftp://x.example/h', eventTypes: ['*'] }), 'VALIDATION_FAILED', 'url', 'INVALID_URL');
      expectFieldError(await post({ url: 'https://user:pw@x.example/h', eventTypes: ['*'] }), 'VALIDATION_FAILED', 'url', 'INVALID_URL');
      expectFieldError(await post({ url: 'not a url', eventTypes: ['*'] }), 'VALIDATION_FAILED', 'url', 'INVALID_URL');
      expectFieldError(await post({ url: 'https://x.example/h', eventTypes: ['*'], secret: 'whsec_mine' }), 'VALIDATION_FAILED', 'secret', 'UNKNOWN_FIELD');
      expectFieldError(await post({ url: 'https://x.example/h', eventTypes: ['*'], status: 'disabled' }), 'VALIDATION_FAILED', 'status', 'UNKNOWN_FIELD');
    });

    it('are visible to their organization and the platform; only their organization changes them or reads deliveries', async () => {
      const sub = await subscribe(t, firm, 'https://ats.example.com/firm', ['brand.*']);
      expectProblem(await t.request('GET', `/v1/webhooks/${sub.id}`, { key: otherFirm.key }), 404, 'NOT_FOUND');
      expectProblem(await t.request('PATCH', `/v1/webhooks/${sub.id}`, { key: otherFirm.key, body: { description: 'x' } }), 404, 'NOT_FOUND');
      expectProblem(await t.request('DELETE', `/v1/webhooks/${sub.id}`, { key: employer.key }), 404, 'NOT_FOUND');
      expectProblem(await t.request('GET', `/v1/webhooks/${sub.id}/deliveries`, { key: bureau.key }), 404, 'NOT_FOUND');
      expect((await t.request('GET', '/v1/webhooks', { key: otherFirm.key })).body.items).toEqual([]);

      expect((await t.request('GET', `/v1/webhooks/${sub.id}`, { key: t.platformKey })).status).toBe(200);
      const all = await t.request('GET', `/v1/webhooks?organizationId=${firm.id}`, { key: t.platformKey });
      expect(all.body.items.map((w: any) => w.id)).toContain(sub.id);
      expectProblem(await t.request('GET', `/v1/webhooks?organizationId=${firm.id}`, { key: employer.key }), 403, 'FORBIDDEN');
      for (const [method, path, body] of [
        ['PATCH', `/v1/webhooks/${sub.id}`, { description: 'x' }],
        ['DELETE', `/v1/webhooks/${sub.id}`, undefined],
        ['POST', `/v1/webhooks/${sub.id}/rotate-secret`, undefined],
        ['POST', `/v1/webhooks/${sub.id}/test`, undefined],
        ['GET', `/v1/webhooks/${sub.id}/deliveries`, undefined],
      ] as const) {
        expectProblem(await t.request(method, path, { key: t.platformKey, body }), 403, 'FORBIDDEN');
      }
      expectProblem(await t.request('GET', '/v1/webhooks/not-a-uuid', { key: firm.key }), 400, 'VALIDATION_FAILED');
    });

    it('are edited with If-Match, and deleted with their deliveries', async () => {
      const sub = await subscribe(t, firm, 'https://ats.example.com/edit', ['brand.*']);
      expectProblem(await t.request('PATCH', `/v1/webhooks/${sub.id}`, { key: firm.key, body: {} }), 400, 'VALIDATION_FAILED');
      expectProblem(await t.request('PATCH', `/v1/webhooks/${sub.id}`, { key: firm.key, body: { description: 'x' }, headers: { 'if-match': '"7"' } }), 409, 'VERSION_CONFLICT');
      const edited = await t.request('PATCH', `/v1/webhooks/${sub.id}`, { key: firm.key, body: { eventTypes: ['*', 'brand.*'], description: null, url: 'https://ats.example.com/v2' }, headers: { 'if-match': '"1"' } });
      expect(edited.status).toBe(200);
      expect(edited.body).toMatchObject({ eventTypes: ['*'], description: null, url: 'https://ats.example.com/v2', version: 2, status: 'active' });
      const paused = await t.request('PATCH', `/v1/webhooks/${sub.id}`, { key: firm.key, body: { status: 'disabled' } });
      expect(paused.body).toMatchObject({ status: 'disabled', disabledReason: 'manual', version: 3 });
      expectProblem(await t.request('POST', `/v1/webhooks/${sub.id}/test`, { key: firm.key }), 409, 'INVALID_TRANSITION');
      const resumed = await t.request('PATCH', `/v1/webhooks/${sub.id}`, { key: firm.key, body: { status: 'active' } });
      expect(resumed.body).toMatchObject({ status: 'active', disabledReason: null, version: 4 });

      expect((await t.request('DELETE', `/v1/webhooks/${sub.id}`, { key: firm.key })).status).toBe(204);
      expectProblem(await t.request('GET', `/v1/webhooks/${sub.id}`, { key: firm.key }), 404, 'NOT_FOUND');
      const audit = await t.dataSource.query(`SELECT action FROM audit_log WHERE object_id = $1 ORDER BY id`, [sub.id]);
      expect(audit.map((a: any) => a.action)).toEqual(['webhook.create', 'webhook.update', 'webhook.update', 'webhook.update', 'webhook.delete']);
    });
  });

  describe('deliveries', () => {
    const subs: Record<string, Subscription> = {};
    const personal: string[] = [];
    let brand: any;

    beforeAll(async () => {
      for (const [who, org] of [
        ['firm', firm],
        ['otherFirm', otherFirm],
        ['bureau', bureau],
        ['farBureau', farBureau],
        ['employer', employer],
        ['otherEmployer', otherEmployer],
        ['platform', platform()],
      ] as const) {
        subs[who] = await subscribe(t, org, at(who), ['*']);
      }

      // Every kind of event, with personal data in the requests that make them.
      brand = await createBrand(t, firm.key);
      expect((await t.request('PATCH', `/v1/brands/${brand.id}`, { key: firm.key, body: { description: '徐汇' } })).status).toBe(200);
      expect((await t.request('POST', `/v1/brands/${brand.id}/submit`, { key: firm.key })).status).toBe(200);
      expect((await t.request('POST', `/v1/brands/${brand.id}/certify`, { key: bureau.key, body: { level: 'district', validUntil: futureDate() } })).status).toBe(200);
      const people = [
        { fullName: '欧阳娜娜', nationalId: uniqueNationalId(), phone: '13911112222' },
        { fullName: '司马相如', nationalId: uniqueNationalId('male'), phone: '13733334444' },
        { fullName: '上官婉儿', nationalId: uniqueNationalId(), phone: '15855556666' },
      ];
      for (const p of people) personal.push(p.fullName, p.nationalId, p.phone);
      const [a, b, c] = await Promise.all(people.map((p) => registerTrainee(t, firm.key, brand.id, p)));
      personal.push('诸葛孔明', '18677778888');
      expect((await t.request('PATCH', `/v1/trainees/${a.id}`, { key: firm.key, body: { fullName: '诸葛孔明', phone: '18677778888' } })).status).toBe(200);
      expect((await t.request('PATCH', `/v1/trainees/${a.id}`, { key: firm.key, body: { status: 'training' } })).status).toBe(200);
      const imported = { fullName: '慕容复', nationalId: uniqueNationalId('male'), phone: '13600001111' };
      personal.push(imported.fullName, imported.nationalId, imported.phone);
      const imp = await t.request('POST', `/v1/brands/${brand.id}/trainees/import`, {
        key: firm.key,
        raw: `fullName,nationalId,phone\n${imported.fullName},${imported.nationalId},${imported.phone}\n`,
        contentType: 'text/csv',
      });
      expect(imp.body).toMatchObject({ created: 1 });
      const cert = await t.request('POST', `/v1/trainees/${b.id}/certifications`, { key: firm.key, body: { level: 3 } });
      expect(cert.status).toBe(201);
      expect((await t.request('POST', `/v1/certifications/${cert.body.id}/revoke`, { key: bureau.key, body: { reason: 'falsified' } })).status).toBe(200);
      const proposal = (traineeId: string, employerId: string) => ({ traineeId, employerId, jobTitle: 'AI训练师', workRegionCode: '310104', salaryFen: 1_500_000, salaryPeriod: 'monthly', startDate: today() });
      const p1 = (await t.request('POST', '/v1/placements', { key: firm.key, body: proposal(a.id, employer.id) })).body;
      expect((await t.request('POST', `/v1/placements/${p1.id}/confirm`, { key: employer.key })).status).toBe(200);
      expect((await t.request('POST', `/v1/placements/${p1.id}/salary-changes`, { key: employer.key, body: { salaryFen: 1_700_000, salaryPeriod: 'monthly', effectiveDate: today() } })).status).toBe(200);
      expect((await t.request('POST', `/v1/placements/${p1.id}/end`, { key: employer.key, body: { endDate: today(), reason: 'contract ended' } })).status).toBe(200);
      const p2 = (await t.request('POST', '/v1/placements', { key: firm.key, body: proposal(b.id, otherEmployer.id) })).body;
      expect((await t.request('POST', `/v1/placements/${p2.id}/reject`, { key: otherEmployer.key, body: { reason: 'no' } })).status).toBe(200);
      const p3 = (await t.request('POST', '/v1/placements', { key: firm.key, body: proposal(c.id, employer.id) })).body;
      expect((await t.request('POST', `/v1/placements/${p3.id}/withdraw`, { key: firm.key })).status).toBe(200);
      expect((await t.request('POST', `/v1/trainees/${c.id}/erase`, { key: firm.key })).status).toBe(200);
      await createOrganization(t, 'employer', '440305');
    });

    /** Event ids in the outbox after the subscriptions were made, by a condition on the row. */
    const eventIds = async (where: string, params: unknown[] = []): Promise<string[]> =>
      (await t.dataSource.query(`SELECT id FROM outbox_events WHERE occurred_at >= $1 AND ${where} ORDER BY seq`, [new Date(subs.firm.body.createdAt), ...params])).map((r: any) => r.id);
    const eventIdsOf = (who: string): string[] => received(who).map((r) => JSON.parse(r.body).data.eventId);

    it('reach every organization that may read them, and no other', async () => {
      const brandEvents = await eventIds('brand_id = $2', [brand.id]);
      const forEmployer = await eventIds(`data->>'employerId' = $2`, [employer.id]);
      const forOtherEmployer = await eventIds(`data->>'employerId' = $2`, [otherEmployer.id]);
      const everything = await t.dataSource.query(`SELECT id FROM outbox_events WHERE occurred_at >= $1`, [new Date(subs.platform.body.createdAt)]);
      expect(brandEvents.length).toBeGreaterThanOrEqual(17);
      await waitFor('every delivery', () => received('platform').length >= everything.length && received('firm').length >= brandEvents.length && received('employer').length >= forEmployer.length, 20_000);
      await waitFor('every delivery attempt settled', async () => (await t.dataSource.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE status <> 'succeeded'`))[0].n === 0);

      expect(eventIdsOf('firm').sort()).toEqual([...brandEvents].sort());
      expect(eventIdsOf('bureau').sort()).toEqual([...brandEvents].sort());
      expect(eventIdsOf('employer').sort()).toEqual([...forEmployer].sort());
      expect(eventIdsOf('otherEmployer').sort()).toEqual([...forOtherEmployer].sort());
      expect(eventIdsOf('platform').sort()).toEqual(everything.map((r: any) => r.id).sort());
      expect(received('otherFirm')).toEqual([]);
      expect(received('farBureau')).toEqual([]);
      expect(new Set(received('employer').map((r) => JSON.parse(r.body).type))).toEqual(new Set(['placement.proposed', 'placement.confirmed', 'placement.salary_changed', 'placement.ended', 'placement.withdrawn']));

      // Every type the flows above wrote was delivered (organization.created to the platform).
      const types = new Set(receiver.received.map((r) => JSON.parse(r.body).type));
      expect([...types].sort()).toEqual(
        DOMAIN_EVENT_TYPES.filter((type) => !['brand.rejected', 'brand.suspended', 'brand.reinstated', 'brand.revoked', 'brand.expired'].includes(type)).sort(),
      );
    });

    it('verify with the Standard Webhooks library, each with its own webhook-id; a one-byte change fails', async () => {
      const ids = new Set<string>();
      for (const [who, sub] of Object.entries(subs)) {
        for (const request of received(who)) {
          expect(request.method).toBe('POST');
          expect(request.headers['content-type']).toBe('application/json');
          expect(request.headers['webhook-timestamp']).toMatch(/^\d{10}$/);
          expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
          const payload = verify(sub.secret, request);
          expect(payload).toEqual({ type: expect.any(String), timestamp: expect.any(String), data: expect.objectContaining({ eventId: expect.stringMatching(UUID), aggregateType: expect.any(String), aggregateId: expect.stringMatching(UUID) }) });
          ids.add(request.headers['webhook-id']);
          // Another subscription's secret does not verify it.
          const other = who === 'platform' ? subs.firm : subs.platform;
          expect(() => verify(other.secret, request)).toThrow();
        }
      }
      expect(ids.size).toBe(receiver.received.length);
      const [sample] = received('employer');
      const tampered = [
        { ...sample, body: sample.body.replace('"salaryFen":1500000', '"salaryFen":1500001') },
        { ...sample, body: `${sample.body} ` },
        { ...sample, headers: { ...sample.headers, 'webhook-id': sample.headers['webhook-id'].replace(/.$/, (ch) => (ch === '0' ? '1' : '0')) } },
        { ...sample, headers: { ...sample.headers, 'webhook-timestamp': String(Number(sample.headers['webhook-timestamp']) + 1) } },
      ];
      expect(tampered[0].body).not.toBe(sample.body);
      for (const request of tampered) expect(() => verify(subs.employer.secret, request)).toThrow(/signature/i);
      expect(verify(subs.employer.secret, sample)).toBeDefined();
    });

    it('carry no name, identity number or phone of the trainees', async () => {
      expect(personal.length).toBe(14);
      const bodies = receiver.received.map((r) => r.body);
      expect(bodies.length).toBeGreaterThan(40);
      for (const body of bodies) for (const value of personal) expect(body).not.toContain(value);
      // The feed shows an event once no older transaction anywhere on the server still runs: wait for all of them.
      const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM outbox_events`);
      let feed = await t.request('GET', '/v1/events?limit=500', { key: t.platformKey });
      await waitFor('the feed to show every event', async () => (feed = await t.request('GET', '/v1/events?limit=500', { key: t.platformKey })).body.items.length >= n, 60_000, 100);
      for (const value of personal) expect(feed.text).not.toContain(value);
    });

    it('carry the data schema the OpenAPI document gives their type', async () => {
      const doc = (await t.request('GET', '/docs-json', { key: null })).body;
      for (const { type, data } of receiver.bodies()) {
        const schema = doc.components.schemas[EVENT_DATA_SCHEMAS[type].name];
        expect({ type, keys: Object.keys(data).sort() }).toEqual({ type, keys: Object.keys(schema.properties).sort() });
      }
    });

    it('are listed for their subscription, newest first, filtered by status, as rows made once per event and subscription', async () => {
      const page1 = await t.request('GET', `/v1/webhooks/${subs.employer.id}/deliveries?limit=2`, { key: employer.key });
      expect(page1.status).toBe(200);
      expect(page1.body.items).toHaveLength(2);
      expect(page1.body.items[0]).toEqual({
        id: expect.stringMatching(UUID),
        subscriptionId: subs.employer.id,
        eventId: expect.stringMatching(UUID),
        eventType: expect.stringMatching(/^placement\./),
        status: 'succeeded',
        attempts: 1,
        lastAttemptAt: expect.any(String),
        nextAttemptAt: null,
        responseStatus: 200,
        durationMs: expect.any(Number),
        error: null,
        createdAt: expect.any(String),
      });
      const rest = await t.request('GET', `/v1/webhooks/${subs.employer.id}/deliveries?limit=500&cursor=${page1.body.nextCursor}`, { key: employer.key });
      const all = [...page1.body.items, ...rest.body.items];
      expect(all.map((d) => d.id).sort()).toEqual(received('employer').map((r) => r.headers['webhook-id']).sort());
      expect((await t.request('GET', `/v1/webhooks/${subs.employer.id}/deliveries?status=failed`, { key: employer.key })).body.items).toEqual([]);
      expectFieldError(await t.request('GET', `/v1/webhooks/${subs.employer.id}/deliveries?status=lost`, { key: employer.key }), 'VALIDATION_FAILED', 'status');
      const [dupes] = await t.dataSource.query(`SELECT count(*)::int AS n FROM (SELECT event_id, subscription_id FROM webhook_deliveries GROUP BY 1, 2 HAVING count(*) > 1) d`);
      expect(dupes.n).toBe(0);
    });

    it('a test ping is delivered as webhook.test, and a delivery is sent again on request with the same webhook-id', async () => {
      const ping = await t.request('POST', `/v1/webhooks/${subs.otherFirm.id}/test`, { key: otherFirm.key });
      expect(ping.status).toBe(202);
      expect(ping.body).toMatchObject({ subscriptionId: subs.otherFirm.id, eventType: 'webhook.test', status: 'pending', attempts: 0 });
      await waitFor('the ping', () => received('otherFirm').length === 1);
      const payload = verify(subs.otherFirm.secret, received('otherFirm')[0]);
      expect(payload).toEqual({
        type: 'webhook.test',
        timestamp: expect.any(String),
        data: { eventId: ping.body.eventId, brandId: null, aggregateType: 'webhook_subscription', aggregateId: subs.otherFirm.id, subscriptionId: subs.otherFirm.id, message: expect.any(String) },
      });
      expect(received('otherFirm')[0].headers['webhook-id']).toBe(ping.body.id);

      const again = await t.request('POST', `/v1/webhooks/${subs.otherFirm.id}/deliveries/${ping.body.id}/retry`, { key: otherFirm.key });
      expect(again.status).toBe(202);
      expect(again.body).toMatchObject({ id: ping.body.id, status: 'pending' });
      await waitFor('the ping again', () => received('otherFirm').length === 2);
      expect(received('otherFirm')[1].headers['webhook-id']).toBe(ping.body.id);
      expect(received('otherFirm')[1].body).toBe(received('otherFirm')[0].body);
      await waitFor('the retry recorded', async () => (await t.request('GET', `/v1/webhooks/${subs.otherFirm.id}/deliveries`, { key: otherFirm.key })).body.items[0].attempts === 2);
      expectProblem(await t.request('POST', `/v1/webhooks/${subs.otherFirm.id}/deliveries/${subs.firm.id}/retry`, { key: otherFirm.key }), 404, 'NOT_FOUND');
    });

    it('a rotated secret signs with both secrets for 24 h', async () => {
      const rotated = await t.request('POST', `/v1/webhooks/${subs.farBureau.id}/rotate-secret`, { key: farBureau.key });
      expect(rotated.status).toBe(200);
      expect(rotated.body.secret).toMatch(/^whsec_/);
      expect(rotated.body.secret).not.toBe(subs.farBureau.secret);
      const expires = Date.parse(rotated.body.previousSecretExpiresAt);
      expect(expires - Date.now()).toBeGreaterThan(23.9 * 3_600_000);
      expect(expires - Date.now()).toBeLessThanOrEqual(24 * 3_600_000);
      const ping = await t.request('POST', `/v1/webhooks/${subs.farBureau.id}/test`, { key: farBureau.key });
      await waitFor('the ping', () => received('farBureau').length === 1);
      const [request] = received('farBureau');
      expect(request.headers['webhook-id']).toBe(ping.body.id);
      expect(request.headers['webhook-signature'].split(' ')).toHaveLength(2);
      expect(verify(rotated.body.secret, request)).toMatchObject({ type: 'webhook.test' });
      expect(verify(subs.farBureau.secret, request)).toMatchObject({ type: 'webhook.test' });

      // Once the 24 h are over only the new secret signs.
      await t.dataSource.query(`UPDATE webhook_subscriptions SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1`, [subs.farBureau.id]);
      await t.request('POST', `/v1/webhooks/${subs.farBureau.id}/test`, { key: farBureau.key });
      await waitFor('the second ping', () => received('farBureau').length === 2);
      expect(received('farBureau')[1].headers['webhook-signature'].split(' ')).toHaveLength(1);
      expect(() => verify(subs.farBureau.secret, received('farBureau')[1])).toThrow();
      expect(verify(rotated.body.secret, received('farBureau')[1])).toBeDefined();
      expect((await t.request('GET', `/v1/webhooks/${subs.farBureau.id}`, { key: farBureau.key })).body.previousSecretExpiresAt).toBeNull();
    });

    it('stop when the subscription is deleted', async () => {
      expect((await t.request('DELETE', `/v1/webhooks/${subs.employer.id}`, { key: employer.key })).status).toBe(204);
      const before = received('employer').length;
      const brand2 = await createCertifiedBrand(t, firm.key, bureau.key);
      const trainee = await registerTrainee(t, firm.key, brand2.id);
      const proposed = await t.request('POST', '/v1/placements', { key: firm.key, body: { traineeId: trainee.id, employerId: employer.id, jobTitle: 'x', workRegionCode: '310104', salaryFen: 100, salaryPeriod: 'monthly', startDate: today() } });
      await waitFor('the firm receives the proposal', () => received('firm').some((r) => JSON.parse(r.body).data.eventId && JSON.parse(r.body).data.placementId === proposed.body.id));
      expect(received('employer').length).toBe(before);
      expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE subscription_id = $1`, [subs.employer.id]))[0].n).toBe(0);
    });

    it('are counted on /metrics, and their queue is on the dashboard', async () => {
      const metrics = await t.metrics();
      const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics.text)?.[1]);
      expect(value('webhook_delivery_successes_total')).toBe(receiver.received.length);
      expect(value('webhook_delivery_attempts_total')).toBe(receiver.received.length);
      expect(metrics.text).toMatch(/^webhook_delivery_duration_seconds_bucket\{le="0\.1"\} \d+$/m);
      expect(metrics.text).toMatch(/^webhook_delivery_duration_seconds_count \d+$/m);
      expect(metrics.text).toMatch(/^webhook_deliveries_due \d+$/m);
      expect(metrics.text).toMatch(/^webhook_oldest_due_age_seconds \S+$/m);
      expect(metrics.text).toMatch(/^queue_jobs\{queue="webhooks",state="failed"\} 0$/m);
      const board = await t.request('GET', '/admin/queues/api/queues', { key: t.platformKey });
      expect(board.status).toBe(200);
      expect(board.body.queues.map((q: any) => q.name)).toContain('webhooks');
    });
  });
});
