import { coverPrefix, regionCovers } from '../identifiers/region-code';
import { ProblemError } from '../problems/problem';
import type { Actor } from './actor';

/**
 * The one place where role and jurisdiction rules live. Services ask these questions instead of comparing
 * kinds and region codes themselves, so a rule changes in one place and the exhaustive role tests cover it.
 *
 * Visibility decides between 403 and 404: a caller that may not see an object gets NOT_FOUND (no hint that
 * it exists); one that may see it but not act gets FORBIDDEN or OUT_OF_JURISDICTION.
 */
export const Policy = {
  isPlatform(actor: Actor): boolean {
    return actor.kind === 'platform';
  },

  /** A bureau's jurisdiction is its region: province XX0000 covers XX****, city XXXX00 covers XXXX**, a district itself. */
  hasJurisdiction(actor: Actor, regionCode: string): boolean {
    return actor.kind === 'bureau' && regionCovers(actor.regionCode, regionCode);
  },

  /** Acting on behalf of an organization: the organization itself or the platform. */
  actsFor(actor: Actor, organizationId: string): boolean {
    return actor.organizationId === organizationId || actor.kind === 'platform';
  },

  /**
   * The region-code prefix a bureau's jurisdiction covers ('' for the national level), for SQL filters;
   * null for every other kind of organization.
   */
  jurisdictionPrefix(actor: Actor): string | null {
    return actor.kind === 'bureau' ? coverPrefix(actor.regionCode) : null;
  },

  /** Drafts and submitted brands are seen by their operator, covering bureaus and the platform; the rest is public. */
  canSeeBrand(actor: Actor, brand: { status: string; operatorId: string; regionCode: string }): boolean {
    if (brand.status !== 'draft' && brand.status !== 'submitted') return true;
    return actor.kind === 'platform' || actor.organizationId === brand.operatorId || Policy.hasJurisdiction(actor, brand.regionCode);
  },

  isBrandOperator(actor: Actor, brand: { operatorId: string }): boolean {
    return actor.organizationId === brand.operatorId;
  },

  requireBrandOperator(actor: Actor, brand: { operatorId: string }): void {
    if (!Policy.isBrandOperator(actor, brand)) throw new ProblemError('FORBIDDEN', "Only the brand's operator may do this");
  },

  requireActsFor(actor: Actor, organizationId: string): void {
    if (!Policy.actsFor(actor, organizationId)) throw new ProblemError('FORBIDDEN', 'Only that organization or the platform may do this');
  },

  /** A bureau deciding on something in a region: 403 OUT_OF_JURISDICTION when its region does not cover it. */
  requireJurisdiction(actor: Actor, regionCode: string): void {
    if (actor.kind !== 'bureau') throw new ProblemError('FORBIDDEN', 'Only a bureau may do this');
    if (!regionCovers(actor.regionCode, regionCode)) {
      throw new ProblemError('OUT_OF_JURISDICTION', `Region ${regionCode} is outside the jurisdiction of your bureau (${actor.regionCode})`);
    }
  },
};
