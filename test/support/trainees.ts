import { nationalIdCheckCharacter } from '../../src/common/identifiers/national-id';
import type { TestApp } from './test-app';

let serial = 0;

/** A valid, unique resident identity number: Xuhui district prefix, a real birth date, a correct check character. */
export function nationalId(birthDate = '19980315', gender: 'male' | 'female' = 'female', region = '310104'): string {
  serial = (serial + 1) % 500;
  const seq = String(Math.floor(Math.random() * 50) * 10 + (serial % 10)).padStart(3, '0').slice(0, 2);
  const genderDigit = gender === 'male' ? (serial % 5) * 2 + 1 : (serial % 5) * 2;
  const first17 = `${region}${birthDate}${seq}${genderDigit}`;
  return first17 + nationalIdCheckCharacter(first17);
}

let unique = 0;
/** Unique across a test run: varies the birth date, so thousands can be generated without collisions. */
export function uniqueNationalId(gender: 'male' | 'female' = 'female'): string {
  unique++;
  const day = new Date(Date.UTC(1970, 0, 1) + (unique % 12000) * 86_400_000);
  const birth = day.toISOString().slice(0, 10).replace(/-/g, '');
  const seq = String(Math.floor(unique / 12000) % 100).padStart(2, '0');
  const genderDigit = gender === 'male' ? ((unique % 5) * 2 + 1) : (unique % 5) * 2;
  const first17 = `310104${birth}${seq}${genderDigit}`;
  return first17 + nationalIdCheckCharacter(first17);
}

export async function registerTrainee(t: TestApp, operatorKey: string, brandId: string, overrides: Record<string, unknown> = {}): Promise<any> {
  const res = await t.request('POST', `/v1/brands/${brandId}/trainees`, {
    key: operatorKey,
    body: { fullName: '张伟', nationalId: uniqueNationalId(), phone: '13812345678', targetGroups: ['graduate'], cohort: '2026春季班', expectedMonthlySalaryFen: 1_000_000, ...overrides },
  });
  if (res.status !== 201) throw new Error(`registerTrainee: ${res.status} ${res.text}`);
  return res.body;
}
