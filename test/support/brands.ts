import type { TestApp } from './test-app';

/** The brands of the design document, as realistic seeds. */
export const SEED_BRANDS = {
  xuhuiAiTrainer: { name: '徐汇AI训练师', occupationCode: '4-04-05-05', occupationName: '人工智能训练师', sector: '信息技术', regionCode: '310104', description: 'Xuhui AI Trainer brand' },
  yangpuCncOperator: { name: '杨浦低空飞行数控操作员', occupationCode: '6-18-01-01', occupationName: '数控车工', sector: '低空经济', regionCode: '310110', description: 'Yangpu Low-Altitude Flight CNC Operator brand' },
  shenyangAnimationArtist: { name: '沈阳动漫设计师', occupationCode: '4-13-02-03', occupationName: '动画制作员', sector: '文化创意', regionCode: '210100', description: 'Shenyang Animation Artist brand' },
};

export function futureDate(days = 365): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

export async function createBrand(t: TestApp, operatorKey: string, overrides: Record<string, unknown> = {}): Promise<any> {
  const res = await t.request('POST', '/v1/brands', { key: operatorKey, body: { ...SEED_BRANDS.xuhuiAiTrainer, ...overrides } });
  if (res.status !== 201) throw new Error(`createBrand: ${res.status} ${res.text}`);
  return res.body;
}

/** A brand taken through submit and certify: what placements and certificates need. */
export async function createCertifiedBrand(t: TestApp, operatorKey: string, bureauKey: string, overrides: Record<string, unknown> = {}): Promise<any> {
  const brand = await createBrand(t, operatorKey, overrides);
  const submitted = await t.request('POST', `/v1/brands/${brand.id}/submit`, { key: operatorKey });
  if (submitted.status !== 200) throw new Error(`submit: ${submitted.status} ${submitted.text}`);
  const certified = await t.request('POST', `/v1/brands/${brand.id}/certify`, { key: bureauKey, body: { level: 'district', validUntil: futureDate() } });
  if (certified.status !== 200) throw new Error(`certify: ${certified.status} ${certified.text}`);
  return certified.body;
}
