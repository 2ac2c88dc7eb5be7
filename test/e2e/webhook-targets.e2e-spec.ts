import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { WebhookResolver } from '../../src/webhooks/webhook-sender';
import { waitFor } from '../support/events';
import { expectFieldError, expectProblem } from '../support/expect';
import { createOrganization, OrgWithKey } from '../support/factories';
import { startTestApp, TestApp } from '../support/test-app';
import { WebhookReceiver } from '../support/webhook-receiver';
import { FAST_WEBHOOKS, subscribe } from '../support/webhooks';

/**
 * Webhooks never reach the service's own network: a URL whose host is or resolves to a loopback, private,
 * link-local or multicast address is refused when the webhook is made or changed, and every connection is made
 * to an address checked at that moment, so a DNS answer that changes afterwards is caught too. The resolver is
 * the one seam replaced here (no DNS server in the tests): it answers what each test says, and counts the calls.
 */
describe('webhook targets', () => {
  describe('private targets not allowed (the default)', () => {
    let t: TestApp;
    let receiver: WebhookReceiver;
    let employer: OrgWithKey;
    const dns = new Map<string, string[]>();
    const lookups: string[] = [];

    beforeAll(async () => {
      receiver = await WebhookReceiver.start();
      t = await startTestApp({ ...FAST_WEBHOOKS, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false' }, { worker: true });
      t.app.get(WebhookResolver).lookup = async (hostname: string): Promise<LookupAddress[]> => {
        lookups.push(hostname);
        const addresses = dns.get(hostname);
        if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
        return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
      };
      employer = await createOrganization(t, 'employer');
    });
    afterAll(async () => {
      await t?.close();
      await receiver?.close();
    });

    const create = (url: string) => t.request('POST', '/v1/webhooks', { key: employer.key, body: { url, eventTypes: ['*'] } });

    it.each([
      ['http://127.0.0.1/h', 'loopback'],
      ['http://[::1]:8080/h', 'loopback'],
      ['http://[::ffff:127.0.0.1]/h', 'loopback'],
      ['http://[::ffff:a00:1]/h', 'private'],
      ['http://10.0.0.8/h', 'private'],
      ['http://192.168.1.20/h', 'private'],
      ['http://172.20.0.1/h', 'private'],
      ['http://169.254.169.254/latest/meta-data/', 'link-local'],
      ['http://[fe80::1]/h', 'link-local'],
      ['http://[fd00::5]/h', 'private'],
      ['http://224.0.0.1/h', 'multicast'],
      ['http://[ff02::1]/h', 'multicast'],
      ['http://0.0.0.0/h', 'unspecified'],
      ['http://2130706433/h', 'loopback'],
    ])('refuses %s (%s)', async (url, reason) => {
      const body = expectFieldError(await create(url), 'WEBHOOK_URL_NOT_ALLOWED', 'url', 'ADDRESS_NOT_ALLOWED');
      expect(body.detail).toContain(reason);
    });

    it('refuses a host name that resolves to a refused address, any of its addresses', async () => {
      dns.set('intranet.example.com', ['10.1.2.3']);
      dns.set('mixed.example.com', ['93.184.215.14', '::1']);
      dns.set('rebind.example.com', ['127.0.0.1']);
      for (const host of ['intranet.example.com', 'mixed.example.com', 'rebind.example.com']) {
        expectFieldError(await create(`https://${host}/h`), 'WEBHOOK_URL_NOT_ALLOWED', 'url', 'ADDRESS_NOT_ALLOWED');
      }
      expectFieldError(await create('https://nowhere.example.com/h'), 'VALIDATION_FAILED', 'url', 'UNRESOLVABLE_HOST');
      expect((await t.request('GET', '/v1/webhooks', { key: employer.key })).body.items).toEqual([]);
    });

    it('refuses the same on an edit', async () => {
      dns.set('public.example.com', ['93.184.215.14']);
      const sub = await subscribe(t, employer, 'https://public.example.com/h', ['placement.*']);
      expectFieldError(await t.request('PATCH', `/v1/webhooks/${sub.id}`, { key: employer.key, body: { url: 'http://127.0.0.1:9/h' } }), 'WEBHOOK_URL_NOT_ALLOWED', 'url');
      expect((await t.request('GET', `/v1/webhooks/${sub.id}`, { key: employer.key })).body.url).toBe('https://public.example.com/h');
      await t.request('DELETE', `/v1/webhooks/${sub.id}`, { key: employer.key });
    });

    it('catches a DNS answer that changed after the webhook was made: nothing is sent to the new address', async () => {
      dns.set('hooks.example.com', ['93.184.215.14']);
      const sub = await subscribe(t, employer, `http://hooks.example.com:${receiver.port}/hooks`, ['placement.*']);
      // Now the name points at this machine, where a receiver listens.
      dns.set('hooks.example.com', ['127.0.0.1']);
      lookups.length = 0;
      const ping = await t.request('POST', `/v1/webhooks/${sub.id}/test`, { key: employer.key });
      expect(ping.status).toBe(202);
      const delivery = async (): Promise<any> => (await t.request('GET', `/v1/webhooks/${sub.id}/deliveries`, { key: employer.key })).body.items[0];
      await waitFor('two attempts', async () => (await delivery()).attempts >= 2);
      expect(await delivery()).toMatchObject({ status: 'retrying', responseStatus: null, error: 'address 127.0.0.1 is not allowed (loopback)' });
      expect(lookups.filter((h) => h === 'hooks.example.com').length).toBeGreaterThanOrEqual(2);
      expect(receiver.received).toEqual([]);
      const metrics = await t.metrics();
      expect(metrics.text).toMatch(/^webhook_delivery_failures_total\{kind="refused"\} [1-9]\d*$/m);
      await t.request('DELETE', `/v1/webhooks/${sub.id}`, { key: employer.key });
    });
  });

  describe('private targets allowed (tests, on-premises)', () => {
    let t: TestApp;
    let receiver: WebhookReceiver;

    beforeAll(async () => {
      receiver = await WebhookReceiver.start();
      t = await startTestApp(FAST_WEBHOOKS, { worker: true });
      t.app.get(WebhookResolver).lookup = async (hostname: string): Promise<LookupAddress[]> => {
        if (hostname === 'receiver.on-premises.test') return [{ address: '127.0.0.1', family: 4 }];
        throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      };
    });
    afterAll(async () => {
      await t?.close();
      await receiver?.close();
    });

    it('sends to loopback, and connects to the address the resolver gave', async () => {
      const employer = await createOrganization(t, 'employer');
      const sub = await subscribe(t, employer, `http://receiver.on-premises.test:${receiver.port}/hooks`, ['placement.*']);
      await t.request('POST', `/v1/webhooks/${sub.id}/test`, { key: employer.key });
      await waitFor('the ping', () => receiver.received.length === 1);
      expect(receiver.received[0].headers.host).toBe(`receiver.on-premises.test:${receiver.port}`);
    });
  });

  describe('production', () => {
    let t: TestApp;
    beforeAll(async () => {
      const jwk = { ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), kid: 'c1' };
      t = await startTestApp({
        NODE_ENV: 'production',
        PII_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
        PII_HMAC_KEY: randomBytes(32).toString('base64'),
        CREDENTIAL_SIGNING_KEY: JSON.stringify(jwk),
      });
      t.app.get(WebhookResolver).lookup = async () => [{ address: '93.184.215.14', family: 4 }];
    });
    afterAll(async () => t?.close());

    it('requires https', async () => {
      const firm = await createOrganization(t, 'hr_firm');
      const res = await t.request('POST', '/v1/webhooks', { key: firm.key, body: { url: 'http://ats.example.com/h', eventTypes: ['*'] } });
      expectProblem(res, 400, 'WEBHOOK_URL_NOT_ALLOWED');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'url', code: 'HTTPS_REQUIRED' })]);
      expect((await t.request('POST', '/v1/webhooks', { key: firm.key, body: { url: 'https://ats.example.com/h', eventTypes: ['*'] } })).status).toBe(201);
    });
  });
});
