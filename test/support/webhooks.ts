import type { OrgWithKey } from './factories';
import type { TestApp } from './test-app';

/** Settings that make webhook tests quick: private targets allowed (a local receiver), short back-off and rounds. */
export const FAST_WEBHOOKS: Record<string, string> = {
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  WEBHOOK_RETRY_BASE_MS: '50',
  WEBHOOK_RETRY_MAX_DELAY_MS: '200',
  WEBHOOK_RECONCILE_MS: '500',
  WEBHOOK_TIMEOUT_MS: '2000',
  OUTBOX_POLL_MS: '100',
};

export interface Subscription {
  id: string;
  secret: string;
  body: any;
}

export async function subscribe(t: TestApp, org: OrgWithKey | { key: string }, url: string, eventTypes: string[] = ['*'], extra: Record<string, unknown> = {}): Promise<Subscription> {
  const res = await t.request('POST', '/v1/webhooks', { key: org.key, body: { url, eventTypes, ...extra } });
  if (res.status !== 201) throw new Error(`subscribe: ${res.status} ${res.text}`);
  return { id: res.body.id, secret: res.body.secret, body: res.body };
}

/** Every delivery row of a subscription, read directly (oldest first). */
export async function deliveryRows(t: TestApp, subscriptionId: string): Promise<any[]> {
  return t.dataSource.query(`SELECT * FROM webhook_deliveries WHERE subscription_id = $1 ORDER BY created_at, id`, [subscriptionId]);
}
