import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { LeadVerdict } from '@lead-router/delivery';
import type { RecordContext } from '@lead-router/kafka';
import { createLogger } from '@lead-router/observability';
import {
  LimiterDestinationGate,
  SinkDeliverer,
  createSinkMetrics,
  type BudgetAnswer,
  type CommonDestinationConfig,
  type DeliveryTask,
  type DestinationGate,
  type SinkAdapter,
} from '@lead-router/sink-runtime';
import { destinationFixture, routedLeadFixture } from '@lead-router/testing';
import Redis from 'ioredis';
import { Registry } from 'prom-client';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A CRM that answers at once and notes when each request arrived, whoever sent it. */
class TimestampingAdapter implements SinkAdapter {
  readonly type = 'hubspot';
  constructor(private readonly arrivals: number[]) {}
  maxBatchSize(): number {
    return 1;
  }
  async send(tasks: readonly DeliveryTask[]): Promise<LeadVerdict[]> {
    this.arrivals.push(performance.timeOrigin + performance.now());
    return tasks.map((t) => ({
      leadId: t.lead.lead.lead_id,
      verdict: { kind: 'delivered', crmId: null, created: null },
    }));
  }
}

/** A gate that counts how often the shared budget said "not yet" to its instance. */
class RefusalCountingGate implements DestinationGate {
  refusals = 0;
  constructor(private readonly gate: DestinationGate) {}
  async acquire(...args: Parameters<DestinationGate['acquire']>): Promise<BudgetAnswer> {
    const answer = await this.gate.acquire(...args);
    if (!answer.granted) this.refusals++;
    return answer;
  }
  park(destination: string, until: number): Promise<void> {
    return this.gate.park(destination, until);
  }
  parkedUntil(destination: string): Promise<number | null> {
    return this.gate.parkedUntil(destination);
  }
}

/** The most arrivals inside any rolling window of `ms` (each arrival opening one). */
function busiestWindow(arrivals: number[], ms: number): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let worst = 0;
  let first = 0;
  for (let i = 0; i < sorted.length; i++) {
    while (sorted[first]! <= sorted[i]! - ms) first++;
    worst = Math.max(worst, i - first + 1);
  }
  return worst;
}

