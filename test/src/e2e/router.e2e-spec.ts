import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { DeadLetter, QueueAssignment, RoutedLead } from '@lead-router/schemas';
import {
  enrichedLeadFixture,
  oneMemberRules,
  readRaw,
  readTopic,
  waitFor,
} from '@lead-router/testing';
import { metricValue } from '../faults/fault.fixture';
import { routerFixture, type RouterFixture } from './router-fixture';

const scaleRules = `
id: scale
version: "1"
destinations:
  crm: { type: webhook, url: "http://127.0.0.1:9/unused" }
queues:
  sales:
    method: round_robin
    when_unavailable: { hold: true }
    members:
      - { id: ana, owners: { crm: "u-ana" }, capacity: { max: 1000, window: 24h } }
      - { id: ben, owners: { crm: "u-ben" }, capacity: { max: 1000, window: 24h } }
      - { id: cai, owners: { crm: "u-cai" }, capacity: { max: 1000, window: 24h } }
rules: []
fallback: { queue: sales, destinations: [crm] }
`;

const routed = (fx: RouterFixture) =>
  readTopic<RoutedLead>(fx.kafka, fx.codec, fx.topics.routed, 'RoutedLead');

describe('routing scaled out: two router instances over six partitions', () => {
  let fx: RouterFixture;
  before(async () => {
    fx = await routerFixture('scale', scaleRules);
    await fx.startRouter();
    await fx.startRouter();
  });
  after(async () => {
    await fx?.stop();
  });

  it('splits 3,000 leads exactly 1,000/1,000/1,000 across a rebalance and a restart, never past capacity', async () => {
    const waves = [1000, 1000, 1100].map((n) =>
      Array.from({ length: n }, () => enrichedLeadFixture({ lead: { lead_id: randomUUID() } })),
    );
    await fx.produceLeads(waves[0]!);
    await waitFor(async () => (await routed(fx)).length >= 500, {
      timeoutMs: 90_000,
      what: '500 routed',
    });

    // A third instance joins mid-stream: the group rebalances.
    const third = await fx.startRouter();
    await fx.produceLeads(waves[1]!);
    await waitFor(async () => (await routed(fx)).length >= 1500, {
      timeoutMs: 90_000,
      what: '1,500 routed',
    });

    // The first instance stops (it drains and commits) and comes back.
    await fx.routers[0]!.stop();
    await fx.produceLeads(waves[2]!);
    await fx.startRouter();
    await third.stop();

    const all = await waitFor(
      async () => {
        const records = await routed(fx);
        return records.length >= 3000 ? records : undefined;
      },
      { timeoutMs: 120_000, what: '3,000 routed' },
    );
    const held = await waitFor(
      async () => {
        const parked = await readTopic<QueueAssignment>(
          fx.kafka,
          fx.codec,
          fx.topics.held,
          'QueueAssignment',
        );
        const ids = new Set(parked.map((r) => r.value.enriched.lead.lead_id));
        return ids.size >= 100 ? parked : undefined;
      },
      { timeoutMs: 60_000, what: '100 held leads' },
    );
    assert.equal(all.length, 3000, 'every lead routed once, none twice');
    assert.equal(new Set(all.map((r) => r.value.lead.lead_id)).size, 3000);
    const perMember = new Map<string, number>();
    for (const r of all) {
      const member = r.value.decision.distribution?.chosen_member ?? 'none';
      perMember.set(member, (perMember.get(member) ?? 0) + 1);
    }
    assert.deepEqual(Object.fromEntries(perMember), { ana: 1000, ben: 1000, cai: 1000 });
    // The 100 leads past everyone's capacity are held until a slot frees, not assigned.
    const heldIds = new Set(held.map((r) => r.value.enriched.lead.lead_id));
    assert.equal(heldIds.size, 100);
    const routedIds = new Set(all.map((r) => r.value.lead.lead_id));
    assert.ok(
      [...heldIds].every((id) => !routedIds.has(id)),
      'a held lead is not also routed',
    );
    assert.ok(
      held.every((r) => r.value.held_until > Date.now() + 3_600_000),
      'held for the window',
    );
    const dead = await readTopic<DeadLetter>(fx.kafka, fx.codec, fx.topics.dlq, 'DeadLetter');
    assert.equal(dead.length, 0);
  });
});

const versioned = (version: string, owner: string) => oneMemberRules('live', owner, { version });

