import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import {
  startFakeHubSpot,
  startFakeSalesforce,
  type FakeHubSpot,
  type FakeSalesforce,
} from '@lead-router/crm-fakes';
import type { DeliveryOutcome, Destination, RoutedLead, ServiceName } from '@lead-router/schemas';
import { destinationFixture, routedLeadFixture, type ServiceProcess } from '@lead-router/testing';
import { Pool } from 'pg';
import { sinkProcessFixture, type SinkProcessFixture } from '../e2e/sink-process.fixture';
import { recordFault } from './fault-summary';
import {
  caughtUp,
  crashProof,
  deadLetters,
  killMidStream,
  recordsConsumed,
  startWebhookReceiver,
  stopAll,
  tally,
  type WebhookReceiver,
} from './fault.fixture';

const PG_URL = process.env['PG_URL'] || 'postgresql://postgres@127.0.0.1:5432/test';
const TOTAL = 600;
const RULE_SET = { rule_set_id: 'fault-sinks', rule_set_version: '2026-12-01.1' };

/** The rule set the leads were routed by, with the one destination `out` of the sink's type. */
const rulesYaml = (destination: string) => `
id: ${RULE_SET.rule_set_id}
version: '${RULE_SET.rule_set_version}'
destinations:
  out: ${destination}
queues:
  sales:
    method: round_robin
    when_unavailable: { hold: true }
    members:
      - { id: alice, owners: { out: '101' } }
rules:
  - name: everyone
    when: { path: lead.country, eq: DE }
    queue: sales
    destinations: [out]
fallback:
  queue: sales
  destinations: [out]
`;

/** What the sink's receiver holds after the run. */
interface Received {
  /** One entry per record the receiver stores (a CRM record, a row, a lead a receiver deduping by webhook-id keeps). */
  stored: string[];
  /** Every write that reached it, redeliveries included (lead ids). */
  writes: string[];
}

interface SinkCase {
  sink: ServiceName;
  /** The destination as routed leads name it (owner included). */
  destination: (i: number) => Destination;
  rules: string;
  env?: Record<string, string>;
  /** The key the receiver stores a lead under; default its lead id. */
  keyOf?: (lead: RoutedLead) => string;
  /** Called once the sink is up, before any lead is produced (slows the receiver). */
  beforeProduce?: () => Promise<void>;
  /** Called after the kill, before the restart (heals the receiver). */
  afterKill?: () => void;
  received(): Promise<Received>;
  /** What the receiver stores per lead beyond its id, checked per lead (an owner, say). */
  checkStored?: (leads: readonly RoutedLead[]) => Promise<void>;
  close(): Promise<void>;
}

/**
 * The sink SIGKILLed while proven mid-stream (its group's committed offset on leads.routed at
 * the kill strictly between 0 and the leads produced), then restarted: the receiver stores one
 * record per lead and every lead is there; redeliveries (writes beyond one per lead) come only
 * from the records left uncommitted; every lead has a DELIVERED outcome; the DLQ is empty; the
 * restarted sink's own metrics show it consumed at least the uncommitted records.
 */
