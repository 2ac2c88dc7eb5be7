/**
 * A trainee's course through a brand (API.md, Trainees):
 *
 *   registered ──▶ training ──▶ completed ──(placement confirmed)──▶ placed ──(placement ended)──▶ completed
 *        └────────────┴──────────────┴──────▶ withdrawn   (any status but placed)
 *
 * `placed` belongs to the system: it is set while a confirmed placement is active and cleared when it ends.
 */
import { sqlIn } from '../database/sql';
import { msg, type Message } from '../common/i18n/message';

export const TRAINEE_STATUSES = ['registered', 'training', 'completed', 'placed', 'withdrawn'] as const;
export type TraineeStatus = (typeof TRAINEE_STATUSES)[number];

/** Every trainee starts here, one registered by hand or imported. */
export const REGISTERED_STATUS: TraineeStatus = 'registered';

/** The statuses an operator may set through PATCH. */
export const OPERATOR_SETTABLE_STATUSES = ['registered', 'training', 'completed', 'withdrawn'] as const;
export type OperatorSettableStatus = (typeof OPERATOR_SETTABLE_STATUSES)[number];

export const TARGET_GROUPS = ['graduate', 'veteran', 'rural_migrant', 'unemployed', 'disabled'] as const;
export type TargetGroup = (typeof TARGET_GROUPS)[number];

const OPERATOR_MOVES: Record<TraineeStatus, readonly TraineeStatus[]> = {
  registered: ['training', 'withdrawn'],
  training: ['completed', 'withdrawn'],
  completed: ['withdrawn'],
  placed: [],
  withdrawn: [],
};

export type TraineeTransitionCheck = { ok: true } | { ok: false; reason: Message };

/** An operator's status change; setting the current status again is not a change and is allowed. */
export function checkOperatorStatusChange(from: TraineeStatus, to: TraineeStatus): TraineeTransitionCheck {
  if (from === to) return { ok: true };
  if (to === 'placed') return { ok: false, reason: msg('trainee.placedBySystem') };
  if (from === 'placed') return { ok: false, reason: msg('trainee.placedUntilEnd') };
  if (!OPERATOR_MOVES[from].includes(to)) {
    const allowed = OPERATOR_MOVES[from];
    return { ok: false, reason: allowed.length ? msg('trainee.transitionNext', { from, to, next: allowed.join(' | ') }) : msg('trainee.transition', { from, to }) };
  }
  return { ok: true };
}

/** Only these may have a placement confirmed (withdrawn people are gone; placed ones already work). */
export const PLACEABLE_STATUSES: readonly TraineeStatus[] = ['registered', 'training', 'completed'];

/** The one rule of who may be placed: a trainee still with the brand, not working, and not erased. */
export function canBePlaced(trainee: { status: TraineeStatus; erased: boolean }): boolean {
  return !trainee.erased && PLACEABLE_STATUSES.includes(trainee.status);
}

/** canBePlaced as a SQL condition on a trainees row under `alias` (a test runs both forms on every case). */
export function canBePlacedSql(alias: string): string {
  return `NOT ${alias}.erased AND ${sqlIn(`${alias}.status`, PLACEABLE_STATUSES)}`;
}

/** The status a trainee takes while a confirmed placement is active, and the one it returns to when it ends. */
export const PLACED_STATUS: TraineeStatus = 'placed';
export const AFTER_PLACEMENT_STATUS: TraineeStatus = 'completed';

/** Chinese names shown to people who may not see them: first character kept, the rest `*` (张三丰 → 张**). */
export function maskName(fullName: string): string {
  const chars = Array.from(fullName.trim());
  if (chars.length === 0) return '';
  return chars[0] + '*'.repeat(Math.max(1, chars.length - 1));
}
