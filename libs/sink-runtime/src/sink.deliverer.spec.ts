import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeliveryVerdict, LeadVerdict } from '@lead-router/delivery';
import {
  ATTEMPTS_HEADER,
  DESTINATION_HEADER,
  DUE_AT_HEADER,
  FALLBACK_FROM_HEADER,
  type RecordContext,
  type StageOutput,
} from '@lead-router/kafka';
import { createLogger } from '@lead-router/observability';
import type {
  DeadLetter,
  DeliveryAttempt,
  DeliveryOutcome,
  RoutedLead,
} from '@lead-router/schemas';
import { destinationFixture, routedLeadFixture } from '@lead-router/testing';
import { Registry } from 'prom-client';
import type { BudgetAnswer, DestinationGate } from './destination.gate';
import { LimiterDestinationGate } from './destination.gate';
import type { CommonDestinationConfig, DeliveryTask, SinkAdapter } from './sink.adapter';
import { type PendingTask, SinkDeliverer, type SinkDelivererOptions } from './sink.deliverer';
import { createSinkMetrics } from './sink.metrics';

const TOPICS = {
  routed: 't.leads.routed',
  delivered: 't.leads.delivered',
  attempts: 't.leads.attempts',
  dlq: 't.leads.dlq',
  tiers: [
    { topic: 't.retry.10s', delayMs: 10_000 },
    { topic: 't.retry.1m', delayMs: 60_000 },
    { topic: 't.retry.10m', delayMs: 600_000 },
    { topic: 't.retry.1h', delayMs: 3_600_000 },
  ],
};

interface Config extends CommonDestinationConfig {
  url?: string;
}

/** A fake CRM: answers each lead with `answer(leadId, call)`, keeps what it was sent and when. */
class FakeAdapter implements SinkAdapter<Config> {
  readonly type = 'crm';
  readonly calls: { destination: string; leadIds: string[]; at: number }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  constructor(
    private readonly answer: (leadId: string, call: number) => DeliveryVerdict | 'throw' = () => ({
      kind: 'delivered',
      crmId: 'crm-1',
      created: true,
    }),
    private readonly max = 100,
    private readonly delayMs = 0,
  ) {}
  maxBatchSize(): number {
    return this.max;
  }
  async send(tasks: readonly DeliveryTask<Config>[]): Promise<LeadVerdict[]> {
    const call = this.calls.length;
    this.calls.push({
      destination: tasks[0]!.destination.id,
      leadIds: tasks.map((t) => t.lead.lead.lead_id),
      at: Date.now(),
    });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
      return tasks.map((t) => {
        const v = this.answer(t.lead.lead.lead_id, call);
        if (v === 'throw') throw new Error('socket hang up');
        return { leadId: t.lead.lead.lead_id, verdict: v };
      });
    } finally {
      this.inFlight--;
    }
  }
}

const lead = (id: string, destinations = ['crm-a'], type = 'crm'): RoutedLead =>
  routedLeadFixture({
    lead: { lead_id: id },
    destinations: destinations.map((d) => destinationFixture({ id: d, type, url: null })),
  });

const record = (
  value: RoutedLead,
  headers: Record<string, string> = {},
  attempts = 1,
): RecordContext => ({
  topic: TOPICS.routed,
  partition: 0,
  offset: '42',
  key: Buffer.from(value.lead.lead_id),
  value: Buffer.from('original bytes'),
  headers,
  attempts,
});

const NOW = Date.UTC(2026, 10, 25, 12, 5, 0);

function setup(
  adapter: FakeAdapter,
  configs: Record<string, Config> = { 'crm-a': { type: 'crm' } },
  over: Partial<SinkDelivererOptions<Config>> = {},
) {
  const registry = new Registry();
  const metrics = createSinkMetrics(registry);
  const sut = new SinkDeliverer<Config>({
    sink: 'sink-crm',
    adapter,
    resolveConfig: (_lead, name) => configs[name],
    gate: new LimiterDestinationGate({ kind: 'memory' }, () => NOW),
    metrics,
    logger: createLogger('spec', 'silent'),
    topics: TOPICS,
    maxInFlight: 4,
    budgetWaitMs: 1_000,
    requestTimeoutMs: 5_000,
    now: () => NOW,
    ...over,
  });
  const run = async (...records: [RoutedLead, RecordContext][]): Promise<StageOutput[]> => {
    const outputs: StageOutput[] = [];
    const tasks: PendingTask<Config>[] = [];
    for (const [v, r] of records) {
      const found = await sut.tasksOf(v, r);
      outputs.push(...found.outputs);
      tasks.push(...found.tasks);
    }
    return [...outputs, ...(await sut.deliver(tasks))];
  };
  return { sut, run, registry, metrics };
}

