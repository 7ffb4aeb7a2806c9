import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StageResult } from '@lead-router/kafka';
import type { QueueAssignment, QueueStateSnapshot, RoutedLead } from '@lead-router/schemas';
import { enrichedLeadFixture } from '@lead-router/testing';
import { ASSIGNED_BY_HEADER, AssignStep } from './assign.step';
import { SOURCE_HEADER } from './step.context';
import { QueueStateStore } from './queue-state.store';
import { RulesRegistry } from './rules.registry';
import {
  CARL_BACK,
  InMemoryChangelog,
  NOON,
  SERVED,
  TOPICS,
  assignment,
  at,
  compiledRules,
  published,
  silentLogger,
} from './routing-runtime.fixture';

/** The router.assign partition the records of these tests come from (`at`'s default). */
const P0 = { topic: TOPICS.assign, partition: 0 };

function setup(
  options: { changelog?: InMemoryChangelog; members?: string[]; rules?: RulesRegistry } = {},
) {
  const changelog = options.changelog ?? new InMemoryChangelog();
  const rules =
    options.rules ??
    new RulesRegistry(compiledRules('1', options.members), {
      logger: silentLogger(),
      servedDestinationTypes: SERVED,
      versionTimeoutMs: 50,
    });
  const store = new QueueStateStore({
    topic: TOPICS.queueState,
    readChangelog: changelog.read,
    now: () => NOON,
  });
  const sut = new AssignStep({
    instance: 'router-a',
    rules,
    store,
    topics: TOPICS,
    logger: silentLogger(),
    now: () => NOON,
  });
  return { sut, store, rules, changelog };
}

function only(result: StageResult) {
  if (result.kind !== 'ok') assert.fail(`expected ok, got ${JSON.stringify(result)}`);
  assert.equal(result.outputs.length, 1);
  return result.outputs[0]!;
}

const ownerOf = (result: StageResult) => (only(result).value as RoutedLead).decision.owner_id;

/** Routes leads at offsets from..from+n-1 as one chunk; returns the owners. */
async function chunk(sut: AssignStep, from: number, n: number): Promise<(string | null)[]> {
  await sut.beforeChunk(P0);
  const owners: (string | null)[] = [];
  for (let i = from; i < from + n; i++) {
    owners.push(
      ownerOf(
        await sut.handle(
          assignment(enrichedLeadFixture({ lead: { lead_id: `lead-${i}` } })),
          at(i),
        ),
      ),
    );
  }
  return owners;
}