async function sinkKillFault(name: string, setup: () => Promise<SinkCase>): Promise<void> {
  const sinkCase = await setup();
  const fx: SinkProcessFixture = await sinkProcessFixture(name, sinkCase.sink, {
    rulesYaml: sinkCase.rules,
    // One partition at a time: the six partitions' chunks commit one after the other. A 15 s
    // session: on a loaded machine a member busy with a slow receiver can miss a 6 s one and be
    // evicted before its first commit.
    env: { STAGE_PARTITIONS_CONCURRENTLY: '1', KAFKA_SESSION_TIMEOUT_MS: '15000', ...sinkCase.env },
  });
  const processes: ServiceProcess[] = [];
  try {
    const leads = Array.from({ length: TOTAL }, (_, i) =>
      routedLeadFixture({
        lead: {
          lead_id: randomUUID(),
          email: `fault-${i}-${randomBytes(3).toString('hex')}@acme.com`,
        },
        decision: RULE_SET,
        destinations: [sinkCase.destination(i)],
      }),
    );
    processes.push(await fx.start());
    await sinkCase.beforeProduce?.();
    await fx.produce(leads);
    const committedAtKill = await killMidStream(processes[0]!, () => fx.committed(), TOTAL);
    const writesAtKill = (await sinkCase.received()).writes.length;
    sinkCase.afterKill?.();
    const restarted = await fx.start();
    processes.push(restarted);
    await caughtUp(() => fx.committed(), TOTAL, `the restarted ${sinkCase.sink}`);

    const restartedConsumed = await recordsConsumed(restarted, fx.topics.routed);
    const uncommitted = TOTAL - committedAtKill;
    assert.ok(
      restartedConsumed >= uncommitted,
      `the restarted sink consumed ${restartedConsumed}, fewer than the ${uncommitted} uncommitted`,
    );
    const received = await sinkCase.received();
    const ids = leads.map(sinkCase.keyOf ?? ((l) => l.lead.lead_id)).sort();
    assert.equal(received.stored.length, TOTAL, 'one stored record per lead');
    assert.deepEqual([...received.stored].sort(), ids, 'every lead stored, none lost');
    const writes = tally(received.writes);
    const redelivered = writes.raw - writes.distinct;
    assert.ok(
      redelivered <= uncommitted,
      `redeliveries only from uncommitted work: ${redelivered} > ${uncommitted}`,
    );
    await sinkCase.checkStored?.(leads);

    const outcomes = await fx.outcomes();
    const delivered = tally(
      outcomes.filter((o: DeliveryOutcome) => o.status === 'DELIVERED').map((o) => o.lead_id),
    );
    assert.equal(delivered.distinct, TOTAL, 'every lead has a DELIVERED outcome');
    assert.ok(
      outcomes.every((o) => o.status === 'DELIVERED'),
      'no other outcome than DELIVERED',
    );
    assert.deepEqual(await deadLetters(fx), [], 'nothing dead-lettered');
    recordFault({
      fault: `SIGKILL ${sinkCase.sink} mid-stream`,
      sent: TOTAL,
      delivered: new Set(received.stored).size,
      lost: TOTAL - new Set(received.stored).size,
      assignedTwice: 0,
      proof: crashProof(
        { produced: TOTAL, committedAtKill, restartedConsumed },
        `${writesAtKill} writes had reached the receiver at the kill; ${writes.raw} writes in ` +
          `the end for ${received.stored.length} stored records (${redelivered} redelivered, ` +
          `${writes.repeated} leads written more than once); ${outcomes.length} outcomes, ` +
          `${delivered.repeated} leads with a repeated one`,
      ),
    });
  } finally {
    await stopAll(processes);
    await fx.close();
    await sinkCase.close();
  }
}

describe('sink-webhook SIGKILLed mid-stream and restarted', () => {
  let receiver: WebhookReceiver | undefined;
  after(async () => receiver?.close());

  it('every lead reaches the endpoint under one webhook-id; redeliveries only of uncommitted leads', async () => {
    receiver = await startWebhookReceiver();
    const r = receiver;
    await sinkKillFault('fault-sink-webhook', async () => ({
      sink: 'sink-webhook',
      destination: () => destinationFixture({ id: 'out', type: 'webhook', url: `${r.url}/hook` }),
      rules: rulesYaml(`{ type: webhook, url: '${r.url}/hook', allow_private: true }`),
      env: { WEBHOOK_SECRET: 'whsec_ZmF1bHQtc3VpdGUtc2VjcmV0LWZvci1sZWFkLXJvdXRlci0zMg==' },
      beforeProduce: async () => r.slow(40),
      afterKill: () => r.slow(0),
      async received() {
        const all = r.received();
        // A receiver deduping by webhook-id keeps one delivery per id: what it stores.
        const byWebhookId = new Map(all.map((d) => [d.webhookId, d.leadId]));
        return { stored: [...byWebhookId.values()], writes: all.map((d) => d.leadId) };
      },
      close: async () => undefined,
    }));
  });
});

describe('sink-postgres SIGKILLed mid-stream and restarted', () => {
  it('one row per lead; rows written again only for uncommitted leads', async () => {
    const schema = `fault_pg_${randomBytes(4).toString('hex')}`;
    const pool = new Pool({ connectionString: PG_URL, max: 2 });
    await sinkKillFault('fault-sink-postgres', async () => ({
      sink: 'sink-postgres',
      destination: () =>
        destinationFixture({ id: 'out', type: 'postgres', url: null, owner_id: '101' }),
      rules: rulesYaml('{ type: postgres }'),
      env: { PG_URL, PG_SCHEMA: schema },
      // The table is the sink's (created at its start); the test adds a trigger that logs every
      // row written (an upsert's update included) and makes each statement slow, as a busy
      // database would be.
      async beforeProduce() {
        await pool.query(`
          create table ${schema}.fault_writes (lead_id text not null);
          create function ${schema}.fault_log_write() returns trigger language plpgsql as $$
            begin insert into ${schema}.fault_writes values (new.lead_id); return new; end $$;
          create function ${schema}.fault_slow() returns trigger language plpgsql as $$
            begin perform pg_sleep(0.15); return null; end $$;
          create trigger fault_log before insert on ${schema}.leads
            for each row execute function ${schema}.fault_log_write();
          create trigger fault_slow before insert on ${schema}.leads
            for each statement execute function ${schema}.fault_slow();`);
      },
      afterKill: () => void pool.query(`drop trigger fault_slow on ${schema}.leads`),
      async received() {
        const rows = await pool.query<{ lead_id: string }>(`select lead_id from ${schema}.leads`);
        const writes = await pool.query<{ lead_id: string }>(
          `select lead_id from ${schema}.fault_writes`,
        );
        return {
          stored: rows.rows.map((r) => r.lead_id),
          writes: writes.rows.map((r) => r.lead_id),
        };
      },
      async close() {
        await pool.query(`drop schema if exists ${schema} cascade`);
        await pool.end();
      },
    }));
  });
});