describe('sink budget across instances (Redis)', () => {
  const clients: Redis[] = [];
  before(() => {
    for (let i = 0; i < 3; i++) clients.push(new Redis(REDIS_URL, { lazyConnect: false }));
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.quit()));
  });

  it('three instances sending as fast as they can never exceed the budget in any rolling window', async () => {
    const keyPrefix = `lr-int-budget-${randomBytes(6).toString('hex')}`;
    const budget = { requests: 10, per_seconds: 2 };
    const config: CommonDestinationConfig = { type: 'hubspot', budget };
    const arrivals: number[] = [];
    const runFor = 7_000;
    const deadline = Date.now() + runFor;

    // Three independent instances: each its own Redis connection, gate, limiters and breakers.
    const gates = clients.map(
      (client) =>
        new RefusalCountingGate(new LimiterDestinationGate({ kind: 'redis', client, keyPrefix })),
    );
    const instances = gates.map(
      (gate, i) =>
        new SinkDeliverer({
          sink: `sink-hubspot-${i}`,
          adapter: new TimestampingAdapter(arrivals),
          resolveConfig: () => config,
          gate,
          metrics: createSinkMetrics(new Registry()),
          logger: createLogger('int', 'silent'),
          topics: {
            routed: 'leads.routed',
            delivered: 'leads.delivered',
            attempts: 'leads.attempts',
            dlq: 'leads.dlq',
            tiers: [{ topic: 'sink-hubspot.retry.10s', delayMs: 10_000 }],
          },
          maxInFlight: 4,
          budgetWaitMs: 5_000,
          requestTimeoutMs: 5_000,
        }),
    );
    let n = 0;
    let asked = 0;
    const sendAll = async (sut: SinkDeliverer<CommonDestinationConfig>) => {
      let held = 0;
      while (Date.now() < deadline) {
        const lead = routedLeadFixture({
          lead: { lead_id: `L${n++}` },
          destinations: [destinationFixture({ id: 'hs-portal', type: 'hubspot', url: null })],
        });
        const record: RecordContext = {
          topic: 'leads.routed',
          partition: 0,
          offset: String(n),
          key: null,
          value: null,
          headers: {},
          attempts: 1,
        };
        const found = await Promise.all(Array.from({ length: 4 }, () => sut.tasksOf(lead, record)));
        const tasks = found.flatMap((f) => f.tasks);
        asked += tasks.length;
        const outputs = await sut.deliver(tasks);
        held += outputs.filter((o) => o.topic.includes('.retry.')).length;
      }
      return held;
    };
    const held = await Promise.all(instances.map(sendAll));

    const worst = busiestWindow(arrivals, budget.per_seconds * 1000);
    assert.ok(worst <= budget.requests, `${worst} requests in one rolling 2 s window`);
    // Every task was either sent or, having waited longer than budgetWaitMs, held for a retry tier.
    const toTier = held.reduce((a, b) => a + b, 0);
    assert.equal(arrivals.length + toTier, asked, 'every task sent or held for a retry tier');
    // They did push: twelve tasks at once against 3 per 1 s window (the budget as sliced), so the
    // shared budget kept saying "not yet", and still the instances used it: at least 15 requests
    // in 7 s, where the sliced budget allows about 24.
    const refusals = gates.reduce((sum, g) => sum + g.refusals, 0);
    assert.ok(refusals > 0, 'the budget never held an instance back');
    assert.ok(arrivals.length >= 15, `only ${arrivals.length} requests in ${runFor} ms`);
    const keys = await clients[0]!.keys(`${keyPrefix}*`);
    assert.ok(keys.length > 0, 'the budget lives in Redis');
  });

  it('takes the requests of one turn from the budget in one command per limiter', async () => {
    const keyPrefix = `lr-int-turn-${randomBytes(6).toString('hex')}`;
    const client = clients[0]!;
    const sent: string[] = [];
    const counting = new Proxy(client, {
      get(target, name, receiver) {
        if (name !== 'sendCommand') return Reflect.get(target, name, receiver) as unknown;
        return (command: { name: string }, ...rest: unknown[]) => {
          sent.push(command.name);
          return (target.sendCommand as (...a: unknown[]) => unknown).call(
            target,
            command,
            ...rest,
          );
        };
      },
    });
    const gate = new LimiterDestinationGate({ kind: 'redis', client: counting, keyPrefix });
    // a second per window and a daily cap, and at most 5 at once
    const limits = {
      windows: [
        { points: 1_000, seconds: 1 },
        { points: 100_000, seconds: 86_400 },
      ],
      concurrency: 5,
    };
    const answers = await Promise.all(Array.from({ length: 40 }, () => gate.acquire('hs', limits)));
    assert.equal(answers.filter((a) => a.granted).length, 5, 'the free slots, no more');
    // One consume per window, one for the slots and one reward of the 35 points the slots refused
    // (each a script call: EVALSHA, or EVAL the first time the script is not cached yet).
    assert.ok(sent.length <= 4, `${sent.length} commands for 40 requests: ${sent.join(' ')}`);
    const slots = await client.keys(`${keyPrefix}:c5*`);
    assert.equal(slots.length, 1);
    assert.equal(await client.get(slots[0]!), '5', 'five slots held, the refused points returned');
  });

  it('a parked destination is parked for every instance', async () => {
    const keyPrefix = `lr-int-park-${randomBytes(6).toString('hex')}`;
    const [a, b] = clients.map(
      (client) => new LimiterDestinationGate({ kind: 'redis', client, keyPrefix }),
    );
    const until = Date.now() + 60_000;
    await a!.park('hs-portal', until);
    assert.equal(await b!.parkedUntil('hs-portal'), until);
    assert.equal(await b!.parkedUntil('other'), null);
  });
});
