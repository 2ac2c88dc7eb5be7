import type { SqlParams } from '../database/sql';
import type { BrandColumns } from '../policy/policy';
import { effectiveBrandStatusSql, takesNewTraineesSql } from './brand.rules';

/**
 * What other modules' statements may read of `brands` (owned by this module) when they must read it in the same
 * statement: the table under an alias, and the brand columns the access policy reads.
 * Columns others may use: id, name, operator_id, region_code, occupation_code, occupation_name, status, level,
 * valid_until.
 */
export const BRANDS_TABLE = 'brands';

export function brandsTable(alias: string): string {
  return `${BRANDS_TABLE} ${alias}`;
}

export function brandColumns(alias: string): BrandColumns {
  return { status: `${alias}.status`, operatorId: `${alias}.operator_id`, regionCode: `${alias}.region_code` };
}

/**
 * A CTE body: the `id` of the brand `brandId` selects, when `admits` (a condition over its row, e.g. the access
 * policy's) holds and the brand takes new trainees on `today` (takesNewTrainees of its effectiveBrandStatus);
 * no row otherwise. For a registration written in one statement.
 */
export function brandTakingNewTraineesSql(brandId: string, today: string, admits: (b: BrandColumns) => string): string {
  return `SELECT b.id FROM ${brandsTable('b')}
           WHERE b.id = ${brandId} AND ${admits(brandColumns('b'))}
             AND ${takesNewTraineesSql(effectiveBrandStatusSql('b.status', 'b.valid_until', today))}`;
}

/** Searches use at most this many words of `q`. */
export const MAX_SEARCH_WORDS = 8;

/** The words of a name search (`q`): whitespace-separated, at most MAX_SEARCH_WORDS. */
export function searchWords(q: string | undefined): string[] | undefined {
  return q?.split(/\s+/).filter(Boolean).slice(0, MAX_SEARCH_WORDS);
}

/** `%`, `_` and `\` are wildcards to LIKE; a search for them must find them literally. */
const likeEscape = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** A name search: every word occurs in the name (case-insensitive, Chinese included). */
export function nameMatchesSql(nameColumn: string, words: readonly string[], p: SqlParams): string[] {
  return words.map((word) => `${nameColumn} ILIKE ${p.add(`%${likeEscape(word)}%`)}`);
}
