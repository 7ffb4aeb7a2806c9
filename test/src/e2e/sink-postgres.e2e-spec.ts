import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  type DeadLetter,
  type DeliveryOutcome,
  type Destination,
  type RoutedLead,
} from '@lead-router/schemas';
import {
  destinationFixture,
  readTopic,
  routedLeadFixture,
  waitFor,
  type ServiceProcess,
} from '@lead-router/testing';
import { Pool } from 'pg';
import { sinkProcessFixture, type SinkProcessFixture } from './sink-process.fixture';

const PG_URL = process.env['PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/test';

const RULE_SET = { rule_set_id: 'e2e-postgres', rule_set_version: '2026-12-01.1' };

/**
 * The rule set the leads were routed by, which the sink loads from ROUTING_RULES_FILE: warehouse
 * names no table (PG_SCHEMA.PG_TABLE), archive names its own table (in PG_SCHEMA).
 */
const rulesYaml = `
id: ${RULE_SET.rule_set_id}
version: '${RULE_SET.rule_set_version}'
destinations:
  warehouse: { type: postgres }
  archive: { type: postgres, table: archive_leads }
  inbox: { type: webhook, url: 'https://hooks.example.com/leads' }
queues:
  sales:
    method: round_robin
    when_unavailable: { hold: true }
    members:
      - { id: alice, owners: { warehouse: alice, archive: alice, inbox: alice } }
rules:
  - name: everyone
    when: { path: lead.country, eq: DE }
    queue: sales
    destinations: [warehouse, archive, inbox]
fallback:
  queue: sales
  destinations: [warehouse]
`;

const warehouse = (owner = 'alice'): Destination =>
  destinationFixture({ id: 'warehouse', type: 'postgres', url: null, owner_id: owner });
const archive = destinationFixture({ id: 'archive', type: 'postgres', url: null, owner_id: null });
const inbox = destinationFixture({ id: 'inbox', type: 'webhook' });

const routedTo = (destinations: Destination[], company = 'Analytical Engines'): RoutedLead =>
  routedLeadFixture({ lead: { lead_id: randomUUID(), company }, decision: RULE_SET, destinations });

interface SinkFixture extends SinkProcessFixture {
  pool: Pool;
  schema: string;
  rows(table: string): Promise<{ destination: string; lead_id: string; owner_id: string | null }[]>;
}

/** sink-postgres as its own process on this test's topics, group and PostgreSQL schema. */
async function sinkFixture(name: string): Promise<SinkFixture> {
  const schema = `e2e_${name.replace(/-/g, '_')}_${randomBytes(4).toString('hex')}`;
  const pool = new Pool({ connectionString: PG_URL, max: 2 });
  const fx = await sinkProcessFixture(name, 'sink-postgres', {
    rulesYaml,
    env: { PG_URL, PG_SCHEMA: schema },
  });
  return {
    ...fx,
    pool,
    schema,
    async rows(table) {
      const result = await pool.query(
        `select destination, lead_id, owner_id from ${schema}.${table} order by lead_id`,
      );
      return result.rows;
    },
    async close() {
      await fx.close();
      await pool.query(`drop schema if exists ${schema} cascade`);
      await pool.end();
    },
  };
}

const pairs = (outcomes: DeliveryOutcome[]) =>
  outcomes.map((o) => `${o.destination_id}/${o.lead_id}`).sort();

describe('sink-postgres as its own process', () => {
  let fx: SinkFixture;
  let sink: ServiceProcess;
  before(async () => {
    fx = await sinkFixture('e2e-pg');
    sink = await fx.start();
  });
  after(async () => {
    await sink?.stop();
    await fx?.close();
  });

  it('writes one row and one outcome per (lead, postgres destination) and dead-letters a refused lead', async () => {
    const toWarehouse = Array.from({ length: 300 }, () => routedTo([warehouse(), inbox]));
    const toBoth = Array.from({ length: 100 }, () => routedTo([warehouse('bob'), archive]));
    const webhookOnly = Array.from({ length: 50 }, () => routedTo([inbox]));
    const refused = routedTo([warehouse()], 'Nul\u0000Corp');
    await fx.produce([...toWarehouse, ...toBoth, ...webhookOnly, refused]);

    const expected = [
      ...[...toWarehouse, ...toBoth, refused].map((l) => `warehouse/${l.lead.lead_id}`),
      ...toBoth.map((l) => `archive/${l.lead.lead_id}`),
    ].sort();
    await waitFor(async () => (await fx.outcomes()).length >= expected.length, {
      timeoutMs: 60_000,
      what: `${expected.length} outcomes`,
    });
    const outcomes = await fx.outcomes();
    assert.deepEqual(pairs(outcomes), expected, 'one outcome per (lead, postgres destination)');
    assert.ok(
      outcomes.every((o) => o.destination_type === 'postgres'),
      'webhooks left alone',
    );
    const failed = outcomes.filter((o) => o.status === 'FAILED');
    assert.deepEqual(
      failed.map((o) => o.lead_id),
      [refused.lead.lead_id],
    );
    assert.match(failed[0]!.error!, /unsupported Unicode escape sequence/);
    assert.ok(outcomes.filter((o) => o.status === 'DELIVERED').every((o) => o.attempts === 1));

    const leads = await fx.rows('leads');
    assert.equal(leads.length, 400, 'the refused lead has no row');
    assert.equal(new Set(leads.map((r) => r.lead_id)).size, 400);
    assert.deepEqual(
      leads.filter((r) => r.owner_id === 'bob').length,
      100,
      'owner chosen for the destination',
    );
    const archived = await fx.rows('archive_leads');
    assert.deepEqual(
      archived.map((r) => r.lead_id).sort(),
      toBoth.map((l) => l.lead.lead_id).sort(),
    );

    const letters = await readTopic<DeadLetter>(fx.kafka, fx.codec, fx.topics.dlq, 'DeadLetter');
    assert.equal(letters.length, 1);
    assert.equal(letters[0]!.value.lead_id, refused.lead.lead_id);
    assert.equal(letters[0]!.value.stage, 'sink-postgres');
    assert.equal(letters[0]!.value.error_code, 'table_refused');
    assert.match(letters[0]!.value.error, /SQLSTATE 22P05.*unsupported Unicode escape sequence/);
  });
});
