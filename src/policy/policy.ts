import { isPublicBrandStatus, type BrandStatus, NON_PUBLIC_STATUSES } from '../brands/brand.rules';
import type { Actor } from '../common/auth/actor';
import { coverPrefix, prefixRange, regionCovers } from '../common/identifiers/region-code';
import { ProblemError } from '../common/problems/problem';
import { PLACEMENT_RULES, type PlacementAction } from '../placements/placement.rules';
import { SqlParams, sqlNotIn } from '../database/sql';
import { msg } from '../common/i18n/message';

/**
 * The one place where access is decided: who may see an object and who may act on it. Services ask these
 * questions instead of comparing kinds and region codes themselves, and repositories filter lists with the SQL
 * forms written here beside the rules they mirror (a test runs both forms on the same cases), so a rule changes
 * in one place and the exhaustive role tests cover it.
 *
 * Everything follows from one fact: how the caller stands to a brand. Its operator (the HR firm running it), a
 * bureau whose jurisdiction covers the brand's region, or the platform: these are the brand's insiders. Everyone
 * else is the public, who sees a brand once it leaves the drafting stage (NON_PUBLIC_STATUSES) and its trainees
 * never, unless an employer was offered one of them.
 *
 * Visibility decides between 403 and 404: a caller that may not see an object gets NOT_FOUND (no hint that it
 * exists); one that may see it but not act gets FORBIDDEN or OUT_OF_JURISDICTION.
 */

/**
 * Who reads: the organization behind an API key, or null for the public — a visitor of the public pages or a caller
 * of `/v1/public/*`, who has no key and no privilege (sees what a key with no relation to the object sees).
 */
export type Reader = Actor | null;

/**
 * An organization as the rules see it: a caller (every Actor is one) or the owner of a webhook subscription,
 * which receives the events that organization may read.
 */
export type Party = Pick<Actor, 'organizationId' | 'kind' | 'regionCode'>;

/** What the event rules read of an event: its brand, and its data (the employer a placement event names). */
export interface EventParties {
  brandId: string | null;
  data: Record<string, unknown>;
}

/** Column expressions of an event query: the event's named employer and its brand's row (null without a brand). */
export interface EventColumns {
  employerId: string;
  operatorId: string;
  regionCode: string;
}

/** How an insider stands to a brand; null for the public. */
export type BrandRelation = 'operator' | 'bureau' | 'platform';

/** How a caller stands to a placement: the employer it names, or one of its brand's insiders. */
export type PlacementRole = 'employer' | BrandRelation;

/** How much of a trainee a caller sees: the operator also sees the phone number in full. */
export type TraineeViewer = 'operator' | 'reader';

interface BrandParties {
  operatorId: string;
  regionCode: string;
}

/** Column expressions of a query's brand row, for the SQL forms of the rules. */
export interface BrandColumns {
  status: string;
  operatorId: string;
  regionCode: string;
}

/** SQL that holds for the region codes a bureau's jurisdiction covers. */
function coveredSql(actor: Party, regionCode: string, p: SqlParams): string {
  if (actor.kind !== 'bureau') return 'FALSE';
  const prefix = coverPrefix(actor.regionCode);
  if (prefix === '') return 'TRUE';
  const [low, high] = prefixRange(prefix);
  return `${regionCode} BETWEEN ${p.add(low)} AND ${p.add(high)}`;
}

