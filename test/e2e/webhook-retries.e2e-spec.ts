import { WebhookFanout } from '../../src/webhooks/webhook-fanout';
import { WebhookReconciler } from '../../src/webhooks/webhook-reconciler';
import { waitFor } from '../support/events';
import { createOrganization } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { Answer, ReceivedRequest, verify, WebhookReceiver } from '../support/webhook-receiver';
import { FAST_WEBHOOKS, subscribe, Subscription } from '../support/webhooks';

/**
 * What a delivery does with each answer: retried with back-off under the same webhook-id until a 2xx, failed and
 * its subscription disabled on 410, retried on redirects (never followed) and timeouts, failed after its retry
 * window, and its subscription disabled after failing that long; a manual retry sends a failed one again.
 * (The 3 days and 10 s of production are shortened by configuration.)
 */
describe('webhook delivery attempts', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  const answers = new Map<string, (request: ReceivedRequest, n: number) => Answer>();
  const at = (name: string): string => `${receiver.url}/${name}`;
  const to = (name: string): ReceivedRequest[] => receiver.received.filter((r) => r.path === `/hooks/${name}`);
  const platform = (): { key: string } => ({ key: t.platformKey });

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    receiver.answer = (request) => {
      const name = request.path.split('/')[2];
      const answer = answers.get(name);
      return answer ? answer(request, to(name).length) : { status: 200 };
    };
    t = await startTestApp({ ...FAST_WEBHOOKS, WEBHOOK_TIMEOUT_MS: '400', WEBHOOK_RETRY_FOR_MS: '3000', WEBHOOK_DISABLE_AFTER_MS: '1500' }, { worker: true });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  const ping = async (sub: Subscription): Promise<string> => {
    const res = await t.request('POST', `/v1/webhooks/${sub.id}/test`, { key: t.platformKey });
    expect(res.status).toBe(202);
    return res.body.id;
  };
  const delivery = async (sub: Subscription, id: string): Promise<any> =>
    (await t.request('GET', `/v1/webhooks/${sub.id}/deliveries?limit=500`, { key: t.platformKey })).body.items.find((d: any) => d.id === id);
  const webhook = async (sub: Subscription): Promise<any> => (await t.request('GET', `/v1/webhooks/${sub.id}`, { key: t.platformKey })).body;

  it('retries a failing delivery with back-off, under the same webhook-id and body, until it succeeds', async () => {
    answers.set('flaky', (_r, n) => ({ status: n === 1 ? 500 : n === 2 ? 503 : 200 }));
    const sub = await subscribe(t, platform(), at('flaky'), ['organization.created']);
    const id = await ping(sub);
    await waitFor('the delivery succeeded', async () => (await delivery(sub, id))?.status === 'succeeded');
    const requests = to('flaky');
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([id]));
    expect(new Set(requests.map((r) => r.body)).size).toBe(1);
    for (const r of requests) expect(verify(sub.secret, r)).toMatchObject({ type: 'webhook.test' });
    // Back-off: at least half of 50 ms, then of 100 ms, between the attempts.
    expect(requests[1].at - requests[0].at).toBeGreaterThanOrEqual(20);
    expect(requests[2].at - requests[1].at).toBeGreaterThanOrEqual(45);
    expect(await delivery(sub, id)).toMatchObject({ status: 'succeeded', attempts: 3, responseStatus: 200, error: null, nextAttemptAt: null });
    expect((await webhook(sub)).status).toBe('active');
  });

  it('a 410 Gone fails the delivery and disables the subscription at once; nothing more is sent until it is enabled again', async () => {
    answers.set('gone', () => ({ status: 410 }));
    const sub = await subscribe(t, platform(), at('gone'), ['organization.created']);
    const id = await ping(sub);
    await waitFor('the subscription disabled', async () => (await webhook(sub)).status === 'disabled');
    expect(await webhook(sub)).toMatchObject({ status: 'disabled', disabledReason: 'gone', version: 2 });
    expect(await delivery(sub, id)).toMatchObject({ status: 'failed', attempts: 1, responseStatus: 410, error: 'HTTP 410', nextAttemptAt: null });

    const whileDisabled = await createOrganization(t, 'employer');
    await new Promise((r) => setTimeout(r, 1000));
    expect(to('gone')).toHaveLength(1);
    expect((await t.request('GET', `/v1/webhooks/${sub.id}/deliveries`, { key: t.platformKey })).body.items).toHaveLength(1);

    answers.set('gone', () => ({ status: 204 }));
    const enabled = await t.request('PATCH', `/v1/webhooks/${sub.id}`, { key: t.platformKey, body: { status: 'active' } });
    expect(enabled.body).toMatchObject({ status: 'active', disabledReason: null });
    const org = await createOrganization(t, 'employer');
    await waitFor('the next event', () => to('gone').some((r) => JSON.parse(r.body).data.organizationId === org.id));
    // An event that occurred while it was disabled stays undelivered, even when fanned out after it was enabled.
    const [event] = await t.dataSource.query(`SELECT id, seq::text AS seq FROM outbox_events WHERE type = 'organization.created' AND aggregate_id = $1`, [whileDisabled.id]);
    await t.app.get(WebhookFanout).fanOut([{ id: event.id, seq: event.seq, type: 'organization.created', aggregateType: 'organization', aggregateId: whileDisabled.id, brandId: null, data: {}, occurredAt: new Date(Date.now() - 1500).toISOString() }]);
    await t.app.get(WebhookReconciler).reconcile();
    expect(to('gone').some((r) => JSON.parse(r.body).data.organizationId === whileDisabled.id)).toBe(false);
    expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE event_id = $1 AND subscription_id = $2`, [event.id, sub.id]))[0].n).toBe(0);
    await t.request('DELETE', `/v1/webhooks/${sub.id}`, { key: t.platformKey });
  });

  it('does not follow redirects, and gives up on a receiver that does not answer in time', async () => {
    answers.set('moved', () => ({ status: 302, headers: { location: at('elsewhere') } }));
    answers.set('slow', () => ({ status: 200, delayMs: 1500 }));
    const moved = await subscribe(t, platform(), at('moved'), ['organization.created']);
    const slow = await subscribe(t, platform(), at('slow'), ['organization.created']);
    const [movedId, slowId] = [await ping(moved), await ping(slow)];
    await waitFor('two attempts each', async () => (await delivery(moved, movedId)).attempts >= 2 && (await delivery(slow, slowId)).attempts >= 2);
    expect(await delivery(moved, movedId)).toMatchObject({ status: 'retrying', responseStatus: 302, error: 'HTTP 302 (redirects are not followed)' });
    expect(to('elsewhere')).toEqual([]);
    expect(await delivery(slow, slowId)).toMatchObject({ status: 'retrying', responseStatus: null, error: 'no answer within 400 ms' });
    expect((await delivery(slow, slowId)).durationMs).toBeGreaterThanOrEqual(400);
    for (const sub of [moved, slow]) await t.request('DELETE', `/v1/webhooks/${sub.id}`, { key: t.platformKey });
  });

  it('fails a delivery after its retry window, disables a subscription failing that long, and sends a failed delivery again on request', async () => {
    answers.set('down', () => ({ status: 503 }));
    const sub = await subscribe(t, platform(), at('down'), ['organization.created']);
    const id = await ping(sub);
    await waitFor('the subscription disabled', async () => (await webhook(sub)).status === 'disabled', 15_000);
    expect(await webhook(sub)).toMatchObject({ status: 'disabled', disabledReason: 'failing' });
    const open = await t.request('POST', `/v1/webhooks/${sub.id}/test`, { key: t.platformKey });
    expect(open.status).toBe(409);
    // Still inside its window when the subscription was disabled: waiting, not scheduled.
    const waiting = await delivery(sub, id);
    expect(waiting).toMatchObject({ status: 'retrying', nextAttemptAt: null });
    const attemptsSoFar = to('down').length;
    expect(attemptsSoFar).toBeGreaterThan(3);

    // Re-enabled (the receiver still down): it is due at once again, then fails for good when its window ends.
    await t.request('PATCH', `/v1/webhooks/${sub.id}`, { key: t.platformKey, body: { status: 'active' } });
    await waitFor('the delivery failed', async () => (await delivery(sub, id)).status === 'failed', 15_000);
    expect(await delivery(sub, id)).toMatchObject({ status: 'failed', nextAttemptAt: null, responseStatus: 503, error: 'HTTP 503' });
    expect(to('down').length).toBeGreaterThan(attemptsSoFar);

    // The receiver is back: a failed delivery is sent again on request, with its webhook-id.
    answers.set('down', () => ({ status: 200 }));
    if ((await webhook(sub)).status === 'disabled') await t.request('PATCH', `/v1/webhooks/${sub.id}`, { key: t.platformKey, body: { status: 'active' } });
    const retried = await t.request('POST', `/v1/webhooks/${sub.id}/deliveries/${id}/retry`, { key: t.platformKey });
    expect(retried.status).toBe(202);
    await waitFor('the delivery succeeded', async () => (await delivery(sub, id)).status === 'succeeded');
    expect(to('down').at(-1)!.headers['webhook-id']).toBe(id);
    expect((await webhook(sub)).status).toBe('active');
  });
});