describe('a rule-set version published while leads flow', () => {
  let fx: RouterFixture;
  before(async () => {
    fx = await routerFixture('live-rules', versioned('1', 'old'));
    await fx.startRouter();
    await fx.startRouter();
  });
  after(async () => {
    await fx?.stop();
  });

  it('switches every instance within seconds, with no restart, no lead lost or routed twice', async () => {
    let publishedAt = 0;
    const produced: { id: string; at: number }[] = [];
    for (let wave = 0; wave < 24; wave++) {
      if (wave === 8) publishedAt = await fx.publish(versioned('2', 'new'), 'live', '2');
      const now = Date.now();
      const leads = Array.from({ length: 25 }, () =>
        enrichedLeadFixture({
          lead: { lead_id: randomUUID(), received_at: now, normalized_at: now },
          enrichment: { enriched_at: now },
        }),
      );
      produced.push(...leads.map((l) => ({ id: l.lead.lead_id, at: now })));
      await fx.produceLeads(leads);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const all = await waitFor(
      async () => {
        const records = await routed(fx);
        return records.length >= produced.length ? records : undefined;
      },
      { timeoutMs: 90_000, what: `${produced.length} routed` },
    );
    assert.equal(all.length, produced.length, 'no lead routed twice');
    const byId = new Map(all.map((r) => [r.value.lead.lead_id, r.value]));
    assert.deepEqual([...byId.keys()].sort(), produced.map((p) => p.id).sort(), 'no lead lost');
    for (const r of byId.values()) {
      // One version per lead: the one recorded is the one that chose the owner.
      const expected = r.decision.rule_set_version === '2' ? 'u-new' : 'u-old';
      assert.equal(r.decision.owner_id, expected);
    }
    const lateOnOld = produced.filter(
      (p) => p.at > publishedAt + 3000 && byId.get(p.id)?.decision.rule_set_version !== '2',
    );
    assert.deepEqual(lateOnOld, [], 'every lead sent 3 s after the publish used version 2');
    assert.ok(produced.some((p) => byId.get(p.id)?.decision.rule_set_version === '1'));
  });
});

describe('a queue whose only member is away: the held queue', () => {
  const N = 30;
  let fx: RouterFixture;
  let back: Date;
  before(async () => {
    back = new Date(Date.now() + 90_000);
    fx = await routerFixture('held', oneMemberRules('away', 'dana', { awayUntil: back }));
    await fx.startRouter();
  });
  after(async () => {
    await fx?.stop();
  });

  const heldRecords = async () => {
    const records = await readRaw(fx.kafka, fx.topics.held);
    return {
      held: records.filter((r) => r.message.value !== null),
      tombstones: records.filter((r) => r.message.value === null),
    };
  };
  const heldEndOffsets = async () => {
    const admin = fx.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(fx.topics.held);
      return offsets.reduce((sum, o) => sum + Number(o.high), 0);
    } finally {
      await admin.disconnect();
    }
  };
  const heldGauge = (url: string) => metricValue(url, 'lead_router_router_held_leads');

  it('writes each held lead once, keeps router.held flat while they wait, loses and doubles none across a SIGKILL, and routes each once when she is back', async () => {
    const leads = Array.from({ length: N }, () =>
      enrichedLeadFixture({ lead: { lead_id: randomUUID() } }),
    );
    const ids = leads.map((l) => l.lead.lead_id).sort();
    await fx.produceLeads(leads);
    const first = fx.routers[0]!;
    await waitFor(async () => (await heldGauge(first.url)) === N, {
      timeoutMs: 60_000,
      what: `${N} leads in the held index`,
    });
    const parked = await heldRecords();
    assert.deepEqual(parked.held.map((r) => r.key).sort(), ids, 'one record per lead, by lead id');
    assert.equal(parked.tombstones.length, 0);
    for (const r of parked.held) {
      const a = await fx.codec.decode<QueueAssignment>(r.message.value, 'QueueAssignment');
      assert.equal(a.held_until, back.getTime(), 'held until she is back');
    }
    assert.equal((await routed(fx)).length, 0, 'nothing routed while she is away');

    // While they wait, router.held takes no write: the step this replaces re-produced every lead
    // about once a second, so five samples a second apart would have grown by ~4N.
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      samples.push(await heldEndOffsets());
      await delay(1000);
    }
    assert.equal(new Set(samples).size, 1, `router.held end offsets ${samples.join(', ')}`);

    // SIGKILL while every lead is held; a new instance rebuilds the index from router.held.
    await first.kill();
    const second = await fx.startRouter();
    await waitFor(async () => (await heldGauge(second.url)) === N, {
      timeoutMs: 60_000,
      what: `the restarted router holding all ${N} leads`,
    });
    assert.ok(Date.now() < back.getTime(), 'the restart happened while the leads were held');
    assert.equal(await heldEndOffsets(), samples[0], 'the restart wrote nothing to router.held');

    const all = await waitFor(
      async () => {
        const records = await routed(fx);
        return records.length >= N ? records : undefined;
      },
      { timeoutMs: 120_000, what: `${N} routed after her return` },
    );
    const done = await waitFor(
      async () => {
        const r = await heldRecords();
        return r.tombstones.length >= N ? r : undefined;
      },
      { timeoutMs: 30_000, what: `${N} tombstones on router.held` },
    );
    assert.deepEqual(
      all.map((r) => r.value.lead.lead_id).sort(),
      ids,
      'every lead routed, none twice',
    );
    for (const r of all) {
      assert.equal(r.value.decision.owner_id, 'u-dana');
      assert.ok(r.value.decision.decided_at >= back.getTime());
    }
    assert.equal(done.held.length, N, 'each held lead written once');
    assert.deepEqual(done.tombstones.map((r) => r.key).sort(), ids, 'one tombstone per lead');
    assert.equal(
      await metricValue(second.url, 'lead_router_router_held_released_total'),
      N,
      'the restarted router released every lead',
    );
    assert.equal(await heldGauge(second.url), 0);
  });
});
