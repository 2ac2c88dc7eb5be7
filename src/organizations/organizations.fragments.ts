/**
 * What other modules' statements may read of `organizations` (owned by this module) in the same statement.
 * Columns others may use: id, kind, name, region_code.
 */
export const ORGANIZATIONS_TABLE = 'organizations';