export const Policy = {
  isPlatform(actor: Party): boolean {
    return actor.kind === 'platform';
  },

  /** A bureau's jurisdiction is its region: province XX0000 covers XX****, city XXXX00 covers XXXX**, a district itself. */
  hasJurisdiction(actor: Party, regionCode: string): boolean {
    return actor.kind === 'bureau' && regionCovers(actor.regionCode, regionCode);
  },

  /** Acting on behalf of an organization: the organization itself or the platform. */
  actsFor(actor: Actor, organizationId: string): boolean {
    return actor.organizationId === organizationId || actor.kind === 'platform';
  },

  relationToBrand(actor: Party | null, brand: BrandParties): BrandRelation | null {
    if (actor === null) return null;
    if (actor.organizationId === brand.operatorId) return 'operator';
    if (Policy.hasJurisdiction(actor, brand.regionCode)) return 'bureau';
    if (Policy.isPlatform(actor)) return 'platform';
    return null;
  },

  /** Drafts and submitted brands are seen by their insiders only; the rest is public. `status` as readers see it. */
  canSeeBrand(actor: Reader, brand: BrandParties & { status: BrandStatus }): boolean {
    return isPublicBrandStatus(brand.status) || Policy.relationToBrand(actor, brand) !== null;
  },

  /** canSeeBrand as a SQL condition over a query's brand row. */
  visibleBrandsSql(actor: Actor, b: BrandColumns, p: SqlParams): string {
    if (Policy.isPlatform(actor)) return 'TRUE';
    return `(${sqlNotIn(b.status, NON_PUBLIC_STATUSES)} OR ${b.operatorId} = ${p.add(actor.organizationId)} OR ${coveredSql(actor, b.regionCode, p)})`;
  },

  /** Salary figures under the suppression threshold are shown to the brand's insiders only. */
  seesUnsuppressedBrandFigures(actor: Reader, brand: BrandParties): boolean {
    return Policy.relationToBrand(actor, brand) !== null;
  },

  /** A region's figures: unsuppressed for the platform and the bureaus whose jurisdiction covers the region. */
  seesUnsuppressedRegionFigures(actor: Reader, regionCode: string): boolean {
    if (actor === null) return false;
    return Policy.isPlatform(actor) || Policy.hasJurisdiction(actor, regionCode);
  },

  /**
   * A trainee is seen by its brand's insiders, and by an employer named in one of the trainee's placements
   * (`offeredToCaller`, needed only where asksForOffers); null for everyone else.
   */
  traineeViewer(actor: Actor, brand: BrandParties, offeredToCaller: boolean): TraineeViewer | null {
    const relation = Policy.relationToBrand(actor, brand);
    if (relation === 'operator') return 'operator';
    if (relation !== null) return 'reader';
    return actor.kind === 'employer' && offeredToCaller ? 'reader' : null;
  },

  /** Whether traineeViewer must know if the trainee was offered to the caller. */
  asksForOffers(actor: Actor): boolean {
    return actor.kind === 'employer';
  },

  /** A brand's trainee list is for its insiders. */
  mayListTrainees(actor: Actor, brand: BrandParties): boolean {
    return Policy.relationToBrand(actor, brand) !== null;
  },

  /**
   * The caller's role in a placement; null when it may not see it. The named employer comes first, whatever the
   * brand: for it the brand need not be read (placementRoleNeedsBrand), and null may be passed.
   */
  placementRole(actor: Actor, placement: { employerId: string }, brand: BrandParties | null): PlacementRole | null {
    if (actor.organizationId === placement.employerId) return 'employer';
    return brand && Policy.relationToBrand(actor, brand);
  },

  /** Whether placementRole needs the placement's brand: not for the employer it names (the hot routes' caller). */
  placementRoleNeedsBrand(actor: Actor, placement: { employerId: string }): boolean {
    return actor.organizationId !== placement.employerId;
  },

  /**
   * placementRole(…) !== null as a SQL condition over a placement's employer and its brand's row: the employer
   * sees the placements naming it, an HR firm those of the brands it operates, a bureau those of the brands in its
   * jurisdiction, the platform all.
   */
  visiblePlacementsSql(actor: Actor, c: { employerId: string; operatorId: string; regionCode: string }, p: SqlParams): string {
    if (Policy.isPlatform(actor)) return 'TRUE';
    const me = p.add(actor.organizationId);
    return `(${c.employerId} = ${me} OR ${c.operatorId} = ${me} OR ${coveredSql(actor, c.regionCode, p)})`;
  },

  /**
   * Whether an organization may read an event (the event feed, webhook deliveries): the platform every event;
   * a brand's insiders (its operator, the bureaus whose jurisdiction covers it) every event of the brand; an
   * employer the events of the placements naming it (`data.employerId`). Events without a brand (an
   * organization created) are the platform's. `brand` is the event's brand, null when it has none.
   */
  seesEvent(party: Party, event: EventParties, brand: BrandParties | null): boolean {
    if (Policy.isPlatform(party)) return true;
    if (brand !== null && event.brandId !== null && Policy.relationToBrand(party, brand) !== null) return true;
    return typeof event.data.employerId === 'string' && event.data.employerId === party.organizationId;
  },

  /** seesEvent as a SQL condition over an event's named employer (text) and its brand's row (NULLs without one). */
  visibleEventsSql(actor: Party, c: EventColumns, p: SqlParams): string {
    if (Policy.isPlatform(actor)) return 'TRUE';
    const me = p.add(actor.organizationId);
    const brandInsider = `${c.operatorId} IS NOT NULL AND (${c.operatorId} = ${me} OR ${coveredSql(actor, c.regionCode, p)})`;
    return `COALESCE((${brandInsider}) OR ${c.employerId} = ${me}::text, FALSE)`;
  },

  /** Who may take a placement action, by PLACEMENT_RULES: the named employer, the brand's operator, or either. */
  mayActOnPlacement(action: PlacementAction, role: PlacementRole): boolean {
    const by = PLACEMENT_RULES[action].by;
    return by === 'employer_or_operator' ? role === 'employer' || role === 'operator' : role === by;
  },

  isBrandOperator(actor: Actor, brand: { operatorId: string }): boolean {
    return actor.organizationId === brand.operatorId;
  },

  /**
   * isBrandOperator as a SQL condition over a query's brand row. The operator is an insider, so a brand it admits
   * is one canSeeBrand admits too.
   */
  operatesBrandSql(actor: Actor, b: Pick<BrandColumns, 'operatorId'>, p: SqlParams): string {
    return `${b.operatorId} = ${p.add(actor.organizationId)}`;
  },

  requireBrandOperator(actor: Actor, brand: { operatorId: string }): void {
    if (!Policy.isBrandOperator(actor, brand)) throw new ProblemError('FORBIDDEN', msg('access.operatorOnly'));
  },

  requireActsFor(actor: Actor, organizationId: string): void {
    if (!Policy.actsFor(actor, organizationId)) throw new ProblemError('FORBIDDEN', msg('access.selfOrPlatform'));
  },

  /** A bureau deciding on something in a region: 403 OUT_OF_JURISDICTION when its region does not cover it. */
  requireJurisdiction(actor: Actor, regionCode: string): void {
    if (actor.kind !== 'bureau') throw new ProblemError('FORBIDDEN', msg('access.bureauOnly'));
    if (!regionCovers(actor.regionCode, regionCode)) {
      throw new ProblemError('OUT_OF_JURISDICTION', msg('access.outOfJurisdiction', { region: regionCode, jurisdiction: actor.regionCode }));
    }
  },
};