const onTopic = (outputs: StageOutput[], topic: string) => outputs.filter((o) => o.topic === topic);
const outcomes = (outputs: StageOutput[]) =>
  onTopic(outputs, TOPICS.delivered).map((o) => o.value as DeliveryOutcome);
const attempts = (outputs: StageOutput[]) =>
  onTopic(outputs, TOPICS.attempts).map((o) => o.value as DeliveryAttempt);

describe('SinkDeliverer', () => {
  it('delivered: a DELIVERED outcome with the CRM id, attempts and speed-to-lead', async () => {
    const { run, registry } = setup(new FakeAdapter());
    const l = lead('L1');
    const out = await run([l, record(l, {}, 2)]);
    assert.deepEqual(
      out.map((o) => o.topic),
      [TOPICS.attempts, TOPICS.delivered],
    );
    const [o] = outcomes(out);
    assert.equal(o!.status, 'DELIVERED');
    assert.equal(o!.external_id, 'crm-1');
    assert.equal(o!.attempts, 2);
    assert.equal(o!.speed_to_lead_ms, NOW - l.lead.received_at);
    const text = await registry.metrics();
    assert.match(text, /lead_router_sink_delivered_total\{sink="sink-crm",destination="crm-a"\} 1/);
    assert.match(
      text,
      /lead_router_speed_to_lead_seconds_count\{source="web-form",destination="crm-a"\} 1/,
    );
  });

  it('skips destinations of other types, and leads with none of its type, without an outcome', async () => {
    const adapter = new FakeAdapter();
    const { run } = setup(adapter);
    const other = lead('L2', ['inbox'], 'webhook');
    const mixed = routedLeadFixture({
      lead: { lead_id: 'L3' },
      destinations: [
        destinationFixture({ id: 'inbox', type: 'webhook' }),
        destinationFixture({ id: 'crm-a', type: 'crm' }),
      ],
    });
    const out = await run([other, record(other)], [mixed, record(mixed)]);
    assert.deepEqual(
      outcomes(out).map((o) => [o.lead_id, o.destination_id]),
      [['L3', 'crm-a']],
    );
    assert.deepEqual(
      adapter.calls.map((c) => c.leadIds),
      [['L3']],
    );
  });

  it('permanent: FAILED outcome and a dead letter with the destination’s message and the original record', async () => {
    const { run } = setup(
      new FakeAdapter(() => ({
        kind: 'permanent',
        code: 'INVALID_FIELD',
        message: 'No such column Foo__c',
      })),
    );
    const l = lead('L1');
    const out = await run([l, record(l)]);
    const [o] = outcomes(out);
    assert.equal(o!.status, 'FAILED');
    assert.match(o!.error!, /No such column Foo__c/);
    const [letter] = onTopic(out, TOPICS.dlq).map((x) => x.value as DeadLetter);
    assert.equal(letter!.error_code, 'INVALID_FIELD');
    assert.match(letter!.error, /crm-a: No such column Foo__c/);
    assert.deepEqual(letter!.value, Buffer.from('original bytes'));
    assert.equal(letter!.offset, '42');
  });

  it('retry: the lead for that destination only goes to the tier of its delay, attempts + 1, due then', async () => {
    const { run } = setup(new FakeAdapter(() => ({ kind: 'retry', reason: 'HTTP 503' })), {
      'crm-a': { type: 'crm', retry: { delays: ['1m', '10m'] } },
      'crm-b': { type: 'crm' },
    });
    const l = lead('L1', ['crm-a', 'crm-b']);
    const out = await run([l, record(l, {}, 1)]);
    assert.equal(outcomes(out).length, 0);
    const [toTier] = onTopic(out, 't.retry.1m');
    assert.ok(toTier);
    assert.deepEqual(
      (toTier.value as RoutedLead).destinations.map((d) => d.id),
      ['crm-a'],
    );
    assert.equal(toTier.headers![DESTINATION_HEADER], 'crm-a');
    assert.equal(toTier.headers![ATTEMPTS_HEADER], '1');
    assert.equal(toTier.headers![DUE_AT_HEADER], String(NOW + 60_000));
    // crm-b has the default delays: 10 s for the first attempt.
    assert.equal(onTopic(out, 't.retry.10s').length, 1);
  });

  it('a retry-tier record is delivered to the destination its header names only', async () => {
    const adapter = new FakeAdapter();
    const { run } = setup(adapter, { 'crm-a': { type: 'crm' }, 'crm-b': { type: 'crm' } });
    const l = lead('L1', ['crm-a', 'crm-b']);
    await run([l, { ...record(l, { [DESTINATION_HEADER]: 'crm-b' }, 2), topic: 't.retry.10s' }]);
    assert.deepEqual(
      adapter.calls.map((c) => c.destination),
      ['crm-b'],
    );
  });

  it('after the last delay: FAILED and dead-lettered when there is no fallback', async () => {
    const { run } = setup(new FakeAdapter(() => ({ kind: 'retry', reason: 'HTTP 500' })), {
      'crm-a': { type: 'crm', retry: { delays: ['10s'] } },
    });
    const l = lead('L1');
    const out = await run([l, record(l, {}, 2)]);
    assert.equal(outcomes(out)[0]!.status, 'FAILED');
    assert.equal(
      (onTopic(out, TOPICS.dlq)[0]!.value as DeadLetter).error_code,
      'retries_exhausted',
    );
  });

  it('after the last delay: FELL_BACK outcome, and the lead to leads.routed for the fallback alone', async () => {
    const { run } = setup(new FakeAdapter(() => ({ kind: 'retry', reason: 'HTTP 500' })), {
      'crm-a': { type: 'crm', retry: { delays: ['10s'] }, fallback: 'inbox' },
      inbox: { type: 'webhook', url: 'https://hooks.example.com/in' },
    });
    const l = lead('L1');
    const out = await run([l, record(l, {}, 2)]);
    const [o] = outcomes(out);
    assert.equal(o!.status, 'FELL_BACK');
    assert.match(o!.error!, /fell back to inbox after 2 attempts: HTTP 500/);
    const [routed] = onTopic(out, TOPICS.routed);
    assert.deepEqual((routed!.value as RoutedLead).destinations, [
      { id: 'inbox', type: 'webhook', url: 'https://hooks.example.com/in', owner_id: null },
    ]);
    assert.equal(routed!.headers![FALLBACK_FROM_HEADER], 'crm-a');
    assert.equal(onTopic(out, TOPICS.dlq).length, 0);
  });

  it('a lead already on a fallback never falls back again', async () => {
    const { run } = setup(new FakeAdapter(() => ({ kind: 'retry', reason: 'HTTP 500' })), {
      'crm-a': { type: 'crm', retry: { delays: ['10s'] }, fallback: 'crm-b' },
    });
    const l = lead('L1');
    const out = await run([l, record(l, { [FALLBACK_FROM_HEADER]: 'crm-z' }, 2)]);
    assert.equal(outcomes(out)[0]!.status, 'FAILED');
  });

  it('resend and refresh_token go to a retry tier', async () => {
    let n = 0;
    const { run } = setup(
      new FakeAdapter(() =>
        n++ === 0
          ? { kind: 'resend', reason: 'rolled back' }
          : { kind: 'refresh_token', reason: '401' },
      ),
    );
    const a = lead('L1');
    const b = lead('L2');
    const out = await run([a, record(a)], [b, record(b)]);
    assert.equal(onTopic(out, 't.retry.10s').length, 2);
    assert.equal(outcomes(out).length, 0);
  });

  it('wait_for_quota parks the destination: later batches are not sent and wait until then', async () => {
    const until = NOW + 2 * 3_600_000;
    const adapter = new FakeAdapter(() => ({ kind: 'wait_for_quota', reason: 'DAILY', until }));
    const gate = new LimiterDestinationGate({ kind: 'memory' }, () => NOW);
    const { run } = setup(adapter, undefined, { gate });
    const a = lead('L1');
    const first = await run([a, record(a)]);
    assert.equal(await gate.parkedUntil('crm-a'), until);
    assert.equal(onTopic(first, 't.retry.1h')[0]!.headers![DUE_AT_HEADER], String(until));
    const b = lead('L2');
    const second = await run([b, record(b, {}, 3)]);
    assert.equal(adapter.calls.length, 1);
    const [held] = onTopic(second, 't.retry.1h');
    assert.equal(held!.headers![DUE_AT_HEADER], String(until));
    // Waiting is not an attempt: the lead comes back as attempt 3 again.
    assert.equal(held!.headers![ATTEMPTS_HEADER], '2');
  });

  it('stop: the destination is parked for the longest tier, with an alert metric, its leads to the longest tier', async () => {
    const adapter = new FakeAdapter(() => ({ kind: 'stop', alert: 'private-app token revoked' }));
    const gate = new LimiterDestinationGate({ kind: 'memory' }, () => NOW);
    const { run, registry } = setup(adapter, undefined, { gate });
    const l = lead('L1');
    const out = await run([l, record(l)]);
    assert.equal(onTopic(out, 't.retry.1h').length, 1);
    assert.equal(await gate.parkedUntil('crm-a'), NOW + 3_600_000);
    assert.match(
      await registry.metrics(),
      /lead_router_sink_destination_stopped_total\{sink="sink-crm",destination="crm-a"\} 1/,
    );
  });

  it('a thrown error is a retry for the whole batch', async () => {
    const { run } = setup(new FakeAdapter(() => 'throw'));
    const a = lead('L1');
    const b = lead('L2');
    const out = await run([a, record(a)], [b, record(b)]);
    assert.equal(onTopic(out, 't.retry.10s').length, 2);
  });

  it('a destination with no configuration ends FAILED at once, nothing sent', async () => {
    const adapter = new FakeAdapter();
    const { run } = setup(adapter, {});
    const l = lead('L1');
    const out = await run([l, record(l)]);
    assert.equal(outcomes(out)[0]!.status, 'FAILED');
    assert.deepEqual(attempts(out), [], 'nothing was tried or held');
    assert.equal(
      (onTopic(out, TOPICS.dlq)[0]!.value as DeadLetter).error_code,
      'unknown_destination',
    );
    assert.equal(adapter.calls.length, 0);
  });

  it('batches per destination, at most min(batch.max_size, the adapter’s maximum)', async () => {
    const adapter = new FakeAdapter(undefined, 4);
    const { run } = setup(adapter, {
      'crm-a': { type: 'crm', batch: { max_size: 3 } },
      'crm-b': { type: 'crm', batch: { max_size: 50 } },
    });
    const leads = Array.from({ length: 7 }, (_, i) => lead(`L${i}`, ['crm-a', 'crm-b']));
    const out = await run(...leads.map((l) => [l, record(l)] as [RoutedLead, RecordContext]));
    const sizes = (d: string) =>
      adapter.calls.filter((c) => c.destination === d).map((c) => c.leadIds.length);
    assert.deepEqual(sizes('crm-a'), [3, 3, 1]);
    assert.deepEqual(sizes('crm-b'), [4, 3]);
    assert.equal(outcomes(out).length, 14);
    assert.deepEqual(
      attempts(out)
        .filter((a) => a.destination_id === 'crm-a')
        .map((a) => a.batch_size),
      [3, 3, 3, 3, 3, 3, 1],
    );
  });

  it('keeps at most maxInFlight requests in flight', async () => {
    const adapter = new FakeAdapter(undefined, 1, 20);
    const { run } = setup(adapter, { 'crm-a': { type: 'crm' } }, { maxInFlight: 3 });
    const leads = Array.from({ length: 12 }, (_, i) => lead(`L${i}`));
    await run(...leads.map((l) => [l, record(l)] as [RoutedLead, RecordContext]));
    assert.equal(adapter.calls.length, 12);
    assert.equal(adapter.maxInFlight, 3);
  });

  it('never sends past the budget: a short wait is waited, a long one goes to a retry tier', async () => {
    const answers: BudgetAnswer[] = [
      { granted: false, retryInMs: 200 },
      { granted: true, release: async () => undefined },
      { granted: false, retryInMs: 30_000 },
    ];
    const slept: number[] = [];
    const gate: DestinationGate = {
      acquire: async () => answers.shift()!,
      park: async () => undefined,
      parkedUntil: async () => null,
    };
    const adapter = new FakeAdapter(undefined, 1);
    const { run, registry } = setup(adapter, undefined, {
      gate,
      maxInFlight: 1,
      sleep: async (ms) => {
        slept.push(ms);
      },
    });
    const a = lead('L1');
    const b = lead('L2');
    const out = await run([a, record(a)], [b, record(b)]);
    assert.deepEqual(slept, [200]);
    assert.deepEqual(
      adapter.calls.map((c) => c.leadIds),
      [['L1']],
    );
    const [held] = onTopic(out, 't.retry.1m');
    assert.equal((held!.value as RoutedLead).lead.lead_id, 'L2');
    assert.equal(held!.headers![DUE_AT_HEADER], String(NOW + 30_000));
    assert.match(
      await registry.metrics(),
      /lead_router_sink_throttled_total\{sink="sink-crm",destination="crm-a"\} 1/,
    );
  });

  it('opens the circuit after `failures` failed requests, then calls no more until half-open', async () => {
    let now = NOW;
    const adapter = new FakeAdapter(() => ({ kind: 'retry', reason: 'HTTP 503' }), 1);
    const { run } = setup(
      adapter,
      {
        'crm-a': {
          type: 'crm',
          breaker: { failures: 3, half_open_after: '30s', fallback_after: '5m' },
        },
      },
      { maxInFlight: 1, now: () => now },
    );
    const leads = Array.from({ length: 5 }, (_, i) => lead(`L${i}`));
    const out = await run(...leads.map((l) => [l, record(l)] as [RoutedLead, RecordContext]));
    assert.equal(adapter.calls.length, 3);
    assert.equal(onTopic(out, 't.retry.10s').length + onTopic(out, 't.retry.1m').length, 5);
    now += 10_000;
    const more = lead('L9');
    await run([more, record(more)]);
    assert.equal(adapter.calls.length, 3, 'no call while open');
  });

  it('an open circuit sends the leads to the fallback once open longer than fallback_after', async () => {
    let now = NOW;
    const adapter = new FakeAdapter(() => ({ kind: 'retry', reason: 'HTTP 503' }), 1);
    const { run } = setup(
      adapter,
      {
        'crm-a': {
          type: 'crm',
          fallback: 'crm-b',
          breaker: { failures: 1, half_open_after: '1h', fallback_after: '2m' },
        },
        'crm-b': { type: 'crm' },
      },
      { maxInFlight: 1, now: () => now },
    );
    const first = lead('L1');
    await run([first, record(first)]);
    now += 60_000;
    const early = lead('L2');
    const waited = await run([early, record(early)]);
    assert.equal(onTopic(waited, TOPICS.routed).length, 0);
    now += 120_000;
    const late = lead('L3');
    const fell = await run([late, record(late)]);
    assert.equal(outcomes(fell)[0]!.status, 'FELL_BACK');
    assert.deepEqual(
      (onTopic(fell, TOPICS.routed)[0]!.value as RoutedLead).destinations.map((d) => d.id),
      ['crm-b'],
    );
    assert.equal(adapter.calls.length, 1);
  });

  it('an open circuit probes after half_open_after and closes on success', async () => {
    let now = NOW;
    let failing = true;
    const adapter = new FakeAdapter(
      () => (failing ? 'throw' : { kind: 'delivered', crmId: null, created: null }),
      1,
    );
    const { run, sut } = setup(
      adapter,
      {
        'crm-a': {
          type: 'crm',
          breaker: { failures: 1, half_open_after: '1ms', fallback_after: '5m' },
        },
      },
      { maxInFlight: 1, now: () => now },
    );
    const a = lead('L1');
    await run([a, record(a)]);
    assert.notEqual(sut.breakers.openForMs('crm-a'), null);
    failing = false;
    await new Promise((r) => setTimeout(r, 5));
    now += 10;
    const b = lead('L2');
    const out = await run([b, record(b)]);
    assert.equal(outcomes(out)[0]!.status, 'DELIVERED');
    assert.equal(sut.breakers.openForMs('crm-a'), null);
  });

  it('an open circuit holds a lead until its probe, not a whole half_open_after from now', async () => {
    let now = NOW;
    const adapter = new FakeAdapter(() => 'throw', 1);
    const { run } = setup(
      adapter,
      { 'crm-a': { type: 'crm', breaker: { failures: 1, half_open_after: '30s' } } },
      { maxInFlight: 1, now: () => now },
    );
    const first = lead('L1');
    await run([first, record(first)]);
    now += 20_000;
    const late = lead('L2');
    const out = await run([late, record(late)]);
    assert.equal(adapter.calls.length, 1, 'no call while open');
    const [held] = onTopic(out, 't.retry.10s');
    assert.equal((held!.value as RoutedLead).lead.lead_id, 'L2');
    assert.equal(
      held!.headers![DUE_AT_HEADER],
      String(NOW + 30_000),
      'due when the probe may pass',
    );
    assert.deepEqual(
      attempts(out).map((a) => [a.lead_id, a.answer, a.next_due_at]),
      [['L2', 'CIRCUIT_OPEN', NOW + 30_000]],
    );
  });
});

