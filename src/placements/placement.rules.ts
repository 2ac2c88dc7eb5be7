import { msg, type Message } from '../common/i18n/message';

/**
 * The placement workflow (API.md, Placements):
 *
 *   proposed ──confirm──▶ confirmed ──end──▶ ended
 *      ├──reject──▶ rejected
 *      └──withdraw──▶ withdrawn
 */
export const PLACEMENT_STATUSES = ['proposed', 'confirmed', 'rejected', 'withdrawn', 'ended'] as const;
export type PlacementStatus = (typeof PLACEMENT_STATUSES)[number];

export const SALARY_PERIODS = ['monthly', 'annual'] as const;
export type SalaryPeriod = (typeof SALARY_PERIODS)[number];

export type PlacementAction = 'confirm' | 'reject' | 'withdraw' | 'end' | 'change_salary';

/** Who may take an action: the named employer, the brand's operator, or either. */
export type PlacementActor = 'employer' | 'operator' | 'employer_or_operator';

interface Rule {
  from: readonly PlacementStatus[];
  to: PlacementStatus;
  by: PlacementActor;
  event: string;
}

export const PLACEMENT_RULES: Record<PlacementAction, Rule> = {
  confirm: { from: ['proposed'], to: 'confirmed', by: 'employer', event: 'placement.confirmed' },
  reject: { from: ['proposed'], to: 'rejected', by: 'employer', event: 'placement.rejected' },
  withdraw: { from: ['proposed'], to: 'withdrawn', by: 'operator', event: 'placement.withdrawn' },
  end: { from: ['confirmed'], to: 'ended', by: 'employer_or_operator', event: 'placement.ended' },
  // A salary change keeps the status: only a running job has a salary to change.
  change_salary: { from: ['confirmed'], to: 'confirmed', by: 'employer', event: 'placement.salary_changed' },
};

export type PlacementCheck = { ok: true; to: PlacementStatus } | { ok: false; reason: Message };

export function checkPlacementAction(current: PlacementStatus, action: PlacementAction): PlacementCheck {
  const rule = PLACEMENT_RULES[action];
  if (!rule.from.includes(current)) {
    return { ok: false, reason: msg('placement.transition', { action, status: current, from: rule.from.join(' | ') }) };
  }
  return { ok: true, to: rule.to };
}

/** Proposed and confirmed placements are open: a trainee has at most one (a unique index says so). */
export const OPEN_PLACEMENT_STATUSES: readonly PlacementStatus[] = ['proposed', 'confirmed'];

/** A confirmed placement is an active job: the salary figures are over these, and its trainee is `placed`. */
export const ACTIVE_PLACEMENT_STATUS: PlacementStatus = 'confirmed';

/**
 * What is wrong with a date in a job's life (a salary's effective date, the last working day), or null: it may not
 * be before the job started, nor after today in China (`today`, chinaToday()). Dates are `YYYY-MM-DD`.
 */
export type JobDateProblem = 'BEFORE_START' | 'IN_FUTURE';

export function jobDateProblem(date: string, startDate: string, today: string): JobDateProblem | null {
  if (date < startDate) return 'BEFORE_START';
  if (date > today) return 'IN_FUTURE';
  return null;
}

/** jobDateProblem(…) === null as a SQL condition over date expressions (a test runs both forms on every case). */
export function jobDateOkSql(date: string, startDate: string, today: string): string {
  return `(${date} >= ${startDate} AND ${date} <= ${today})`;
}

/**
 * Whether a salary change becomes the current salary: the current one is the one with the latest effective date,
 * the newer report on a tie; a back-dated correction only goes into the history. `latestEffectiveDate` is the
 * latest in the history before this change (null without history).
 */
export function becomesCurrentSalary(effectiveDate: string, latestEffectiveDate: string | null): boolean {
  return latestEffectiveDate === null || effectiveDate >= latestEffectiveDate;
}

/** becomesCurrentSalary as a SQL condition over date expressions (a test runs both forms on every case). */
export function becomesCurrentSalarySql(effectiveDate: string, latestEffectiveDate: string): string {
  return `(${latestEffectiveDate} IS NULL OR ${effectiveDate} >= ${latestEffectiveDate})`;
}

/** Annual equivalent of a salary as given: twelve monthly salaries (API.md), an annual one as is. */
export function annualSalaryFen(salaryFen: number, period: SalaryPeriod): number {
  return period === 'monthly' ? salaryFen * 12 : salaryFen;
}
