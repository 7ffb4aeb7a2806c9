import { SQL_IDENTIFIER } from '@lead-router/config';
import { LeadsTableError } from './leads-table.error';

export const DEFAULT_LEADS_SCHEMA = 'public';
export const DEFAULT_LEADS_TABLE = 'leads';

/** The migrations' own bookkeeping tables are named `<table>` + this suffix (and `_lock`). */
export const MIGRATIONS_SUFFIX = '_migrations';
/** 63 bytes (PostgreSQL's identifier limit) less `_migrations_lock`, so no name is truncated. */
export const MAX_TABLE_NAME_LENGTH = 63 - `${MIGRATIONS_SUFFIX}_lock`.length;

/** Where one postgres destination's rows go. */
export interface LeadsTableTarget {
  readonly schema: string;
  readonly table: string;
}

/**
 * A schema and table, checked: both are spliced into SQL, so only plain lower-case identifiers
 * pass, and the table leaves room for its migrations tables' names.
 */
export function leadsTableTarget(schema: string, table: string): LeadsTableTarget {
  for (const [what, name] of [
    ['schema', schema],
    ['table', table],
  ] as const) {
    if (!SQL_IDENTIFIER.test(name)) {
      throw new LeadsTableError(
        `leads ${what} name "${name}" must be a lower-case SQL identifier (a-z, 0-9, _; at most 63); set PG_SCHEMA, PG_TABLE or PG_DESTINATION_TABLES to one`,
        'invalid_leads_table',
        { context: { [what]: name } },
      );
    }
  }
  if (table.length > MAX_TABLE_NAME_LENGTH) {
    throw new LeadsTableError(
      `leads table name "${table}" is longer than ${MAX_TABLE_NAME_LENGTH} characters, which leaves no room for its ${table}${MIGRATIONS_SUFFIX} table`,
      'invalid_leads_table',
      { context: { table } },
    );
  }
  return Object.freeze({ schema, table });
}

/** `"schema"."table"`: quoted, so a checked name that is also a keyword (`order`) still works. */
export function qualifiedTable(target: LeadsTableTarget): string {
  return `"${target.schema}"."${target.table}"`;
}

/** One string per target, for grouping rows and for logs. */
export function targetKey(target: LeadsTableTarget): string {
  return `${target.schema}.${target.table}`;
}
