import { sql, type Kysely, type Migration } from 'kysely';
import type { LeadsTableTarget } from '../leads-table.target';

/**
 * The leads table. The key is (destination, lead_id): several postgres destinations may share a
 * table, and each holds its own owner for the lead. Never edit a migration that has run: add the
 * next one.
 */
export function createLeads({ schema, table }: LeadsTableTarget): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .withSchema(schema)
        .createTable(table)
        .addColumn('destination', 'text', (c) => c.notNull())
        .addColumn('lead_id', 'text', (c) => c.notNull())
        .addColumn('lead', 'jsonb', (c) => c.notNull())
        .addColumn('owner_id', 'text')
        .addColumn('queue', 'text')
        .addColumn('rule_set_id', 'text', (c) => c.notNull())
        .addColumn('rule_set_version', 'text', (c) => c.notNull())
        .addColumn('matched_rule', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('received_at', 'timestamptz', (c) => c.notNull())
        .addColumn('routed_at', 'timestamptz', (c) => c.notNull())
        .addColumn('delivered_at', 'timestamptz', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint(`${table}_pkey`, ['destination', 'lead_id'])
        .execute();
      await db.schema
        .withSchema(schema)
        .createIndex(`${table}_lead_id_idx`)
        .on(table)
        .column('lead_id')
        .execute();
    },
  };
}
