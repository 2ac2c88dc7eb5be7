import type { BrandColumns } from '../policy/policy';

/**
 * What other modules' statements may read of `brands` (owned by this module) when they must read it in the same
 * statement: the table under an alias, and the brand columns the access policy reads.
 * Columns others may use: id, name, operator_id, region_code, occupation_code, status, valid_until.
 */
export const BRANDS_TABLE = 'brands';

export function brandsTable(alias: string): string {
  return `${BRANDS_TABLE} ${alias}`;
}

export function brandColumns(alias: string): BrandColumns {
  return { status: `${alias}.status`, operatorId: `${alias}.operator_id`, regionCode: `${alias}.region_code` };
}
