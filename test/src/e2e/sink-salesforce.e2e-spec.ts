import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type FakeSalesforce, startFakeSalesforce } from '@lead-router/crm-fakes';
import { type Destination, type RoutedLead } from '@lead-router/schemas';
import {
  destinationFixture,
  routedLeadFixture,
  waitFor,
  type ServiceProcess,
} from '@lead-router/testing';
import { sinkProcessFixture, type SinkProcessFixture } from './sink-process.fixture';

const CLIENT_ID = 'e2e-consumer-key';
const CLIENT_SECRET = 'e2e-consumer-secret';
const RULE_SET = { rule_set_id: 'e2e-salesforce', rule_set_version: '2026-12-01.1' };
const OWNERS = ['005000000000ALI', '005000000000BRU', '00G000000000QUE'];

/** The rule set the sink starts with: one Salesforce destination, `crm`, on the fake. */
function rulesYaml(loginUrl: string): string {
  return `id: ${RULE_SET.rule_set_id}
version: '${RULE_SET.rule_set_version}'
destinations:
  crm:
    type: salesforce
    login_url: ${loginUrl}
    auth:
      flow: client_credentials
      client_id: { env: SF_E2E_CLIENT_ID }
      client_secret: { env: SF_E2E_CLIENT_SECRET }
    external_id_field: Lead_Id__c
queues:
  sales:
    method: round_robin
    when_unavailable: { hold: true }
    members:
      - { id: alice, owners: { crm: '${OWNERS[0]}' } }
      - { id: bruno, owners: { crm: '${OWNERS[1]}' } }
rules:
  - name: everyone
    when: { path: lead.country, eq: DE }
    queue: sales
    destinations: [crm]
fallback:
  queue: sales
  destinations: [crm]
`;
}

/** A lead as the router writes it for `crm` under that rule set, with the owner it chose. */
const routed = (n: number): RoutedLead => {
  const owner = OWNERS[n % OWNERS.length]!;
  const crm: Destination = destinationFixture({
    id: 'crm',
    type: 'salesforce',
    url: null,
    owner_id: owner,
  });
  return routedLeadFixture({
    lead: { lead_id: randomUUID(), last_name: `Lead ${n}` },
    decision: { ...RULE_SET, owner_id: owner },
    destinations: [crm],
  });
};

interface SinkFixture extends SinkProcessFixture {
  salesforce: FakeSalesforce;
}

/** sink-salesforce as its own process on this test's topics and group, against a fake org. */
async function sinkFixture(name: string): Promise<SinkFixture> {
  const salesforce = await startFakeSalesforce({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
  });
  const fx = await sinkProcessFixture(name, 'sink-salesforce', {
    rulesYaml: rulesYaml(salesforce.url),
    env: { SF_E2E_CLIENT_ID: CLIENT_ID, SF_E2E_CLIENT_SECRET: CLIENT_SECRET },
  });
  return {
    ...fx,
    salesforce,
    async close() {
      await fx.close();
      await salesforce.close();
    },
  };
}

const leadRecords = (fake: FakeSalesforce) => fake.records()['Lead'] ?? {};

describe('sink-salesforce as its own process', () => {
  let fx: SinkFixture;
  let sink: ServiceProcess;
  before(async () => {
    fx = await sinkFixture('e2e-sf');
    sink = await fx.start();
  });
  after(async () => {
    await sink?.stop();
    await fx?.close();
  });

  it('lands 1,000 routed leads as exactly 1,000 Leads with the owners the router chose, one DELIVERED outcome each', async () => {
    const total = 1000;
    const leads = Array.from({ length: total }, (_, n) => routed(n));
    await fx.produce(leads);

    await waitFor(async () => (await fx.outcomes()).length >= total, {
      timeoutMs: 120_000,
      what: `${total} outcomes`,
    });
    const records = leadRecords(fx.salesforce);
    assert.equal(Object.keys(records).length, total, 'one Lead per routed lead');
    assert.equal(new Set(Object.values(records).map((r) => r.Id)).size, total);
    for (const lead of leads) {
      const record = records[lead.lead.lead_id];
      assert.ok(record, `lead ${lead.lead.lead_id} landed`);
      assert.equal(record.OwnerId, lead.destinations[0]!.owner_id);
      assert.equal(record.writes, 1);
    }

    const outcomes = await fx.outcomes();
    assert.equal(outcomes.length, total);
    assert.deepEqual(
      outcomes.map((o) => o.lead_id).sort(),
      leads.map((l) => l.lead.lead_id).sort(),
      'one outcome per lead',
    );
    assert.ok(outcomes.every((o) => o.status === 'DELIVERED' && o.destination_id === 'crm'));
    assert.ok(
      outcomes.every((o) => o.external_id === records[o.lead_id]?.Id),
      'each outcome carries the Salesforce record id',
    );
    assert.deepEqual(fx.salesforce.violations(), [], 'no contract point broken');
    const tokens = fx.salesforce.requests().filter((r) => r.path === '/services/oauth2/token');
    assert.equal(tokens.length, 1, 'one token for the whole run');
  });
});
