import type { OrgWithKey } from './factories';
import type { TestApp } from './test-app';
import { registerTrainee } from './trainees';

/** Today in China (the API's dates are China dates). */
export const chinaDate = (offsetDays = 0): string => new Date(Date.now() + 8 * 3_600_000 + offsetDays * 86_400_000).toISOString().slice(0, 10);

export interface Placed {
  traineeId: string;
  placementId: string;
}

/** Registers a trainee of the brand and places them with the employer (proposed by the operator, confirmed by the employer). */
export async function placeNewTrainee(
  t: TestApp,
  operator: OrgWithKey,
  employer: OrgWithKey,
  brandId: string,
  terms: { salaryFen: number; salaryPeriod?: 'monthly' | 'annual'; startDate?: string; expectedMonthlySalaryFen?: number | null },
): Promise<Placed> {
  const trainee = await registerTrainee(t, operator.key, brandId, { expectedMonthlySalaryFen: terms.expectedMonthlySalaryFen === undefined ? 1_000_000 : terms.expectedMonthlySalaryFen });
  const proposed = await t.request('POST', '/v1/placements', {
    key: operator.key,
    body: { traineeId: trainee.id, employerId: employer.id, jobTitle: '训练师', workRegionCode: employer.regionCode, salaryFen: terms.salaryFen, salaryPeriod: terms.salaryPeriod ?? 'annual', startDate: terms.startDate ?? chinaDate() },
  });
  if (proposed.status !== 201) throw new Error(`propose: ${proposed.status} ${proposed.text}`);
  const confirmed = await t.request('POST', `/v1/placements/${proposed.body.id}/confirm`, { key: employer.key, body: {} });
  if (confirmed.status !== 200) throw new Error(`confirm: ${confirmed.status} ${confirmed.text}`);
  return { traineeId: trainee.id, placementId: proposed.body.id };
}

/** Ends a confirmed placement on `endDate` (its last working day). */
export async function endPlacement(t: TestApp, employer: OrgWithKey, placementId: string, endDate = chinaDate()): Promise<void> {
  const res = await t.request('POST', `/v1/placements/${placementId}/end`, { key: employer.key, body: { endDate, reason: 'contract ended' } });
  if (res.status !== 200) throw new Error(`end: ${res.status} ${res.text}`);
}