describe('sink-salesforce SIGKILLed mid-stream and restarted', () => {
  it('one Lead per lead with the router’s owner; upserted again only for uncommitted leads', async () => {
    const owner = (i: number) => `005000000000${['ALI', 'BRU', 'CAR'][i % 3]}`;
    await sinkKillFault('fault-sink-salesforce', async () => {
      const sf: FakeSalesforce = await startFakeSalesforce({
        clientId: 'fault-key',
        clientSecret: 'fault-secret',
      });
      const leadRecords = () => sf.records()['Lead'] ?? {};
      return {
        sink: 'sink-salesforce',
        destination: (i) =>
          destinationFixture({ id: 'out', type: 'salesforce', url: null, owner_id: owner(i) }),
        rules: rulesYaml(`
    type: salesforce
    login_url: ${sf.url}
    auth:
      flow: client_credentials
      client_id: { env: SF_FAULT_CLIENT_ID }
      client_secret: { env: SF_FAULT_CLIENT_SECRET }
    external_id_field: Lead_Id__c`),
        env: { SF_FAULT_CLIENT_ID: 'fault-key', SF_FAULT_CLIENT_SECRET: 'fault-secret' },
        beforeProduce: async () => sf.control.slow(300),
        afterKill: () => sf.control.heal(),
        async received() {
          const records = Object.entries(leadRecords());
          return {
            // One record per Salesforce Id: an upsert that made a second record would show here.
            stored: [...new Map(records.map(([id, r]) => [r.Id, id])).values()],
            writes: records.flatMap(([id, r]) => Array.from({ length: r.writes }, () => id)),
          };
        },
        async checkStored(leads) {
          const records = leadRecords();
          for (const lead of leads)
            assert.equal(records[lead.lead.lead_id]?.OwnerId, lead.destinations[0]!.owner_id);
        },
        close: () => sf.close(),
      };
    });
  });
});

describe('sink-hubspot SIGKILLed mid-stream and restarted', () => {
  it('one contact per lead with the router’s owner; upserted again only for uncommitted leads', async () => {
    const TOKEN = 'pat-fault-hubspot';
    await sinkKillFault('fault-sink-hubspot', async () => {
      const h: FakeHubSpot = await startFakeHubSpot({ tokens: [TOKEN] });
      return {
        sink: 'sink-hubspot',
        destination: (i) =>
          destinationFixture({ id: 'out', type: 'hubspot', url: null, owner_id: String(1000 + i) }),
        rules: rulesYaml(`
    type: hubspot
    base_url: ${h.url}
    token: { env: HUBSPOT_FAULT_TOKEN }
    account_time_zone: Europe/Berlin`),
        env: { HUBSPOT_FAULT_TOKEN: TOKEN },
        // HubSpot keeps a contact by its email.
        keyOf: (lead) => lead.lead.email!,
        beforeProduce: async () => h.control.slow(300),
        afterKill: () => h.control.heal(),
        async received() {
          const contacts = Object.entries(h.records());
          return {
            // One contact per HubSpot id: an upsert that made a second contact would show here.
            stored: [...new Map(contacts.map(([email, c]) => [c.id, email])).values()],
            writes: contacts.flatMap(([email, c]) => Array.from({ length: c.writes }, () => email)),
          };
        },
        async checkStored(leads) {
          const contacts = h.records();
          for (const lead of leads)
            assert.equal(
              contacts[lead.lead.email!]?.hubspot_owner_id,
              lead.destinations[0]!.owner_id,
              'the router’s owner',
            );
        },
        close: () => h.close(),
      };
    });
  });
});
