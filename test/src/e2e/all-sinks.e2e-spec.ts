import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { RoutedLead } from '@lead-router/schemas';
import { waitFor } from '@lead-router/testing';
import {
  fourDestinationsYaml,
  pairKeys,
  postLead,
  startAllSinks,
  type AllSinksPipeline,
  type Receivers,
} from './all-sinks.fixture';
import { inParallel } from './pipeline.fixture';

const LEADS = Number(process.env['E2E_ALL_SINKS_LEADS'] ?? 2000);

/** Where each country's leads go: one destination of each type, and pairs of them. */
const ROUTES: Readonly<Record<string, readonly string[]>> = {
  DE: ['crm'],
  US: ['hub'],
  FR: ['warehouse'],
  BR: ['inbox'],
  GB: ['crm', 'warehouse'],
  CA: ['hub', 'inbox'],
  JP: ['crm', 'hub'],
  // No rule: the rule set's fallback.
  ES: ['inbox'],
};
const COUNTRIES = Object.keys(ROUTES);
const TYPES: Readonly<Record<string, string>> = {
  crm: 'salesforce',
  hub: 'hubspot',
  warehouse: 'postgres',
  inbox: 'webhook',
};
const MEMBERS = [
  { id: 'alice', crm: '005000000000ALI', hub: '101', warehouse: 'pg-alice', inbox: 'wh-alice' },
  { id: 'bruno', crm: '005000000000BRU', hub: '102', warehouse: 'pg-bruno', inbox: 'wh-bruno' },
  { id: 'carmen', crm: '00G000000000CAR', hub: '103', warehouse: 'pg-carmen', inbox: 'wh-carmen' },
];

function rulesYaml(r: Receivers): string {
  const members = MEMBERS.map(
    (m) =>
      `      - { id: ${m.id}, owners: { crm: '${m.crm}', hub: '${m.hub}', warehouse: ${m.warehouse}, inbox: ${m.inbox} } }`,
  ).join('\n');
  const rules = Object.entries(ROUTES)
    .filter(([country]) => country !== 'ES')
    .map(
      ([country, to]) => `  - name: ${country.toLowerCase()}-leads
    when: { path: lead.country, eq: ${country} }
    queue: sales
    destinations: [${to.join(', ')}]`,
    )
    .join('\n');
  return `id: e2e-all-sinks
version: '2026-12-01.1'
destinations:
${fourDestinationsYaml(r)}
queues:
  sales:
    method: round_robin
    when_unavailable: { hold: true }
    members:
${members}
rules:
${rules}
fallback:
  queue: sales
  destinations: [inbox]
`;
}

