import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { freePort } from '@lead-router/local-stack';
import type { DeliveryOutcome, RoutedLead } from '@lead-router/schemas';
import { waitFor } from '@lead-router/testing';
import {
  pairKeys,
  postLead,
  startAllSinks,
  type AllSinksPipeline,
  type Receivers,
} from './all-sinks.fixture';
import { inParallel } from './pipeline.fixture';

const LEADS = 300;

/** Where each country's leads go; `hub` and `dead-hook` are down for the whole run. */
const ROUTES: Readonly<Record<string, readonly string[]>> = {
  DE: ['hub'],
  US: ['dead-hook'],
  FR: ['hub', 'inbox'],
};
const COUNTRIES = Object.keys(ROUTES);
const DOWN = new Set(['hub', 'dead-hook']);
const MEMBERS = [
  { id: 'alice', hub: '101', 'dead-hook': 'wh-alice', inbox: 'in-alice', backup: 'bk-alice' },
  { id: 'bruno', hub: '102', 'dead-hook': 'wh-bruno', inbox: 'in-bruno', backup: 'bk-bruno' },
];

/**
 * Short retries and a quick breaker, so a lead that keeps failing reaches its fallback in
 * seconds: after its retries (two delays of 1 s), or once the circuit has been open for 2 s.
 */
const FAST_FAILURE = `
    fallback: backup
    retry: { delays: [1s, 1s] }
    breaker: { failures: 3, half_open_after: 1s, fallback_after: 2s }`;

function rulesYaml(r: Receivers, deadUrl: string): string {
  const members = MEMBERS.map(
    (m) =>
      `      - { id: ${m.id}, owners: { hub: '${m.hub}', dead-hook: ${m['dead-hook']}, inbox: ${m.inbox}, backup: ${m.backup} } }`,
  ).join('\n');
  const rules = Object.entries(ROUTES)
    .map(
      ([country, to]) => `  - name: ${country.toLowerCase()}-leads
    when: { path: lead.country, eq: ${country} }
    queue: sales
    destinations: [${to.join(', ')}]`,
    )
    .join('\n');
  return `id: e2e-fallback
version: '2026-12-01.1'
destinations:
  hub:
    type: hubspot
    base_url: ${r.hubspotUrl}
    token: { env: HUBSPOT_E2E_TOKEN }${FAST_FAILURE}
  dead-hook:
    type: webhook
    url: ${deadUrl}
    allow_private: true${FAST_FAILURE}
  inbox:
    type: webhook
    url: ${r.inboxUrl}
    allow_private: true
  backup:
    type: webhook
    url: ${r.backupInboxUrl}
    allow_private: true
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
  destinations: [hub]
`;
}

