import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  leadRow,
  leadsTableTarget,
  migrateLeadsTable,
  upsertLeadRows,
  type LeadRow,
  type LeadsTableTarget,
} from '@lead-router/leads-table';
import type { RoutedLead } from '@lead-router/schemas';
import { destinationFixture, routedLeadFixture } from '@lead-router/testing';
import { Pool } from 'pg';

const PG_URL = process.env['PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/test';

const routed = (
  leadId: string,
  overrides: { owner?: string; decidedAt?: number; company?: string } = {},
): RoutedLead =>
  routedLeadFixture({
    lead: { lead_id: leadId, ...(overrides.company ? { company: overrides.company } : {}) },
    decision: { decided_at: overrides.decidedAt ?? 1_800_000_000_000 },
    destinations: [
      destinationFixture({
        id: 'warehouse',
        type: 'postgres',
        url: null,
        owner_id: overrides.owner ?? 'alice',
      }),
    ],
  });
const row = (lead: RoutedLead, deliveredAt = 1_800_000_001_000): LeadRow =>
  leadRow(lead, lead.destinations[0]!, deliveredAt);

describe('the leads table on a real PostgreSQL', () => {
  const schema = `it_leads_${randomBytes(4).toString('hex')}`;
  let pool: Pool;
  let target: LeadsTableTarget;
  let statements = 0;

  before(async () => {
    pool = new Pool({ connectionString: PG_URL, max: 2 });
    target = leadsTableTarget(schema, 'leads');
  });
  after(async () => {
    await pool.query(`drop schema if exists ${schema} cascade`);
    await pool.end();
  });

  /** The pool, counting the statements sent through it. */
  const db = {
    query: (text: string, values: unknown[]) => {
      statements++;
      return pool.query(text, values);
    },
  };
  const count = async (where = 'true') =>
    Number((await pool.query(`select count(*) from ${schema}.leads where ${where}`)).rows[0].count);

  it('runs its migrations once: a second start finds the table up to date', async () => {
    assert.deepEqual(await migrateLeadsTable(PG_URL, target), [
      '0001-create-leads',
      '0002-add-email-sha256',
    ]);
    assert.deepEqual(await migrateLeadsTable(PG_URL, target), []);
    const recorded = await pool.query(`select name from ${schema}.leads_migrations order by name`);
    assert.deepEqual(
      recorded.rows.map((r) => r.name),
      ['0001-create-leads', '0002-add-email-sha256'],
    );
    const key = await pool.query(
      `select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
       where i.indrelid = $1::regclass and i.indisprimary order by a.attname`,
      [`${schema}.leads`],
    );
    assert.deepEqual(
      key.rows.map((r) => r.attname),
      ['destination', 'lead_id'],
    );
  });

  it('writes a batch in one statement, in one transaction', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => row(routed(`batch-${i}`)));
    statements = 0;
    assert.deepEqual(await upsertLeadRows(db, target, rows), []);
    assert.equal(statements, 1);
    assert.equal(await count(`lead_id like 'batch-%'`), 200);
    const xmins = await pool.query(
      `select count(distinct xmin::text) as n from ${schema}.leads where lead_id like 'batch-%'`,
    );
    assert.equal(Number(xmins.rows[0].n), 1, 'every row written by the same transaction');
    const stored = await pool.query(
      `select lead->'lead'->>'lead_id' as id, owner_id, queue, rule_set_version, matched_rule, routed_at
       from ${schema}.leads where lead_id = 'batch-7'`,
    );
    assert.deepEqual(stored.rows[0], {
      id: 'batch-7',
      owner_id: 'alice',
      queue: 'sales',
      rule_set_version: '2026-11-25.1',
      matched_rule: 'enterprise-emea',
      routed_at: new Date(1_800_000_000_000),
    });
  });

  it('updates a replayed lead in place and never adds a second row', async () => {
    await upsertLeadRows(db, target, [row(routed('replay-1', { owner: 'alice' }))]);
    const before = await pool.query(
      `select created_at from ${schema}.leads where lead_id = 'replay-1'`,
    );
    await upsertLeadRows(db, target, [
      row(routed('replay-1', { owner: 'bob', company: 'Replayed Ltd' }), 1_800_000_009_000),
      row(routed('replay-2')),
    ]);
    assert.equal(await count(`lead_id = 'replay-1'`), 1);
    const after = await pool.query(
      `select owner_id, lead->'lead'->>'company' as company, delivered_at, created_at
       from ${schema}.leads where lead_id = 'replay-1'`,
    );
    assert.deepEqual(after.rows[0], {
      owner_id: 'bob',
      company: 'Replayed Ltd',
      delivered_at: new Date(1_800_000_009_000),
      created_at: before.rows[0].created_at,
    });
    // An older routing replayed (a group reset to an earlier offset) leaves the newer one.
    await upsertLeadRows(db, target, [row(routed('replay-1', { owner: 'carol', decidedAt: 1 }))]);
    const kept = await pool.query(
      `select owner_id from ${schema}.leads where lead_id = 'replay-1'`,
    );
    assert.equal(kept.rows[0].owner_id, 'bob');
    assert.equal(await count(`lead_id like 'replay-%'`), 2);
  });

  it('returns a row the table refuses with the database message and writes the others', async () => {
    const bad = routed('refused-1', { company: 'Nul\u0000Corp' });
    const refused = await upsertLeadRows(db, target, [row(routed('refused-ok')), row(bad)]);
    assert.equal(refused.length, 1);
    assert.equal(refused[0]!.row.leadId, 'refused-1');
    assert.equal(refused[0]!.sqlState, '22P05');
    assert.match(refused[0]!.error, /unsupported Unicode escape sequence/);
    assert.equal(await count(`lead_id = 'refused-ok'`), 1);
    assert.equal(await count(`lead_id = 'refused-1'`), 0);
  });

  it('refuses a bad schema or table name before any SQL is sent', async () => {
    assert.throws(() => leadsTableTarget(schema, 'leads; drop table x'), {
      code: 'invalid_leads_table',
    });
    assert.throws(() => leadsTableTarget('Public', 'leads'), { code: 'invalid_leads_table' });
    assert.equal(await count(), 203, 'nothing else touched the table');
  });
});