describe('all four sinks behind the real pipeline', () => {
  let p: AllSinksPipeline;
  before(async () => {
    p = await startAllSinks('e2e-all-sinks', rulesYaml);
  });
  after(async () => {
    await p?.close();
  });

  it(`gives each of ${LEADS} leads exactly one outcome per destination, each delivery counted at its receiver with the router's owner`, async () => {
    const run = randomBytes(3).toString('hex');
    const started = Date.now();
    const countryOf = new Map<string, string>();
    const emailOf = new Map<string, string>();
    await inParallel(
      Array.from({ length: LEADS }, (_, i) => i),
      16,
      async (i) => {
        const country = COUNTRIES[i % COUNTRIES.length]!;
        const email = `lead-${run}-${i}@acme${i % 17}.com`;
        const leadId = await postLead(p.ingestUrl, {
          email,
          first_name: `Person${i}`,
          last_name: `Lead ${i}`,
          company: `Acme ${i % 17}`,
          country,
        });
        countryOf.set(leadId, country);
        emailOf.set(leadId, email);
      },
    );
    const posted = Date.now();

    const expected = [...countryOf].flatMap(([lead_id, country]) =>
      ROUTES[country]!.map((destination_id) => ({ lead_id, destination_id })),
    );
    await waitFor(async () => (await p.outcomes()).length >= expected.length, {
      timeoutMs: 90_000,
      intervalMs: 1_000,
      what: `${expected.length} outcomes`,
    });
    const done = Date.now();

    // The router routed each lead once, to the destinations its country's rule names.
    const routed = await p.routed();
    assert.equal(routed.length, LEADS, 'one routed record per lead');
    const routedById = new Map<string, RoutedLead>(routed.map((r) => [r.lead.lead_id, r]));
    const ownerOf = (leadId: string, destination: string) =>
      routedById.get(leadId)!.destinations.find((d) => d.id === destination)?.owner_id;
    for (const [leadId, country] of countryOf) {
      const r = routedById.get(leadId);
      assert.ok(r, `lead ${leadId} was routed`);
      assert.deepEqual(
        r.destinations.map((d) => d.id).sort(),
        [...ROUTES[country]!].sort(),
        `${country} lead ${leadId} routed to its rule's destinations`,
      );
      // One member owns the lead: its owner ids at every destination of the lead are that member's.
      const chosen = MEMBERS.filter((m) =>
        r.destinations.every(
          (d) => m[d.id as 'crm' | 'hub' | 'warehouse' | 'inbox'] === d.owner_id,
        ),
      );
      assert.equal(chosen.length, 1, `lead ${leadId}'s owners are one member's`);
    }

    // Exactly one outcome per (lead, destination), each DELIVERED by the right sink.
    const outcomes = await p.outcomes();
    assert.equal(outcomes.length, expected.length, 'no outcome more than expected');
    assert.deepEqual(pairKeys(outcomes), pairKeys(expected), 'one outcome per (lead, destination)');
    const notDelivered = outcomes.filter((o) => o.status !== 'DELIVERED');
    assert.deepEqual(
      notDelivered.map((o) => `${o.destination_id}/${o.lead_id}: ${o.status} ${o.error}`),
      [],
      'every outcome DELIVERED',
    );
    assert.ok(outcomes.every((o) => o.destination_type === TYPES[o.destination_id]));
    const byDestination = (id: string) => outcomes.filter((o) => o.destination_id === id);

    // Salesforce: one Lead per crm lead by external id, written once, the router's OwnerId.
    const crm = byDestination('crm');
    const sfLeads = p.salesforce.records()['Lead'] ?? {};
    assert.equal(Object.keys(sfLeads).length, crm.length, 'one Salesforce Lead per crm lead');
    for (const o of crm) {
      const record = sfLeads[o.lead_id];
      assert.ok(record, `Lead ${o.lead_id} in Salesforce`);
      assert.equal(record.OwnerId, ownerOf(o.lead_id, 'crm'), 'the router’s owner in Salesforce');
      assert.equal(record.writes, 1, 'written once');
      assert.equal(o.external_id, record.Id, 'the outcome names the record');
    }

    // HubSpot: one contact per hub lead by email, written once, the router's owner.
    const hub = byDestination('hub');
    const contacts = p.hubspot.records();
    assert.equal(Object.keys(contacts).length, hub.length, 'one HubSpot contact per hub lead');
    for (const o of hub) {
      const contact = contacts[emailOf.get(o.lead_id)!];
      assert.ok(contact, `contact for ${o.lead_id}`);
      assert.equal(contact.hubspot_owner_id, ownerOf(o.lead_id, 'hub'), 'the router’s owner');
      assert.equal(contact.writes, 1, 'written once');
      assert.equal(o.external_id, contact.id, 'the outcome names the contact');
    }

    // PostgreSQL: one row per warehouse lead with the router's owner.
    const warehouse = byDestination('warehouse');
    const rows = await p.rows();
    assert.equal(rows.length, warehouse.length, 'one row per warehouse lead');
    assert.deepEqual(rows.map((r) => r.lead_id).sort(), warehouse.map((o) => o.lead_id).sort());
    for (const row of rows) {
      assert.equal(row.destination, 'warehouse');
      assert.equal(
        row.owner_id,
        ownerOf(row.lead_id, 'warehouse'),
        'the router’s owner in the row',
      );
    }

    // Webhook: one POST per inbox lead, with the router's owner in its body.
    const inbox = byDestination('inbox');
    const deliveries = p.inbox.deliveries().map((d) => {
      const data = (d.body as { data: { lead_id: string; owner_id: string } }).data;
      return { leadId: data.lead_id, ownerId: data.owner_id };
    });
    assert.equal(deliveries.length, inbox.length, 'one POST per inbox lead, none twice');
    assert.deepEqual(deliveries.map((d) => d.leadId).sort(), inbox.map((o) => o.lead_id).sort());
    for (const d of deliveries) assert.equal(d.ownerId, ownerOf(d.leadId, 'inbox'));

    // Round robin spread each destination's leads over every member.
    for (const destination of Object.keys(TYPES)) {
      const owners = new Set(
        byDestination(destination).map((o) => ownerOf(o.lead_id, destination)),
      );
      assert.equal(owners.size, MEMBERS.length, `${destination}'s leads went to every member`);
    }

    assert.deepEqual(p.salesforce.violations(), [], 'the fake Salesforce counted no violation');
    assert.deepEqual(p.hubspot.violations(), [], 'the fake HubSpot counted no violation');
    assert.deepEqual(await p.deadLetters(), [], 'nothing dead-lettered');

    const count = (id: string) => byDestination(id).length;
    process.stdout.write(
      `# ${LEADS} leads posted in ${((posted - started) / 1000).toFixed(1)} s, ` +
        `${expected.length} outcomes after ${((done - started) / 1000).toFixed(1)} s: ` +
        `salesforce ${count('crm')}, hubspot ${count('hub')}, postgres ${count('warehouse')}, ` +
        `webhook ${count('inbox')}\n`,
    );
  });
});