describe('destinations down for the whole run, with a fallback', () => {
  let p: AllSinksPipeline;
  let deadUrl: string;
  before(async () => {
    // A port that was free a moment ago and that nobody listens on: every connection refused.
    deadUrl = `http://127.0.0.1:${await freePort()}/inbox`;
    p = await startAllSinks('e2e-fallback', (r) => rulesYaml(r, deadUrl));
    await p.hubspot.control.outage(true, 'refused');
  });
  after(async () => {
    await p?.close();
  });

  it(`sends every one of ${LEADS} leads to the fallback: FELL_BACK for the down destination, DELIVERED at the fallback`, async () => {
    const run = randomBytes(3).toString('hex');
    const started = Date.now();
    const countryOf = new Map<string, string>();
    await inParallel(
      Array.from({ length: LEADS }, (_, i) => i),
      16,
      async (i) => {
        const country = COUNTRIES[i % COUNTRIES.length]!;
        const leadId = await postLead(p.ingestUrl, {
          email: `lead-${run}-${i}@acme${i % 7}.com`,
          first_name: `Person${i}`,
          last_name: `Lead ${i}`,
          company: `Acme ${i % 7}`,
          country,
        });
        countryOf.set(leadId, country);
      },
    );

    const expected = [...countryOf].flatMap(([lead_id, country]) => [
      ...ROUTES[country]!.map((destination_id) => ({ lead_id, destination_id })),
      { lead_id, destination_id: 'backup' },
    ]);
    await waitFor(async () => (await p.outcomes()).length >= expected.length, {
      timeoutMs: 60_000,
      intervalMs: 1_000,
      what: `${expected.length} outcomes`,
    });
    const done = Date.now();

    const routed = await p.routed();
    assert.equal(routed.length, LEADS, 'the router routed each lead once');
    const routedById = new Map<string, RoutedLead>(routed.map((r) => [r.lead.lead_id, r]));
    /** The owner the rule set gives the member the router chose for the lead, at `destination`. */
    const ruleSetOwner = (leadId: string, destination: 'backup' | 'hub' | 'dead-hook') => {
      const chosen = routedById.get(leadId)!.decision.distribution?.chosen_member;
      const member = MEMBERS.find((m) => m.id === chosen);
      assert.ok(member, `${leadId} was assigned a member of sales (${chosen})`);
      return member[destination];
    };

    // One outcome per (lead, destination), the fallback's included, and no other.
    const outcomes = await p.outcomes();
    assert.equal(outcomes.length, expected.length, 'no outcome more than expected');
    assert.deepEqual(pairKeys(outcomes), pairKeys(expected), 'one outcome per (lead, destination)');
    const outcomeOf = new Map<string, DeliveryOutcome>(
      outcomes.map((o) => [`${o.destination_id}/${o.lead_id}`, o]),
    );
    for (const o of outcomes) {
      if (DOWN.has(o.destination_id)) {
        assert.equal(o.status, 'FELL_BACK', `${o.destination_id}/${o.lead_id} fell back`);
        assert.match(o.error ?? '', /^fell back to backup /, 'the outcome says where and why');
      } else {
        assert.equal(o.status, 'DELIVERED', `${o.destination_id}/${o.lead_id}: ${o.error}`);
      }
    }
    for (const [leadId] of countryOf) {
      assert.equal(outcomeOf.get(`backup/${leadId}`)?.status, 'DELIVERED', 'ended at the fallback');
    }

    // The fallback's receiver got every lead, once; the healthy inbox only the FR leads.
    const backup = p.backupInbox.deliveries().map((d) => {
      const data = (d.body as { data: { lead_id: string; owner_id: string | null } }).data;
      return { leadId: data.lead_id, ownerId: data.owner_id };
    });
    assert.equal(backup.length, LEADS, 'one POST per lead at the fallback, none twice');
    assert.deepEqual(backup.map((d) => d.leadId).sort(), [...countryOf.keys()].sort());
    const fr = [...countryOf].filter(([, c]) => c === 'FR').map(([id]) => id);
    assert.deepEqual(
      p.inbox
        .deliveries()
        .map((d) => (d.body as { data: { lead_id: string } }).data.lead_id)
        .sort(),
      fr.sort(),
      'the healthy destination delivered its leads as usual',
    );

    // The down destinations really were down, and tried: HubSpot stored nothing.
    assert.equal(Object.keys(p.hubspot.records()).length, 0, 'HubSpot stored nothing');
    assert.deepEqual(p.hubspot.violations(), []);
    assert.deepEqual(await p.deadLetters(), [], 'nothing dead-lettered: every lead fell back');

    const reasons = outcomes
      .filter((o) => o.status === 'FELL_BACK')
      .map((o) => (o.error ?? '').replace(/^fell back to backup /, '').replace(/\d+/g, 'N'));
    const tally = [...new Set(reasons)].map(
      (r) => `${reasons.filter((x) => x === r).length}× ${r}`,
    );
    // The fallback's receiver was told, for each lead, the owner the rule set gives the chosen
    // member at the fallback (not the down destination's owner, nor none): the router resolved it.
    for (const d of backup) {
      const from = countryOf.get(d.leadId) === 'US' ? 'dead-hook' : 'hub';
      const wanted = ruleSetOwner(d.leadId, 'backup');
      assert.equal(d.ownerId, wanted, `${d.leadId} from ${from}: the backup owner of its member`);
      assert.notEqual(d.ownerId, ruleSetOwner(d.leadId, from));
      assert.deepEqual(
        { ...routedById.get(d.leadId)!.fallbacks[from] },
        { id: 'backup', type: 'webhook', url: `${p.backupInbox.url}/inbox`, owner_id: wanted },
        'the routed lead carries its fallback with that owner',
      );
      assert.equal(outcomeOf.get(`backup/${d.leadId}`)?.owner_id, wanted);
    }
    const members = new Set(backup.map((d) => d.ownerId));
    assert.deepEqual([...members].sort(), ['bk-alice', 'bk-bruno'], 'both members took leads');
    process.stdout.write(
      `# ${LEADS} leads at the fallback ${((done - started) / 1000).toFixed(1)} s after the first post; ` +
        `why: ${tally.join('; ')}\n`,
    );
  });
});
