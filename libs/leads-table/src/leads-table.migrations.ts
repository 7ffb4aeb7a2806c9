import { Kysely, Migrator, PostgresDialect, type Migration } from 'kysely';
import { Pool } from 'pg';
import { LeadsTableError } from './leads-table.error';
import { MIGRATIONS_SUFFIX, targetKey, type LeadsTableTarget } from './leads-table.target';
import { createLeads } from './migrations/0001-create-leads.migration';
import { addEmailSha256 } from './migrations/0002-add-email-sha256.migration';

/**
 * Every migration of a leads table, by name in the order they run. They are built for one
 * schema and table, which is why they are functions and not files Kysely finds on disk.
 */
export function leadsTableMigrations(target: LeadsTableTarget): Record<string, Migration> {
  return {
    '0001-create-leads': createLeads(target),
    '0002-add-email-sha256': addEmailSha256(target),
  };
}

/**
 * Brings one leads table up to date with Kysely's migrator: each migration runs once, in a
 * transaction, recorded in `<table>_migrations` beside the table; a second start does nothing.
 * Kysely holds a PostgreSQL advisory lock while it migrates, so instances starting together
 * take turns. Returns the names of the migrations this call ran.
 */
export async function migrateLeadsTable(
  pgUrl: string,
  target: LeadsTableTarget,
): Promise<string[]> {
  const db = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new Pool({ connectionString: pgUrl, max: 1 }) }),
  });
  try {
    const migrator = new Migrator({
      db,
      provider: { getMigrations: async () => leadsTableMigrations(target) },
      migrationTableSchema: target.schema,
      migrationTableName: `${target.table}${MIGRATIONS_SUFFIX}`,
      migrationLockTableName: `${target.table}${MIGRATIONS_SUFFIX}_lock`,
    });
    const { error, results } = await migrator.migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error')?.migrationName;
      throw new LeadsTableError(
        `migrating ${targetKey(target)} failed${failed ? ` at ${failed}` : ''}: ${
          error instanceof Error ? error.message : String(error)
        }`,
        'leads_table_unavailable',
        { context: { table: targetKey(target), migration: failed }, cause: error },
      );
    }
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  } finally {
    await db.destroy();
  }
}
