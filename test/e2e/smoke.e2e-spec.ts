import { startTestApp, TestApp } from '../support/test-app';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => t?.close());

  it('boots', async () => {
    const res = await t.request('GET', '/health/ready', { key: null });
    expect(res.status).toBe(200);
    const me = await t.request('GET', '/v1/me');
    expect(me.status).toBe(200);
    expect(me.body.organization.kind).toBe('platform');
  });
});
