import { createHash } from 'node:crypto';
/**
 * SQL built from the TypeScript constants that define a rule (a status list, a bucket width), so a rule written
 * once in a rules file is the same rule in a query, an index predicate or a trigger. Only for trusted constants:
 * values from a request always travel as parameters.
 */

/** `annualSalaryFen` → `annual_salary_fen`: how a property is named in Postgres (see naming.ts). */
export function snakeCase(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

/** A string constant as a SQL literal. */
export function sqlLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** `column IN ('a', 'b')` for a list of constants. */
export function sqlIn(column: string, values: readonly string[]): string {
  if (values.length === 0) throw new Error(`sqlIn(${column}): an empty list matches nothing; say so explicitly`);
  return `${column} IN (${values.map(sqlLiteral).join(', ')})`;
}

/** `column NOT IN ('a', 'b')` for a list of constants. */
export function sqlNotIn(column: string, values: readonly string[]): string {
  if (values.length === 0) throw new Error(`sqlNotIn(${column}): an empty list excludes nothing; say so explicitly`);
  return `${column} NOT IN (${values.map(sqlLiteral).join(', ')})`;
}

/** `ARRAY['a', 'b']` for a list of constants. */
export function sqlArray(values: readonly string[]): string {
  return `ARRAY[${values.map(sqlLiteral).join(', ')}]`;
}

/**
 * Positional parameters of a query assembled from parts: `p.add(value)` appends the value and answers its
 * placeholder (`$3`), so parts can be combined in any order without counting by hand.
 */
export class SqlParams {
  readonly values: unknown[] = [];

  constructor(initial: readonly unknown[] = []) {
    this.values.push(...initial);
  }

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * A condition a caller lends a query without knowing its tables: the owner of the query renders it over the
 * column expressions it names (e.g. the access policy's visibility over a brand row).
 */
export type SqlCondition<C> = (columns: C, p: SqlParams) => string;

/** How a field of a JSON document is written: as stored (text, uuid, date, int), a bigint as a number, an instant in ISO 8601. */
export type JsonFieldKind = 'value' | 'bigint' | 'instant';

/**
 * A JSON document made of an entity's fields, defined once and produced both in TypeScript (`of`) and in SQL
 * (`sql`, a jsonb_build_object over a row), so a statement that writes it itself (a one-statement fast path)
 * writes exactly what the service would.
 */
export class JsonProjection<E> {
  constructor(private readonly fields: Record<string, { property: keyof E & string; kind: JsonFieldKind }>) {}

  of(entity: E): Record<string, unknown> {
    const document: Record<string, unknown> = {};
    for (const [key, { property, kind }] of Object.entries(this.fields)) {
      const value = entity[property] as unknown;
      document[key] = value === null || value === undefined ? null : kind === 'bigint' ? Number(value) : kind === 'instant' ? (value as Date).toISOString() : value;
    }
    return document;
  }

  /** The same document from the row `alias` of a statement. */
  sql(alias: string): string {
    const pairs = Object.entries(this.fields).map(([key, { property, kind }]) => {
      const ref = `${alias}.${snakeCase(property)}`;
      const value = kind === 'instant' ? `to_char(${ref} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')` : ref;
      return `${sqlLiteral(key)}, ${value}`;
    });
    return `jsonb_build_object(${pairs.join(', ')})`;
  }
}

/**
 * A constant statement a hot path runs as a named prepared statement (Repository.named): parsed and planned once
 * per connection, not on every call. The name carries a digest of the text, so two statements can never share a
 * name and a changed text is a new statement.
 */
export interface NamedStatement {
  readonly name: string;
  readonly text: string;
}

const namedStatements = new Map<string, string>();

export function namedStatement(label: string, text: string): NamedStatement {
  const name = `${label}_${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
  const known = namedStatements.get(name);
  if (known !== undefined && known !== text) throw new Error(`two statements named ${name}`);
  namedStatements.set(name, text);
  return { name, text };
}
