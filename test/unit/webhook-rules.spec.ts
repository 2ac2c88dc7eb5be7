import { Webhook } from 'standardwebhooks';
import {
  afterAttempt,
  checkWebhookUrl,
  DOMAIN_EVENT_TYPES,
  eventData,
  failedTooLong,
  isSubscribableEventType,
  newSecret,
  normalizeEventTypes,
  outcomeOf,
  retryDelayMs,
  secretKey,
  signatureHeader,
  subscribedTo,
  webhookPayload,
  withoutPersonalData,
} from '../../src/webhooks/webhook.rules';

const schedule = { baseMs: 1000, maxDelayMs: 60_000, retryForMs: 3 * 86_400_000 };
const event = {
  id: '11111111-1111-4111-8111-111111111111',
  type: 'placement.confirmed',
  aggregateType: 'placement',
  aggregateId: '22222222-2222-4222-8222-222222222222',
  brandId: '33333333-3333-4333-8333-333333333333',
  data: { placementId: '22222222-2222-4222-8222-222222222222', employerId: '44444444-4444-4444-8444-444444444444', version: 2 },
  occurredAt: '2026-12-01T08:00:00.000Z',
};

describe('webhook rules', () => {
  describe('event types', () => {
    it('lists every type the modules write, each once', () => {
      expect(DOMAIN_EVENT_TYPES).toEqual(expect.arrayContaining(['placement.confirmed', 'placement.salary_changed', 'brand.certified', 'brand.expired', 'trainee.registered', 'certification.issued', 'organization.created']));
      expect(new Set(DOMAIN_EVENT_TYPES).size).toBe(DOMAIN_EVENT_TYPES.length);
    });

    it('subscribes to known types, aggregate patterns and *, nothing else', () => {
      for (const ok of ['*', 'placement.*', 'placement.confirmed', 'trainee.*']) expect(isSubscribableEventType(ok)).toBe(true);
      for (const bad of ['placement.confirm', 'placements.*', 'webhook.test', '**', 'placement.confirmed ', '', 'a.b.*']) expect(isSubscribableEventType(bad)).toBe(false);
    });

    it('matches types by pattern, and keeps * alone', () => {
      expect(subscribedTo(['placement.*'], 'placement.ended')).toBe(true);
      expect(subscribedTo(['placement.*'], 'brand.certified')).toBe(false);
      expect(subscribedTo(['brand.certified', 'placement.confirmed'], 'placement.confirmed')).toBe(true);
      expect(normalizeEventTypes(['placement.*', '*'])).toEqual(['*']);
      expect(normalizeEventTypes(['a.b', 'a.b', 'c.d'])).toEqual(['a.b', 'c.d']);
    });
  });

  describe('bodies', () => {
    it('is { type, timestamp, data } with the ids added to data', () => {
      expect(webhookPayload(event)).toEqual({
        type: 'placement.confirmed',
        timestamp: '2026-12-01T08:00:00.000Z',
        data: { ...event.data, eventId: event.id, brandId: event.brandId, aggregateType: 'placement', aggregateId: event.aggregateId },
      });
    });

    it('never carries a name, identity number or phone, at any depth', () => {
      const dirty = { traineeId: 'x', fullName: '张伟', nested: { nationalId: '110105199001011234', phone: '13800000000', keep: 1 }, list: [{ name: 'n', id: 1 }] };
      expect(withoutPersonalData(dirty)).toEqual({ traineeId: 'x', nested: { keep: 1 }, list: [{ id: 1 }] });
      expect(JSON.stringify(eventData({ ...event, data: dirty }))).not.toMatch(/张伟|110105199001011234|13800000000/);
    });
  });

  describe('signatures', () => {
    it('signs as Standard Webhooks receivers verify, with every key given', () => {
      const secret = newSecret();
      const old = newSecret();
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      const body = JSON.stringify(webhookPayload(event));
      const ts = Math.floor(Date.now() / 1000);
      const header = signatureHeader('msg-1', ts, body, [secretKey(secret), secretKey(old)]);
      expect(header.split(' ')).toHaveLength(2);
      const headers = { 'webhook-id': 'msg-1', 'webhook-timestamp': String(ts), 'webhook-signature': header };
      expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
      expect(new Webhook(old).verify(body, headers)).toEqual(JSON.parse(body));
      expect(header.split(' ')[0]).toBe(new Webhook(secret).sign('msg-1', new Date(ts * 1000), body));
      expect(() => new Webhook(newSecret()).verify(body, headers)).toThrow();
      expect(() => new Webhook(secret).verify(body.replace('confirmed', 'confirmee'), headers)).toThrow();
    });
  });

  describe('attempts', () => {
    it('reads an answer: 2xx succeeds, 410 ends it, the rest is retried', () => {
      expect([200, 201, 204, 299].map(outcomeOf)).toEqual(['success', 'success', 'success', 'success']);
      expect(outcomeOf(410)).toBe('gone');
      expect([null, 199, 301, 302, 400, 404, 429, 500, 503].map(outcomeOf).every((o) => o === 'failure')).toBe(true);
    });

    it('backs off exponentially, capped, with jitter between half and all of the delay', () => {
      expect(retryDelayMs(1, schedule, () => 0)).toBe(500);
      expect(retryDelayMs(1, schedule, () => 1)).toBe(1000);
      expect(retryDelayMs(2, schedule, () => 1)).toBe(2000);
      expect(retryDelayMs(5, schedule, () => 1)).toBe(16_000);
      expect(retryDelayMs(10, schedule, () => 1)).toBe(60_000);
      expect(retryDelayMs(1000, schedule, () => 0.5)).toBe(45_000);
      const delays = Array.from({ length: 200 }, () => retryDelayMs(3, schedule));
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(2000);
      expect(Math.max(...delays)).toBeLessThanOrEqual(4000);
      expect(new Set(delays).size).toBeGreaterThan(10);
    });

    it('settles a delivery: succeeded, failed on 410 or past its window, else retrying', () => {
      const now = new Date('2026-12-01T00:00:00Z');
      const expires = new Date('2026-12-04T00:00:00Z');
      expect(afterAttempt('success', 1, expires, now, schedule)).toEqual({ status: 'succeeded', nextAttemptAt: null });
      expect(afterAttempt('gone', 1, expires, now, schedule)).toEqual({ status: 'failed', nextAttemptAt: null });
      expect(afterAttempt('failure', 1, expires, now, schedule, () => 1)).toEqual({ status: 'retrying', nextAttemptAt: new Date(now.getTime() + 1000) });
      expect(afterAttempt('failure', 3, new Date(now.getTime() + 1000), now, schedule, () => 1)).toEqual({ status: 'failed', nextAttemptAt: null });
    });

    it('disables a subscription failing for the whole period, not before', () => {
      const now = new Date('2026-12-04T00:00:00Z');
      expect(failedTooLong(null, now, 3 * 86_400_000)).toBe(false);
      expect(failedTooLong(new Date('2026-12-01T00:00:01Z'), now, 3 * 86_400_000)).toBe(false);
      expect(failedTooLong(new Date('2026-12-01T00:00:00Z'), now, 3 * 86_400_000)).toBe(true);
    });
  });

  describe('URLs', () => {
    const dev = { production: false, allowPrivateTargets: false };
    const prod = { production: true, allowPrivateTargets: false };
    it('takes absolute http(s) URLs without credentials or fragments; https only in production', () => {
      expect(checkWebhookUrl('https://hooks.example.com/x?y=1', prod).ok).toBe(true);
      expect(checkWebhookUrl('http://hooks.example.com/x', dev).ok).toBe(true);
      expect(checkWebhookUrl('http://hooks.example.com/x', prod)).toMatchObject({ ok: false, code: 'HTTPS_REQUIRED' });
      expect(checkWebhookUrl('http://hooks.example.com/x', { production: true, allowPrivateTargets: true }).ok).toBe(true);
      for (const bad of ['ftp://x.example/y', 'hooks.example.com', '/relative', 'https://user:pw@x.example/', 'https://x.example/#frag', `https://x.example/${'a'.repeat(2100)}`]) {
        expect(checkWebhookUrl(bad, dev)).toMatchObject({ ok: false, code: 'INVALID_URL' });
      }
    });
  });
});
