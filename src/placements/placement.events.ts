import { JsonProjection } from '../database/sql';
import type { Placement } from './placement.entity';
import type { PlacementAction } from './placement.rules';

/** Events of a placement are of this aggregate type; their types are PLACEMENT_RULES[action].event. */
export const PLACEMENT_AGGREGATE = 'placement';

/** The action of the audit entry a placement's transition writes. */
export function placementAuditAction(action: PlacementAction): string {
  return `placement.${action}`;
}

/**
 * The data every placement event carries: ids, status and money, never a person's name or number. Defined once
 * for the service's transitions and the one-statement confirmation, salary change and end alike.
 */
export const PLACEMENT_EVENT_DATA = new JsonProjection<Placement>({
  placementId: { property: 'id', kind: 'value' },
  traineeId: { property: 'traineeId', kind: 'value' },
  brandId: { property: 'brandId', kind: 'value' },
  employerId: { property: 'employerId', kind: 'value' },
  status: { property: 'status', kind: 'value' },
  salaryFen: { property: 'salaryFen', kind: 'bigint' },
  salaryPeriod: { property: 'salaryPeriod', kind: 'value' },
  annualSalaryFen: { property: 'annualSalaryFen', kind: 'bigint' },
  startDate: { property: 'startDate', kind: 'value' },
  confirmedAt: { property: 'confirmedAt', kind: 'instant' },
  endDate: { property: 'endDate', kind: 'value' },
  version: { property: 'version', kind: 'value' },
});

/** The details of a placement's audit entry. */
export const PLACEMENT_AUDIT_DETAILS = new JsonProjection<Placement>({
  status: { property: 'status', kind: 'value' },
});
