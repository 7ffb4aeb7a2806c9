import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startFakeHubSpot, type FakeHubSpot } from '@lead-router/crm-fakes';
import { type RoutedLead } from '@lead-router/schemas';
import {
  destinationFixture,
  routedLeadFixture,
  waitFor,
  type ServiceProcess,
} from '@lead-router/testing';
import { sinkProcessFixture, type SinkProcessFixture } from './sink-process.fixture';

const TOKEN = 'pat-e2e-hubspot';
const RULE_SET = { rule_set_id: 'e2e-hubspot', rule_set_version: '2026-12-01.1' };

/** The rule set the leads were routed by: one hubspot destination pointing at the fake. */
const rulesYaml = (hubspotUrl: string) => `
id: ${RULE_SET.rule_set_id}
version: '${RULE_SET.rule_set_version}'
destinations:
  hub:
    type: hubspot
    base_url: ${hubspotUrl}
    token: { env: HUBSPOT_E2E_TOKEN }
    account_time_zone: Europe/Berlin
queues:
  sales:
    method: round_robin
    when_unavailable: { hold: true }
    members:
      - { id: alice, owners: { hub: '101' } }
      - { id: bruno, owners: { hub: '102' } }
rules:
  - name: everyone-in-germany
    when: { path: lead.country, eq: DE }
    queue: sales
    destinations: [hub]
fallback:
  queue: sales
  destinations: [hub]
`;

interface HubSpotSinkFixture extends SinkProcessFixture {
  hub: FakeHubSpot;
}

/** sink-hubspot as its own process on this test's topics, Redis keys and fake HubSpot. */
async function hubspotSinkFixture(name: string): Promise<HubSpotSinkFixture> {
  const hub = await startFakeHubSpot({ tokens: [TOKEN] });
  const fx = await sinkProcessFixture(name, 'sink-hubspot', {
    rulesYaml: rulesYaml(hub.url),
    env: { HUBSPOT_E2E_TOKEN: TOKEN },
  });
  return {
    ...fx,
    hub,
    async close() {
      await fx.close();
      await hub.close();
    },
  };
}

/** `count` leads routed to the hubspot destination, each with its own email and owner. */
function routedLeads(count: number): RoutedLead[] {
  const run = randomBytes(3).toString('hex');
  return Array.from({ length: count }, (_, i) =>
    routedLeadFixture({
      lead: { lead_id: randomUUID(), email: `lead-${run}-${i}@example.com` },
      decision: RULE_SET,
      destinations: [
        destinationFixture({ id: 'hub', type: 'hubspot', url: null, owner_id: String(1000 + i) }),
      ],
    }),
  );
}

/** Every lead is one contact with its owner and has exactly one DELIVERED outcome. */
async function assertAllLanded(fx: HubSpotSinkFixture, leads: RoutedLead[]) {
  await waitFor(
    async () =>
      new Set((await fx.outcomes()).filter((o) => o.status === 'DELIVERED').map((o) => o.lead_id))
        .size >= leads.length,
    { timeoutMs: 120_000, what: `${leads.length} DELIVERED outcomes` },
  );
  const contacts = fx.hub.records();
  assert.equal(Object.keys(contacts).length, leads.length, 'one contact per lead');
  for (const lead of leads) {
    const contact = contacts[lead.lead.email!];
    assert.ok(contact, `${lead.lead.email} is a contact`);
    assert.equal(contact.hubspot_owner_id, lead.destinations[0]!.owner_id, 'the router’s owner');
  }
  const outcomes = await fx.outcomes();
  assert.equal(outcomes.length, leads.length, 'one outcome per lead, no more');
  assert.deepEqual(outcomes.map((o) => o.lead_id).sort(), leads.map((l) => l.lead.lead_id).sort());
  assert.ok(outcomes.every((o) => o.status === 'DELIVERED' && o.destination_id === 'hub'));
  const ids = new Map(Object.values(contacts).map((c) => [c.properties['email'], c.id]));
  for (const o of outcomes) {
    const lead = leads.find((l) => l.lead.lead_id === o.lead_id)!;
    assert.equal(o.external_id, ids.get(lead.lead.email!), 'the outcome names the contact');
  }
  assert.deepEqual(fx.hub.violations(), [], 'the fake counted no violation');
  return outcomes;
}

describe('sink-hubspot as its own process', () => {
  let fx: HubSpotSinkFixture;
  let sink: ServiceProcess;
  before(async () => {
    fx = await hubspotSinkFixture('e2e-hubspot');
    sink = await fx.start();
  });
  after(async () => {
    await sink?.stop();
    await fx?.close();
  });

  it('delivers 1,000 routed leads as 1,000 contacts with their owners, one outcome each', async () => {
    const leads = routedLeads(1000);
    await fx.produce(leads);
    const outcomes = await assertAllLanded(fx, leads);
    assert.ok(outcomes.every((o) => o.attempts === 1));
    const upserts = fx.hub.requests().filter((r) => r.path.endsWith('/batch/upsert'));
    assert.ok(upserts.length >= 10, `${upserts.length} batch requests for 1,000 leads`);
    assert.ok(upserts.every((r) => r.status === 200));
  });
});

describe('sink-hubspot through a 5xx storm', () => {
  let fx: HubSpotSinkFixture;
  let sink: ServiceProcess;
  before(async () => {
    fx = await hubspotSinkFixture('e2e-hubspot-storm');
    sink = await fx.start();
  });
  after(async () => {
    await sink?.stop();
    await fx?.close();
  });

  it('retries the leads through the retry tiers and lands them all', async () => {
    fx.hub.control.failRandomly(1, { status: 503 });
    const leads = routedLeads(300);
    await fx.produce(leads);
    await waitFor(async () => fx.hub.requests().some((r) => r.status === 503), {
      timeoutMs: 60_000,
      what: 'the storm to hit a request',
    });
    // The storm lasts a few seconds more, then HubSpot recovers.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    fx.hub.control.heal();
    const failedRequests = fx.hub.requests().filter((r) => r.status === 503).length;

    const outcomes = await assertAllLanded(fx, leads);
    const retried = outcomes.filter((o) => o.attempts > 1);
    assert.ok(retried.length > 0, 'some leads needed more than one attempt');
    process.stdout.write(
      `# storm: ${failedRequests} requests answered 503; ${retried.length} of 300 leads landed on a later attempt\n`,
    );
  });
});
