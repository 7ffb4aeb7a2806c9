import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, describe, it } from 'node:test';
import type { EnrichedLead, RoutedLead } from '@lead-router/schemas';
import {
  committedOffset,
  enrichedLeadFixture,
  readTopic,
  rotationRules,
  waitFor,
} from '@lead-router/testing';
import type { Admin } from 'kafkajs';
import { routerFixture, type RouterFixture } from '../e2e/router-fixture';
import { recordFault } from './fault-summary';
import { crashProof, killMidStream, recordsConsumed } from './fault.fixture';

/** Four independent round-robin queues, no capacity limits: nothing but the rotation decides. */
const COUNTRIES = ['DE', 'FR', 'US', 'BR'] as const;
const ROTATION_RULES = rotationRules('rotation', COUNTRIES);

const leads = (n: number): EnrichedLead[] =>
  Array.from({ length: n }, (_, i) =>
    enrichedLeadFixture({ lead: { lead_id: randomUUID(), country: COUNTRIES[i % 4]! } }),
  );

/**
 * Produces the leads a batch at a time while the test acts, so the stage's input keeps growing
 * past any moment the test kills at: a kill while this runs is mid-stream by construction.
 */
async function trickle(fx: RouterFixture, all: EnrichedLead[], perBatch = 50, everyMs = 150) {
  for (let i = 0; i < all.length; i += perBatch) {
    await fx.produceLeads(all.slice(i, i + perBatch));
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

interface Decision {
  leadId: string;
  queue: string;
  position: number;
  member: string;
  /** lr-assigned-by: "<instance> router.assign/<partition>@<offset>" */
  assignedBy: string;
}

async function decisions(fx: RouterFixture): Promise<Decision[]> {
  const records = await readTopic<RoutedLead>(fx.kafka, fx.codec, fx.topics.routed, 'RoutedLead');
  return records.map((r) => ({
    leadId: r.value.lead.lead_id,
    queue: r.value.decision.queue ?? '',
    position: Number(r.value.decision.distribution?.position ?? -1),
    member: r.value.decision.distribution?.chosen_member ?? '',
    assignedBy: r.message.headers?.['lr-assigned-by']?.toString() ?? '',
  }));
}

/** Leads with more than one decision, and each queue's positions checked to be 0..n-1 once. */
function audit(all: readonly Decision[]) {
  const perLead = new Map<string, number>();
  for (const d of all) perLead.set(d.leadId, (perLead.get(d.leadId) ?? 0) + 1);
  const assignedTwice = [...perLead.values()].filter((n) => n > 1).length;
  const byQueue = new Map<string, Decision[]>();
  for (const d of all) byQueue.set(d.queue, [...(byQueue.get(d.queue) ?? []), d]);
  return { distinct: perLead.size, assignedTwice, byQueue };
}

function assertRotation(byQueue: Map<string, Decision[]>): void {
  for (const [queue, list] of byQueue) {
    const positions = list.map((d) => d.position).sort((a, b) => a - b);
    assert.deepEqual(
      positions,
      list.map((_, i) => i),
      `${queue}: positions must run 0..${list.length - 1} exactly once`,
    );
    // The rotation itself: position p went to the (p mod 3)-th member, never skipped or repeated.
    const members = [...new Set(list.map((d) => d.member))].sort();
    assert.equal(members.length, 3, `${queue}: every member took leads`);
    const counts = members.map((m) => list.filter((d) => d.member === m).length);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `${queue}: split ${counts}`);
  }
}

/** The instance (host-pid) of a process, as the router records it in lr-assigned-by. */
const instanceOf = (d: Decision) => d.assignedBy.split(' ')[0]!;
const pidOf = (d: Decision) => Number(instanceOf(d).split('-').pop());

/**
 * Both ways of cutting the router's transactions (KAFKA_EXACTLY_ONCE): v1 fences a dead owner by
 * its partition's transactional id, v2 by the group generation, and its next owner waits for the
 * dead owner's open transaction to end (requireStable) instead of aborting it.
 */
for (const eos of ['v1', 'v2'] as const) {
  describe(`the router under SIGKILL and rebalances (exactly-once routing, ${eos})`, () => {
    const env = { KAFKA_EXACTLY_ONCE: eos };
    const fixtures: RouterFixture[] = [];
    const admins: Admin[] = [];
    afterEach(async () => {
      for (const admin of admins.splice(0)) await admin.disconnect();
    });
    after(async () => {
      for (const fx of fixtures) await fx.stop().catch(() => undefined);
    });

    for (const step of ['match', 'assign'] as const) {
      it(`SIGKILL of the router's ${step} step mid-stream: every lead routed once, the rotation exact`, async () => {
        const fx = await routerFixture(`router-kill-${step}-${eos}`, ROTATION_RULES);
        fixtures.push(fx);
        const admin = fx.kafka.admin();
        admins.push(admin);
        await admin.connect();
        const groupId = `${fx.prefix}lead-router.router${step === 'assign' ? '.assign' : ''}`;
        const input = step === 'assign' ? fx.topics.assign : fx.topics.enriched;
        const committed = () => committedOffset(admin, groupId, input);
        const N = 1200;
        const all = leads(N);

        const first = await fx.startRouter(env);
        const feeding = trickle(fx, all);
        const committedAtKill = await killMidStream(first, committed, N);
        await feeding;
        const restarted = await fx.startRouter(env);
        await waitFor(async () => (await committed()) >= N, {
          timeoutMs: 180_000,
          what: `the ${step} step's group at all ${N} offsets`,
        });
        await waitFor(async () => (await decisions(fx)).length >= N, {
          timeoutMs: 60_000,
          what: `${N} decisions on leads.routed`,
        });
        const restartedConsumed = await recordsConsumed(restarted, input);
        const all2 = await decisions(fx);
        const { distinct, assignedTwice, byQueue } = audit(all2);
        const byInstance = countBy(all2, instanceOf);
        recordFault({
          fault: `SIGKILL router ${step} step mid-stream (${eos})`,
          sent: N,
          delivered: distinct,
          lost: N - distinct,
          assignedTwice,
          proof:
            crashProof({ produced: N, committedAtKill, restartedConsumed }) +
            `; decisions by instance ${JSON.stringify(Object.fromEntries(byInstance))}; ${all2.length} decisions`,
        });
        assert.equal(distinct, N, 'every lead routed');
        assert.equal(
          all2.length,
          N,
          `one decision per lead: none assigned twice; twice: ${twice(all2).join('; ')}`,
        );
        assert.equal(assignedTwice, 0);
        assertRotation(byQueue);
        // The restarted process did the work the killed one left uncommitted.
        assert.ok(
          restartedConsumed >= N - committedAtKill,
          `restarted consumed ${restartedConsumed} < ${N - committedAtKill} uncommitted`,
        );
        if (step === 'assign')
          assert.equal(byInstance.size, 2, 'both the killed and the restarted instance assigned');
      });
    }

    it('round robin with two instances, a rebalance, a SIGKILL and a restart: positions 0..N-1 once per queue, handovers shown', async () => {
      const fx = await routerFixture(`router-rotation-${eos}`, ROTATION_RULES);
      fixtures.push(fx);
      const N = 1600;
      const all = leads(N);
      const routedCount = async () => (await decisions(fx)).length;
      const reach = (n: number, what: string) =>
        waitFor(async () => (await routedCount()) >= n, { timeoutMs: 120_000, what });

      // Phases by what the group does, not by the clock: a router takes seconds to start here.
      const phase = (i: number) => all.slice(i * 400, (i + 1) * 400);
      const a = await fx.startRouter(env);
      await trickle(fx, phase(0));
      await reach(400, 'the first 400 routed by the first instance');
      const b = await fx.startRouter(env); // a rebalance: the queue groups' partitions split
      await trickle(fx, phase(1));
      await reach(800, '800 routed by two instances');
      // A crash mid-flow: a dies with its transactions open, and b takes its partitions.
      const feeding = trickle(fx, phase(2), 20, 100);
      await reach(850, 'the third phase flowing');
      await a.kill();
      await feeding;
      await reach(1200, '1,200 routed after the crash');
      const c = await fx.startRouter(env); // a restart: another rebalance
      await trickle(fx, phase(3));
      await reach(N, `all ${N} routed`);

      const found = await decisions(fx);
      const { distinct, assignedTwice, byQueue } = audit(found);
      const pids = new Map<number, string>([
        [a.process.pid!, 'a (killed)'],
        [b.process.pid!, 'b'],
        [c.process.pid!, 'c (restart)'],
      ]);
      const byProcess = countBy(found, (d) => pids.get(pidOf(d)) ?? `unknown ${instanceOf(d)}`);
      // A handover: a router.assign partition some of whose leads one instance assigned and
      // others another.
      const partitionOwners = new Map<string, Set<string>>();
      for (const d of found) {
        const partition = d.assignedBy.split(' ')[1]!.split('@')[0]!;
        partitionOwners.set(
          partition,
          (partitionOwners.get(partition) ?? new Set()).add(instanceOf(d)),
        );
      }
      const handedOver = [...partitionOwners].filter(([, owners]) => owners.size > 1);
      recordFault({
        fault: `two routers: rebalance, SIGKILL of one, restart (${eos})`,
        sent: N,
        delivered: distinct,
        lost: N - distinct,
        assignedTwice,
        proof:
          `decisions by process ${JSON.stringify(Object.fromEntries(byProcess))}; ` +
          `partitions handed over: ${handedOver.map(([p, o]) => `${p} (${o.size} instances)`).join(', ')}; ` +
          `positions 0..n-1 once in each of ${byQueue.size} queues`,
      });
      assert.equal(distinct, N);
      assert.equal(found.length, N, 'one decision per lead');
      assert.equal(assignedTwice, 0);
      assertRotation(byQueue);
      assert.equal(byQueue.size, COUNTRIES.length);
      for (const who of ['a (killed)', 'b'])
        assert.ok((byProcess.get(who) ?? 0) > 0, `${who} assigned leads`);
      const unknown = [...byProcess.keys()].filter((k) => k.startsWith('unknown'));
      assert.deepEqual(unknown, [], 'every decision names a known instance');
      assert.ok(
        handedOver.length > 0,
        'at least one router.assign partition moved between instances',
      );
    });
  });
}

/** The leads decided more than once, each with the positions and instances that decided it. */
function twice(all: readonly Decision[]): string[] {
  const byLead = new Map<string, Decision[]>();
  for (const d of all) byLead.set(d.leadId, [...(byLead.get(d.leadId) ?? []), d]);
  return [...byLead.values()]
    .filter((list) => list.length > 1)
    .map((list) => list.map((d) => `${d.assignedBy} ${d.queue}#${d.position}`).join(' | '));
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}
