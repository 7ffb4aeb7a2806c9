import { sql, type Kysely, type Migration } from 'kysely';
import type { LeadsTableTarget } from '../leads-table.target';

/**
 * `email_sha256`: the hex SHA-256 of the lead's normalized email, so a right-to-erasure request,
 * which names an email only by that digest, finds the rows to delete through an index. Rows
 * written before it get theirs from the email the row holds (the normalizer's form, UTF-8).
 */
export function addEmailSha256({ schema, table }: LeadsTableTarget): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .withSchema(schema)
        .alterTable(table)
        .addColumn('email_sha256', 'text')
        .execute();
      await sql`update ${sql.table(`${schema}.${table}`)}
        set email_sha256 = encode(sha256(convert_to(lead #>> '{lead,email}', 'UTF8')), 'hex')
        where lead #>> '{lead,email}' is not null`.execute(db);
      await db.schema
        .withSchema(schema)
        .createIndex(`${table}_email_sha256_idx`)
        .on(table)
        .column('email_sha256')
        .where(sql.ref('email_sha256'), 'is not', null)
        .execute();
    },
  };
}
