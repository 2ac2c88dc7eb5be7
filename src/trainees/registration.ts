import { normaliseNationalId, parseNationalId } from '../common/identifiers/national-id';
import { isMainlandMobile } from '../common/crypto/pii-cipher';
import type { FieldError } from '../common/problems/problem';
import { TARGET_GROUPS, TargetGroup } from './trainee.rules';
import { msg, type Message } from '../common/i18n/message';

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
  const fail = (field: string, code: string, message: Message): RegistrationResult => ({ ok: false, error: { field, code, message } });
  const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

  const { fullName, nationalId, phone, targetGroups, cohort, expectedMonthlySalaryFen } = input;
  if (typeof fullName !== 'string' || fullName.length === 0) return fail('fullName', 'REQUIRED', msg('field.required', { field: 'fullName' }));
  if (fullName.length > MAX_NAME_LENGTH) return fail('fullName', 'TOO_LONG', msg('field.tooLong', { field: 'fullName', max: MAX_NAME_LENGTH }));
  if (fullName.includes('\u0000')) return fail('fullName', 'NUL_CHARACTER', msg('field.noNul', { field: 'fullName' }));

  if (typeof nationalId !== 'string' || nationalId.length === 0) return fail('nationalId', 'REQUIRED', msg('field.required', { field: 'nationalId' }));
  const normalisedId = normaliseNationalId(nationalId);
  const parsed = parseNationalId(normalisedId, today);
  if (!parsed.ok) return fail('nationalId', 'INVALID_NATIONAL_ID', msg('field.nationalId', { field: 'nationalId', reason: parsed.reason }));

  let phoneValue: string | null = null;
  if (present(phone)) {
    if (typeof phone !== 'string' || !isMainlandMobile(phone)) return fail('phone', 'INVALID_PHONE', msg('field.mobile', { field: 'phone' }));
    phoneValue = phone;
  }

  let groups: TargetGroup[] = [];
  if (present(targetGroups)) {
    const list = typeof targetGroups === 'string' ? targetGroups.split(';').map((g) => g.trim()).filter(Boolean) : targetGroups;
    if (!Array.isArray(list) || !list.every((g): g is TargetGroup => typeof g === 'string' && (TARGET_GROUPS as readonly string[]).includes(g))) {
      return fail('targetGroups', 'INVALID_TARGET_GROUP', msg('field.targetGroups', { field: 'targetGroups', values: TARGET_GROUPS.join(', ') }));
    }
    if (new Set(list).size !== list.length) return fail('targetGroups', 'DUPLICATE_TARGET_GROUP', msg('field.duplicateGroup', { field: 'targetGroups' }));
    groups = list;
  }

  let cohortValue: string | null = null;
  if (present(cohort)) {
    if (typeof cohort !== 'string' || cohort.length > MAX_COHORT_LENGTH || cohort.includes('\u0000')) {
      return fail('cohort', 'INVALID_COHORT', msg('field.cohort', { field: 'cohort', max: MAX_COHORT_LENGTH }));
    }
    cohortValue = cohort;
  }

  let salary: number | null = null;
  if (present(expectedMonthlySalaryFen)) {
    const n = typeof expectedMonthlySalaryFen === 'string' && /^\d{1,12}$/.test(expectedMonthlySalaryFen) ? Number(expectedMonthlySalaryFen) : expectedMonthlySalaryFen;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > MAX_SALARY_FEN) {
      return fail('expectedMonthlySalaryFen', 'INVALID_AMOUNT', msg('field.amountFen', { field: 'expectedMonthlySalaryFen', max: MAX_SALARY_FEN }));
    }
    salary = n;
  }

  return {
    ok: true,
    value: { fullName, nationalId: normalisedId, birthDate: parsed.birthDate, gender: parsed.gender, phone: phoneValue, targetGroups: groups, cohort: cohortValue, expectedMonthlySalaryFen: salary },
  };
}