describe('AssignStep', () => {
  it('routes round robin within the group and snapshots its state at the last offset', async () => {
    const { sut } = setup();
    assert.deepEqual(await chunk(sut, 0, 3), ['SF-alice', 'SF-bob', 'SF-alice']);
    const snapshots = await sut.afterChunk(P0);
    assert.equal(snapshots.length, 1);
    assert.equal(snapshots[0]?.topic, 'router.queue-state');
    assert.equal(snapshots[0]?.key, 'sales');
    const snapshot = snapshots[0]?.value as QueueStateSnapshot;
    assert.equal(snapshot.input_partition, 0);
    assert.equal(snapshot.input_offset, 2);
    assert.deepEqual(await sut.afterChunk(P0), []);
  });

  it('puts the routed lead on leads.routed keyed by its lead id', async () => {
    const { sut } = setup();
    await sut.beforeChunk(P0);
    const enriched = enrichedLeadFixture({ lead: { lead_id: 'lead-1' } });
    const output = only(await sut.handle(assignment(enriched), at(0)));
    assert.equal(output.topic, 'leads.routed');
    assert.equal(output.key, 'lead-1');
    // Which instance assigned it, from which router.assign position: a handover shows here.
    assert.deepEqual(output.headers, { [ASSIGNED_BY_HEADER]: 'router-a router.assign/0@0' });
    const routed = output.value as RoutedLead;
    assert.equal(routed.lead, enriched.lead);
    assert.deepEqual(routed.destinations, [
      { id: 'crm', type: 'webhook', url: 'https://crm.example.com/leads', owner_id: 'SF-alice' },
    ]);
  });

  it('drops a record its state already reflects (replayed after a rebalance cut the commit)', async () => {
    const { sut } = setup();
    assert.deepEqual(await chunk(sut, 0, 2), ['SF-alice', 'SF-bob']);
    assert.deepEqual(
      await sut.handle(assignment(enrichedLeadFixture({ lead: { lead_id: 'lead-1' } })), at(1)),
      {
        kind: 'ok',
        outputs: [],
      },
    );
    assert.deepEqual(await chunk(sut, 2, 1), ['SF-alice']);
  });

  it('continues the rotation from the changelog when another instance takes the partition', async () => {
    const changelog = new InMemoryChangelog();
    const members = ['alice', 'bob', 'cara'];
    const first = setup({ changelog, members });
    assert.deepEqual(await chunk(first.sut, 0, 2), ['SF-alice', 'SF-bob']);
    changelog.append(await first.sut.afterChunk(P0));

    const second = setup({ changelog, members });
    second.sut.onGroupJoin();
    assert.deepEqual(await chunk(second.sut, 2, 2), ['SF-cara', 'SF-alice']);
    // The record the first instance routed but whose commit was lost is not routed again.
    assert.deepEqual(
      await second.sut.handle(
        assignment(enrichedLeadFixture({ lead: { lead_id: 'lead-1' } })),
        at(1),
      ),
      {
        kind: 'ok',
        outputs: [],
      },
    );
  });

  it('reads the changelog again only after the instance rejoins its group', async () => {
    const { sut, changelog } = setup();
    await sut.beforeChunk(P0);
    await sut.beforeChunk(P0);
    assert.equal(changelog.reads, 1);
    sut.onGroupJoin();
    await sut.beforeChunk(P0);
    assert.equal(changelog.reads, 2);
  });

  it('after a failed transaction, routes the chunk again from the committed rotation, not the one it advanced', async () => {
    const changelog = new InMemoryChangelog();
    const { sut } = setup({ changelog, members: ['alice', 'bob', 'cara'] });
    assert.deepEqual(await chunk(sut, 0, 1), ['SF-alice']);
    changelog.append(await sut.afterChunk(P0)); // committed with lead 0
    assert.deepEqual(await chunk(sut, 1, 2), ['SF-bob', 'SF-cara']);
    await sut.afterChunk(P0); // this chunk's transaction fails: its snapshot never lands
    sut.onTransactionFailed(P0);
    // Read again, the same two leads get the same owners: the rotation neither skips nor repeats.
    assert.deepEqual(await chunk(sut, 1, 2), ['SF-bob', 'SF-cara']);
  });

  it('assigns a lead the match step wrote twice (its replay after a crash) once', async () => {
    const { sut } = setup();
    await sut.beforeChunk(P0);
    const lead = enrichedLeadFixture({ lead: { lead_id: 'lead-7' } });
    const from = (offset: number) => ({ ...at(offset), headers: { [SOURCE_HEADER]: '2@41' } });
    assert.equal(ownerOf(await sut.handle(assignment(lead), from(0))), 'SF-alice');
    // The same leads.enriched record, matched again and written at a later router.assign offset.
    assert.deepEqual(await sut.handle(assignment(lead), from(5)), { kind: 'ok', outputs: [] });
    // The next lead of that partition is assigned, and the rotation goes on where it was.
    const next = { ...at(6), headers: { [SOURCE_HEADER]: '2@42' } };
    assert.equal(ownerOf(await sut.handle(assignment(enrichedLeadFixture()), next)), 'SF-bob');
  });

  it('parks a lead nobody can take on router.held until someone can, keyed by its lead id', async () => {
    const { sut } = setup();
    await sut.beforeChunk(P0);
    const a = assignment(enrichedLeadFixture({ lead: { lead_id: 'lead-fr', country: 'FR' } }), {
      queue_group: 'away',
    });
    const output = only(await sut.handle(a, at(0, 0, 'away')));
    assert.equal(output.topic, 'router.held');
    assert.equal(output.key, 'lead-fr');
    assert.deepEqual(output.value, { ...a, held_until: CARL_BACK });
    assert.deepEqual(await sut.afterChunk(P0), [], 'a held lead changes no queue state');
  });

  it('assigns under the version recorded on the lead, not the newest', async () => {
    const { sut, rules } = setup();
    rules.accept(published('2', ['dora']));
    await sut.beforeChunk(P0);
    assert.equal(
      ownerOf(await sut.handle(assignment(enrichedLeadFixture({ lead: { lead_id: 'a' } })), at(0))),
      'SF-alice',
    );
    const v2 = assignment(enrichedLeadFixture({ lead: { lead_id: 'b' } }), {
      rule_set_version: '2',
    });
    assert.equal(ownerOf(await sut.handle(v2, at(1))), 'SF-dora');
  });

  it('dead-letters a lead whose rule-set version never arrives', async () => {
    const { sut } = setup();
    await sut.beforeChunk(P0);
    const a: QueueAssignment = assignment(enrichedLeadFixture({ lead: { lead_id: 'lead-1' } }), {
      rule_set_version: '9',
    });
    assert.deepEqual(await sut.handle(a, at(0)), {
      kind: 'dead',
      code: 'unknown_rule_set_version',
      error: 'rule set t version 9 is not published',
    });
  });
});
