import { normaliseNationalId, parseNationalId } from '../common/identifiers/national-id';
import { isMainlandMobile } from '../common/crypto/pii-cipher';
import type { FieldError } from '../common/problems/problem';
import { TARGET_GROUPS, TargetGroup } from './trainee.rules';

/** The register body's fields, in the order the CSV header may list them. */
export const REGISTRATION_FIELDS = ['fullName', 'nationalId', 'phone', 'targetGroups', 'cohort', 'expectedMonthlySalaryFen'] as const;
export const REQUIRED_REGISTRATION_FIELDS = ['fullName', 'nationalId'] as const;

export const MAX_NAME_LENGTH = 100;
export const MAX_COHORT_LENGTH = 100;
export const MAX_SALARY_FEN = 100_000_000_00; // CNY 100 million a month: beyond any real expectation

export interface Registration {
  fullName: string;
  nationalId: string;
  birthDate: string;
  gender: 'male' | 'female';
  phone: string | null;
  targetGroups: TargetGroup[];
  cohort: string | null;
  expectedMonthlySalaryFen: number | null;
}

export type RegistrationResult = { ok: true; value: Registration } | { ok: false; error: FieldError };

export { normaliseNationalId };

/**
 * One registration checked field by field, the same rules for the JSON route and every import row (CSV gives
 * strings: `targetGroups` as `graduate;veteran`, numbers as digits; empty CSV cells count as absent). Returns the
 * first problem found: an import row reports one error, the field that stopped it.
 */
export function parseRegistration(input: Record<string, unknown>, today: Date = new Date()): RegistrationResult {
  const fail = (field: string, code: string, message: string): RegistrationResult => ({ ok: false, error: { field, code, message } });
  const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

  const { fullName, nationalId, phone, targetGroups, cohort, expectedMonthlySalaryFen } = input;
  if (typeof fullName !== 'string' || fullName.length === 0) return fail('fullName', 'REQUIRED', 'fullName is required');
  if (fullName.length > MAX_NAME_LENGTH) return fail('fullName', 'TOO_LONG', `fullName must be at most ${MAX_NAME_LENGTH} characters`);
  if (fullName.includes('\u0000')) return fail('fullName', 'NUL_CHARACTER', 'fullName may not contain the NUL character');

  if (typeof nationalId !== 'string' || nationalId.length === 0) return fail('nationalId', 'REQUIRED', 'nationalId is required');
  const normalisedId = normaliseNationalId(nationalId);
  const parsed = parseNationalId(normalisedId, today);
  if (!parsed.ok) return fail('nationalId', 'INVALID_NATIONAL_ID', `nationalId ${parsed.reason}`);

  let phoneValue: string | null = null;
  if (present(phone)) {
    if (typeof phone !== 'string' || !isMainlandMobile(phone)) return fail('phone', 'INVALID_PHONE', 'phone must be an 11-digit mainland mobile number');
    phoneValue = phone;
  }

  let groups: TargetGroup[] = [];
  if (present(targetGroups)) {
    const list = typeof targetGroups === 'string' ? targetGroups.split(';').map((g) => g.trim()).filter(Boolean) : targetGroups;
    if (!Array.isArray(list) || !list.every((g): g is TargetGroup => typeof g === 'string' && (TARGET_GROUPS as readonly string[]).includes(g))) {
      return fail('targetGroups', 'INVALID_TARGET_GROUP', `targetGroups must be among ${TARGET_GROUPS.join(', ')}`);
    }
    if (new Set(list).size !== list.length) return fail('targetGroups', 'DUPLICATE_TARGET_GROUP', 'targetGroups lists a group twice');
    groups = list;
  }

  let cohortValue: string | null = null;
  if (present(cohort)) {
    if (typeof cohort !== 'string' || cohort.length > MAX_COHORT_LENGTH || cohort.includes('\u0000')) {
      return fail('cohort', 'INVALID_COHORT', `cohort must be a string of at most ${MAX_COHORT_LENGTH} characters`);
    }
    cohortValue = cohort;
  }

  let salary: number | null = null;
  if (present(expectedMonthlySalaryFen)) {
    const n = typeof expectedMonthlySalaryFen === 'string' && /^\d{1,12}$/.test(expectedMonthlySalaryFen) ? Number(expectedMonthlySalaryFen) : expectedMonthlySalaryFen;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > MAX_SALARY_FEN) {
      return fail('expectedMonthlySalaryFen', 'INVALID_AMOUNT', 'expectedMonthlySalaryFen must be a whole number of fen from 0 to 10000000000');
    }
    salary = n;
  }

  return {
    ok: true,
    value: { fullName, nationalId: normalisedId, birthDate: parsed.birthDate, gender: parsed.gender, phone: phoneValue, targetGroups: groups, cohort: cohortValue, expectedMonthlySalaryFen: salary },
  };
}
