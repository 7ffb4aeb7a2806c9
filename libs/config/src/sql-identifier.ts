/**
 * A plain lower-case SQL identifier (a-z, 0-9, _; at most 63 bytes, PostgreSQL's limit): the only
 * table and schema names lead-router splices into SQL, so a configured name cannot change it.
 */
export const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
