import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecordContext, StageDefinition, StageOutput } from '@lead-router/kafka';
import type { RoutedLead } from '@lead-router/schemas';
import { enrichedLeadFixture } from '@lead-router/testing';
import { FakeClock, FakeHeldTopic } from './held-queue.fixture';
import { HeldQueue } from './held.queue';
import { QueueStateStore } from './queue-state.store';
import { RulesRegistry } from './rules.registry';
import { routerStages } from './router.stages';
import {
  CARL_BACK,
  InMemoryChangelog,
  NOON,
  SERVED,
  TOPICS,
  compiledRules,
  silentLogger,
} from './routing-runtime.fixture';

const settings = {
  groupId: 'lead-router.router',
  concurrency: 4,
  partitionsConcurrently: 3,
  sessionTimeoutMs: 30_000,
};

function setup() {
  const clock = { now: NOON };
  const now = () => clock.now;
  const store = new QueueStateStore({
    topic: TOPICS.queueState,
    readChangelog: new InMemoryChangelog().read,
    now,
  });
  const rules = new RulesRegistry(compiledRules('1'), {
    logger: silentLogger(),
    servedDestinationTypes: SERVED,
  });
  const sut = routerStages(settings, {
    instance: 'router-test',
    topics: TOPICS,
    rules,
    store,
    logger: silentLogger(),
    now,
  });
  return { sut, clock };
}

let offset = 0;
const context = (output: StageOutput): RecordContext => ({
  topic: output.topic,
  partition: 0,
  offset: String(offset++),
  key: Buffer.from(output.key),
  value: null,
  headers: {},
  attempts: 1,
});

/** Hands one output to the stage consuming its topic, as the runner would. */
async function next(stages: StageDefinition<unknown>[], output: StageOutput): Promise<StageOutput> {
  const stage = stages.find((s) => s.topic === output.topic);
  if (!stage) assert.fail(`no stage consumes ${output.topic}`);
  await stage.beforeChunk?.({ topic: output.topic, partition: 0 });
  const result = await stage.handle(output.value, context(output));
  if (result.kind !== 'ok' || result.outputs.length !== 1) assert.fail(JSON.stringify(result));
  return result.outputs[0]!;
}

describe('routerStages', () => {
  it('runs match and assign as their own groups, partitions at once, a record at a time in assign, both exactly once', () => {
    const { sut } = setup();
    assert.deepEqual(
      sut.map((s) => [
        s.stage,
        s.groupId,
        s.topic,
        s.partitionsConcurrently,
        s.concurrency,
        s.exactlyOnce,
      ]),
      [
        ['router', 'lead-router.router', 'leads.enriched', 3, 4, true],
        ['router-assign', 'lead-router.router.assign', 'router.assign', 3, 1, true],
      ],
    );
  });

  it('takes a lead from leads.enriched through router.assign to leads.routed', async () => {
    const { sut } = setup();
    const enriched = enrichedLeadFixture({ lead: { lead_id: 'lead-1' } });
    const assigned = await next(sut, { topic: TOPICS.enriched, key: 'lead-1', value: enriched });
    const routed = await next(sut, assigned);
    assert.equal(routed.topic, 'leads.routed');
    assert.equal((routed.value as RoutedLead).decision.owner_id, 'SF-alice');
  });

  it('holds a lead nobody can take once, and routes it once its member is back', async () => {
    const { sut, clock } = setup();
    const timers = new FakeClock();
    timers.now = clock.now;
    const topic = new FakeHeldTopic(1);
    const heldQueue = new HeldQueue({
      ports: topic,
      logger: silentLogger(),
      now: () => timers.now,
      timers,
    });
    await heldQueue.assigned([0]);
    const enriched = enrichedLeadFixture({ lead: { lead_id: 'lead-fr', country: 'FR' } });
    const assigned = await next(sut, { topic: TOPICS.enriched, key: 'lead-fr', value: enriched });
    const held = await next(sut, assigned);
    assert.equal(held.topic, 'router.held');
    assert.equal(held.key, 'lead-fr');
    topic.append(0, held.key, Buffer.from(JSON.stringify(held.value)));
    await topic.consume(heldQueue);
    assert.equal(topic.assigned.length, 0, 'not due yet');
    await timers.advance(CARL_BACK - NOON);
    clock.now = timers.now;
    assert.equal(topic.assigned.length, 1, 'released once');
    const due = topic.assigned[0]!;
    const routed = await next(sut, { topic: TOPICS.assign, key: due.key, value: due.value });
    assert.equal(routed.topic, 'leads.routed');
    assert.equal((routed.value as RoutedLead).decision.owner_id, 'SF-carl');
    assert.equal(topic.visible(0).length, 2, 'router.held: the lead once, then its tombstone');
    await heldQueue.stop();
  });
});
