/**
 * The certification workflow of a labor service brand, as pure rules (API.md, Brands):
 *
 *   draft ──submit──▶ submitted ──certify──▶ certified ──suspend──▶ suspended
 *     ▲                   │                     ▲   │                 │
 *     └──────reject───────┘                     │   └──revoke──▶ revoked ◀──revoke──┘
 *                                               └────reinstate────────┘
 *
 * A certified (or suspended) brand past `validUntil` is `expired`: final, and treated as not certified.
 */
import { chinaToday } from '../common/time/china-time';
import { msg, type Message } from '../common/i18n/message';
import { sqlIn, sqlLiteral, sqlNotIn } from '../database/sql';

export const BRAND_STATUSES = ['draft', 'submitted', 'certified', 'suspended', 'revoked', 'expired'] as const;
export type BrandStatus = (typeof BRAND_STATUSES)[number];

export const BRAND_LEVELS = ['national', 'provincial', 'municipal', 'district'] as const;
export type BrandLevel = (typeof BRAND_LEVELS)[number];

export const BRAND_ACTIONS = ['create', 'submit', 'certify', 'reject', 'suspend', 'reinstate', 'revoke', 'expire'] as const;
export type BrandAction = (typeof BRAND_ACTIONS)[number];
export type BrandDecision = Exclude<BrandAction, 'create'>;

/** Who may take each action: the operator (the HR firm), a bureau with jurisdiction, or the system's scheduler. */
export type BrandDecider = 'operator' | 'bureau' | 'system';

interface Transition {
  from: readonly BrandStatus[];
  to: BrandStatus;
  by: BrandDecider;
  /** Past-tense event name, `brand.<event>`. */
  event: string;
}

/** A brand in one of these statuses with its `validUntil` passed reads as `expired` (and the scheduler records it). */
export const EXPIRING_STATUSES: readonly BrandStatus[] = ['certified', 'suspended'];

export const BRAND_TRANSITIONS: Record<BrandDecision, Transition> = {
  submit: { from: ['draft'], to: 'submitted', by: 'operator', event: 'brand.submitted' },
  certify: { from: ['submitted'], to: 'certified', by: 'bureau', event: 'brand.certified' },
  reject: { from: ['submitted'], to: 'draft', by: 'bureau', event: 'brand.rejected' },
  suspend: { from: ['certified'], to: 'suspended', by: 'bureau', event: 'brand.suspended' },
  reinstate: { from: ['suspended'], to: 'certified', by: 'bureau', event: 'brand.reinstated' },
  revoke: { from: ['certified', 'suspended'], to: 'revoked', by: 'bureau', event: 'brand.revoked' },
  expire: { from: EXPIRING_STATUSES, to: 'expired', by: 'system', event: 'brand.expired' },
};

export type TransitionCheck = { ok: true; to: BrandStatus } | { ok: false; reason: Message };

export function checkBrandTransition(current: BrandStatus, action: BrandDecision): TransitionCheck {
  const t = BRAND_TRANSITIONS[action];
  if (!t.from.includes(current)) {
    return { ok: false, reason: msg('brand.transition', { action, status: current, from: t.from.join(' | ') }) };
  }
  return { ok: true, to: t.to };
}

/** Only drafts may be edited: once submitted, the bureau decides on exactly what it was shown. */
export function canEditBrand(status: BrandStatus): boolean {
  return status === 'draft';
}

/** Statuses whose brands only the operator, the covering bureaus and the platform may see (src/policy). */
export const NON_PUBLIC_STATUSES: readonly BrandStatus[] = ['draft', 'submitted'];

export function isPublicBrandStatus(status: BrandStatus): boolean {
  return !NON_PUBLIC_STATUSES.includes(status);
}


/** What a brand past its validity reads as (and what the scheduler records). */
const EXPIRED_STATUS = BRAND_TRANSITIONS.expire.to;

/**
 * The status a reader sees: a certified or suspended brand whose `validUntil` (inclusive) has passed reads as
 * `expired` even before the scheduled job records it.
 */
export function effectiveBrandStatus(stored: BrandStatus, validUntil: string | null, today: string = chinaToday()): BrandStatus {
  if (EXPIRING_STATUSES.includes(stored) && validUntil !== null && validUntil < today) return EXPIRED_STATUS;
  return stored;
}

/**
 * effectiveBrandStatus as a SQL expression over a brand row's `status` and `valid_until` columns, `today` a date
 * (a placeholder; a test runs both forms on every case). A NULL `valid_until` never expires, as in TypeScript.
 */
export function effectiveBrandStatusSql(status: string, validUntil: string, today: string): string {
  return `(CASE WHEN ${sqlIn(status, EXPIRING_STATUSES)} AND ${validUntil} < ${today} THEN ${sqlLiteral(EXPIRED_STATUS)} ELSE ${status} END)`;
}

/** The statuses whose brands take no new people. */
export const CLOSED_TO_NEW_TRAINEES: readonly BrandStatus[] = [BRAND_TRANSITIONS.revoke.to, EXPIRED_STATUS];

/** New people may join a brand until it is revoked or expired (drafts included: operators prepare a roster early). */
export function takesNewTrainees(status: BrandStatus): boolean {
  return !CLOSED_TO_NEW_TRAINEES.includes(status);
}

/** takesNewTrainees as a SQL condition on a status expression (e.g. effectiveBrandStatusSql). */
export function takesNewTraineesSql(status: string): string {
  return sqlNotIn(status, CLOSED_TO_NEW_TRAINEES);
}

/** Certified and within validity: the only state in which a brand may issue certificates or propose placements. */
export function isBrandCertified(stored: BrandStatus, validUntil: string | null, today: string = chinaToday()): boolean {
  return effectiveBrandStatus(stored, validUntil, today) === 'certified';
}

export const OCCUPATION_CODE = /^\d-\d{2}-\d{2}-\d{2}$/;