describe('SinkDeliverer: the circuit and parking gauges the alerts read', () => {
  const gauge = async (registry: Registry, name: string, labels: string) => {
    const line = (await registry.metrics())
      .split('\n')
      .find((l) => l.startsWith(`${name}{${labels}} `));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  const CIRCUIT = 'lead_router_sink_circuit_open';
  const PARKED = 'lead_router_sink_destination_parked_until_timestamp_seconds';
  const CRM_A = 'sink="sink-crm",destination="crm-a"';

  it('lead_router_sink_circuit_open is 0 while closed, 1 once the breaker opens, 0 again when a probe closes it', async () => {
    let now = NOW;
    let failing = false;
    const adapter = new FakeAdapter(
      () => (failing ? 'throw' : { kind: 'delivered', crmId: null, created: null }),
      1,
    );
    const { run, registry } = setup(
      adapter,
      {
        'crm-a': {
          type: 'crm',
          breaker: { failures: 2, half_open_after: '1ms', fallback_after: '5m' },
        },
      },
      { maxInFlight: 1, now: () => now },
    );
    assert.equal(await gauge(registry, CIRCUIT, CRM_A), undefined, 'no series before a batch');
    const ok = lead('L0');
    await run([ok, record(ok)]);
    assert.equal(await gauge(registry, CIRCUIT, CRM_A), 0);
    failing = true;
    const a = lead('L1');
    await run([a, record(a)]);
    assert.equal(await gauge(registry, CIRCUIT, CRM_A), 0, 'one failure of two: still closed');
    const b = lead('L2');
    await run([b, record(b)]);
    assert.equal(await gauge(registry, CIRCUIT, CRM_A), 1);
    failing = false;
    await new Promise((r) => setTimeout(r, 5));
    now += 10;
    const c = lead('L3');
    assert.equal(outcomes(await run([c, record(c)]))[0]!.status, 'DELIVERED');
    assert.equal(await gauge(registry, CIRCUIT, CRM_A), 0);
  });

  it('lead_router_sink_request_phase_seconds: each request sent, its wait at the gate and for its answer', async () => {
    let now = NOW;
    // The first request waits 30 ms for its budget, the second none, the third is refused it.
    const grants = [30, 0, null];
    const gate: DestinationGate = {
      acquire: async () => {
        const wait = grants.shift();
        if (wait === null || wait === undefined) return { granted: false, retryInMs: 30_000 };
        now += wait;
        return { granted: true, release: async () => undefined };
      },
      park: async () => undefined,
      parkedUntil: async () => null,
    };
    // The destination takes 200 ms to answer each request.
    const adapter = new FakeAdapter(() => {
      now += 200;
      return { kind: 'delivered', crmId: null, created: null };
    }, 1);
    const { run, registry } = setup(adapter, undefined, {
      gate,
      maxInFlight: 1,
      now: () => now,
    });
    const leads = ['L1', 'L2', 'L3'].map((id) => lead(id));
    await run(...leads.map((l) => [l, record(l)] as [RoutedLead, RecordContext]));
    assert.equal(adapter.calls.length, 2);
    const PHASE = 'lead_router_sink_request_phase_seconds';
    const of = (suffix: string, phase: string) =>
      gauge(registry, `${PHASE}_${suffix}`, `${CRM_A},phase="${phase}"`);
    // Two requests sent; the one the budget held back waited at the gate but was never sent.
    assert.equal(await of('count', 'gate'), 2);
    assert.equal(await of('sum', 'gate'), 0.03);
    assert.equal(await of('count', 'answer'), 2);
    assert.equal(await of('sum', 'answer'), 0.4);
    const bucket = (le: string) =>
      gauge(registry, `${PHASE}_bucket`, `le="${le}",${CRM_A},phase="answer"`);
    assert.equal(await bucket('0.1'), 0);
    assert.equal(await bucket('0.25'), 2);
  });

  it('lead_router_sink_requests_in_flight counts the requests awaiting their answer when scraped, 0 once they are answered', async () => {
    const IN_FLIGHT = 'lead_router_sink_requests_in_flight';
    const adapter = new FakeAdapter(undefined, 1, 50);
    const { run, registry } = setup(adapter, {
      'crm-a': { type: 'crm' },
      'crm-b': { type: 'crm' },
    });
    assert.equal(await gauge(registry, IN_FLIGHT, CRM_A), undefined, 'no series before a request');
    const leads = ['L1', 'L2', 'L3'].map((id) => lead(id));
    const other = lead('L4', ['crm-b']);
    const delivering = run(...leads.map((l) => [l, record(l)] as [RoutedLead, RecordContext]), [
      other,
      record(other),
    ]);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(adapter.inFlight, 4, 'the fake holds every request');
    assert.equal(await gauge(registry, IN_FLIGHT, CRM_A), 3);
    assert.equal(await gauge(registry, IN_FLIGHT, 'sink="sink-crm",destination="crm-b"'), 1);
    await delivering;
    assert.equal(await gauge(registry, IN_FLIGHT, CRM_A), 0);
    assert.equal(await gauge(registry, IN_FLIGHT, 'sink="sink-crm",destination="crm-b"'), 0);
  });

  it('lead_router_sink_destination_parked_until_timestamp_seconds: 0 until parked, then the end of the quota parking', async () => {
    const until = NOW + 2 * 3_600_000;
    let quota = false;
    const adapter = new FakeAdapter(() =>
      quota
        ? { kind: 'wait_for_quota', reason: 'REQUEST_LIMIT_EXCEEDED', until }
        : { kind: 'delivered', crmId: null, created: null },
    );
    const { run, registry } = setup(adapter);
    const a = lead('L1');
    await run([a, record(a)]);
    assert.equal(await gauge(registry, PARKED, `${CRM_A},reason="quota"`), 0);
    assert.equal(await gauge(registry, PARKED, `${CRM_A},reason="stopped"`), 0);
    quota = true;
    const b = lead('L2');
    await run([b, record(b)]);
    assert.equal(await gauge(registry, PARKED, `${CRM_A},reason="quota"`), until / 1000);
    assert.equal(await gauge(registry, PARKED, `${CRM_A},reason="stopped"`), 0);
  });

  it('a stop parks with reason stopped until the longest tier', async () => {
    const adapter = new FakeAdapter(() => ({ kind: 'stop', alert: 'integration user frozen' }));
    const { run, registry } = setup(adapter);
    const l = lead('L1');
    await run([l, record(l)]);
    assert.equal(
      await gauge(registry, PARKED, `${CRM_A},reason="stopped"`),
      (NOW + 3_600_000) / 1000,
    );
    assert.equal(await gauge(registry, PARKED, `${CRM_A},reason="quota"`), 0);
  });
});

describe('SinkDeliverer: delivery attempts on leads.attempts', () => {
  it('writes one attempt per lead and try, before its outcome: the answer, the CRM id, the batch and its duration', async () => {
    let now = NOW;
    const adapter = new FakeAdapter((id) => {
      now += 35;
      return { kind: 'delivered', crmId: `crm-${id}`, created: true, httpStatus: 200 };
    });
    const { run } = setup(adapter, undefined, { now: () => now });
    const a = lead('L1');
    const b = lead('L2');
    const out = await run([a, record(a, {}, 2)], [b, record(b, {}, 1)]);
    assert.deepEqual(
      out.map((o) => [o.topic, o.key]),
      [
        [TOPICS.attempts, 'L1'],
        [TOPICS.delivered, 'L1'],
        [TOPICS.attempts, 'L2'],
        [TOPICS.delivered, 'L2'],
      ],
    );
    assert.deepEqual(attempts(out)[0], {
      lead_id: 'L1',
      source: 'web-form',
      destination_id: 'crm-a',
      destination_type: 'crm',
      attempt: 2,
      answer: 'DELIVERED',
      sent: true,
      http_status: 200,
      message: null,
      external_id: 'crm-L1',
      next: 'DONE',
      next_due_at: null,
      retry_topic: null,
      batch_size: 2,
      duration_ms: 70,
      at: NOW + 70,
    });
    assert.equal(attempts(out)[1]!.attempt, 1);
  });

  it('a retry: the destination’s status and message, when the lead is tried again and on which tier', async () => {
    const { run } = setup(
      new FakeAdapter(() => ({
        kind: 'retry',
        reason: 'HubSpot HTTP 503: upstream unavailable',
        httpStatus: 503,
      })),
      { 'crm-a': { type: 'crm', retry: { delays: ['1m', '10m'] } } },
    );
    const l = lead('L1');
    const out = await run([l, record(l)]);
    const [attempt] = attempts(out);
    assert.equal(attempt!.answer, 'RETRY');
    assert.equal(attempt!.http_status, 503);
    assert.equal(attempt!.message, 'HubSpot HTTP 503: upstream unavailable');
    assert.equal(attempt!.next, 'RETRY');
    assert.equal(attempt!.next_due_at, NOW + 60_000);
    assert.equal(attempt!.retry_topic, 't.retry.1m');
    assert.equal(
      onTopic(out, 't.retry.1m')[0]!.headers![DUE_AT_HEADER],
      String(attempt!.next_due_at),
    );
  });

  it('a thrown error is an attempt answered RETRY with the error and no status', async () => {
    const { run } = setup(new FakeAdapter(() => 'throw'));
    const l = lead('L1');
    const [attempt] = attempts(await run([l, record(l)]));
    assert.equal(attempt!.answer, 'RETRY');
    assert.equal(attempt!.http_status, null);
    assert.equal(attempt!.message, 'socket hang up');
  });

  it('a quota wait, then the hold of the next lead while the destination is parked, each waiting until the quota returns', async () => {
    const until = NOW + 2 * 3_600_000;
    const adapter = new FakeAdapter(() => ({
      kind: 'wait_for_quota',
      reason: 'HubSpot daily limit: the daily limit is reached',
      until,
      httpStatus: 429,
    }));
    const { run } = setup(adapter, undefined, {
      gate: new LimiterDestinationGate({ kind: 'memory' }, () => NOW),
    });
    const a = lead('L1');
    const [waited] = attempts(await run([a, record(a)]));
    assert.deepEqual(
      [waited!.answer, waited!.sent, waited!.http_status, waited!.next, waited!.next_due_at],
      ['WAIT_FOR_QUOTA', true, 429, 'RETRY', until],
    );
    assert.equal(waited!.retry_topic, 't.retry.1h');
    const b = lead('L2');
    const [held] = attempts(await run([b, record(b, {}, 3)]));
    assert.deepEqual(
      [held!.answer, held!.sent, held!.attempt, held!.next_due_at, held!.duration_ms],
      ['PARKED', false, 3, until, null],
    );
    assert.equal(held!.message, 'destination parked');
    assert.equal(adapter.calls.length, 1);
  });

  it('a spent request budget and an open circuit are holds too', async () => {
    const gate: DestinationGate = {
      acquire: async () => ({ granted: false, retryInMs: 30_000 }),
      park: async () => undefined,
      parkedUntil: async () => null,
    };
    const budget = setup(new FakeAdapter(), undefined, { gate });
    const a = lead('L1');
    const [spent] = attempts(await budget.run([a, record(a)]));
    assert.deepEqual(
      [spent!.answer, spent!.sent, spent!.message, spent!.next_due_at],
      ['BUDGET', false, 'request budget spent', NOW + 30_000],
    );

    const adapter = new FakeAdapter(() => ({ kind: 'retry', reason: 'HTTP 503' }), 1);
    const circuit = setup(
      adapter,
      { 'crm-a': { type: 'crm', breaker: { failures: 1, half_open_after: '1h' } } },
      { maxInFlight: 1 },
    );
    const b = lead('L2');
    const c = lead('L3');
    const out = await circuit.run([b, record(b)], [c, record(c)]);
    assert.deepEqual(
      attempts(out).map((x) => [x.lead_id, x.answer, x.sent]),
      [
        ['L2', 'RETRY', true],
        ['L3', 'CIRCUIT_OPEN', false],
      ],
    );
  });

  it('the last retry’s attempt says the lead goes to the fallback', async () => {
    const { run } = setup(new FakeAdapter(() => ({ kind: 'retry', reason: 'HTTP 500' })), {
      'crm-a': { type: 'crm', retry: { delays: ['10s'] }, fallback: 'inbox' },
      inbox: { type: 'webhook', url: 'https://hooks.example.com/in' },
    });
    const l = lead('L1');
    const out = await run([l, record(l, {}, 2)]);
    assert.deepEqual(
      attempts(out).map((a) => [a.answer, a.next, a.next_due_at]),
      [['RETRY', 'FALLBACK', null]],
    );
  });
});

describe('SinkDeliverer: the fallback’s owner', () => {
  it('hands the lead to the fallback as the router resolved it, with the owner the rule set gives there', async () => {
    const { run } = setup(new FakeAdapter(() => ({ kind: 'retry', reason: 'HTTP 500' })), {
      'crm-a': { type: 'crm', retry: { delays: ['10s'] }, fallback: 'hub' },
      hub: { type: 'hubspot' },
    });
    const routed = routedLeadFixture({
      lead: { lead_id: 'L1' },
      destinations: [
        destinationFixture({ id: 'crm-a', type: 'crm', url: null, owner_id: '005-KAI' }),
      ],
      fallbacks: {
        'crm-a': { id: 'hub', type: 'hubspot', url: null, owner_id: '75310001' },
      },
    });
    const out = await run([routed, record(routed, {}, 2)]);
    assert.deepEqual((onTopic(out, TOPICS.routed)[0]!.value as RoutedLead).destinations, [
      { id: 'hub', type: 'hubspot', url: null, owner_id: '75310001' },
    ]);
  });

  it('a lead routed before fallbacks were resolved gets an owner only from a fallback of the same type', async () => {
    const configs = {
      'crm-a': { type: 'crm', retry: { delays: ['10s'] }, fallback: 'crm-b' },
      'crm-b': { type: 'crm' },
    };
    const { run } = setup(new FakeAdapter(() => ({ kind: 'retry', reason: 'HTTP 500' })), configs);
    const l = lead('L1');
    const out = await run([l, record(l, {}, 2)]);
    assert.deepEqual((onTopic(out, TOPICS.routed)[0]!.value as RoutedLead).destinations, [
      { id: 'crm-b', type: 'crm', url: null, owner_id: '005A1' },
    ]);
  });
});
