import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { limiterWindow } from './budget.slicing';
import { type BudgetAnswer, LimiterDestinationGate } from './destination.gate';
import type { BudgetLimits } from './destination.policy';

const grantedOf = (answers: BudgetAnswer[]) => answers.filter((a) => a.granted).length;
const turn = () => new Promise((resolve) => setImmediate(resolve));
/** `n` requests made in one turn. */
const acquireAll = (gate: LimiterDestinationGate, to: string, limits: BudgetLimits, n: number) =>
  Promise.all(Array.from({ length: n }, () => gate.acquire(to, limits)));

/** A budget of 100 requests in 10 s, and how many of them one of its sliced windows holds. */
function tenSecondBudget() {
  const window = { points: 100, seconds: 10 };
  const limits: BudgetLimits = { windows: [window], concurrency: null };
  return { window, limits, holds: limiterWindow(window).points };
}

describe('LimiterDestinationGate (memory)', () => {
  it('grants the requests of one turn in the order asked, as many as the window holds', async () => {
    const { window, limits, holds } = tenSecondBudget();
    const gate = new LimiterDestinationGate({ kind: 'memory' });
    const answers = await acquireAll(gate, 'hub', limits, holds + 7);
    assert.deepEqual(
      answers.map((a) => a.granted),
      Array.from({ length: holds + 7 }, (_, i) => i < holds),
    );
    for (const refused of answers.filter((a) => !a.granted)) {
      assert.ok(refused.retryInMs > 0 && refused.retryInMs <= limiterWindow(window).seconds * 1000);
    }
    // The window is spent for later turns too, and another destination's is not.
    assert.equal((await gate.acquire('hub', limits)).granted, false);
    assert.equal((await gate.acquire('other', limits)).granted, true);
  });

  it('counts what earlier turns took: the window is shared across turns', async () => {
    const { limits, holds } = tenSecondBudget();
    const gate = new LimiterDestinationGate({ kind: 'memory' });
    const first = await acquireAll(gate, 'hub', limits, holds - 2);
    await turn();
    const second = await acquireAll(gate, 'hub', limits, 5);
    assert.equal(grantedOf(first), holds - 2);
    assert.equal(grantedOf(second), 2);
  });

  it('grants no more than the free concurrency slots, and a release frees one', async () => {
    const limits: BudgetLimits = { windows: [{ points: 1000, seconds: 1 }], concurrency: 3 };
    const gate = new LimiterDestinationGate({ kind: 'memory' });
    const first = await acquireAll(gate, 'sf', limits, 5);
    assert.equal(grantedOf(first), 3);
    const refused = first.find((a) => !a.granted);
    assert.ok(refused && !refused.granted && refused.retryInMs > 0);
    assert.equal(grantedOf(await acquireAll(gate, 'sf', limits, 1)), 0);
    const held = first.find((a) => a.granted);
    if (!held?.granted) throw new Error('a slot was granted');
    await held.release();
    const next = await acquireAll(gate, 'sf', limits, 3);
    assert.equal(grantedOf(next), 1, 'exactly the released slot: refused points were given back');
  });

  it('keeps requests under different budgets of one destination apart', async () => {
    const { limits: tight, holds } = tenSecondBudget();
    const loose: BudgetLimits = { windows: [{ points: 100_000, seconds: 1 }], concurrency: null };
    const gate = new LimiterDestinationGate({ kind: 'memory' });
    const [a, b] = await Promise.all([
      acquireAll(gate, 'hub', tight, holds + 3),
      acquireAll(gate, 'hub', loose, holds + 3),
    ]);
    assert.equal(grantedOf(a), holds);
    assert.equal(grantedOf(b), holds + 3);
  });

  it('answers a parked destination until the parking ends', async () => {
    let now = 1_000_000;
    const gate = new LimiterDestinationGate({ kind: 'memory' }, () => now);
    await gate.park('hub', now + 5_000);
    const [a, b] = await Promise.all([gate.parkedUntil('hub'), gate.parkedUntil('hub')]);
    assert.equal(a, now + 5_000);
    assert.equal(b, now + 5_000);
    assert.equal(await gate.parkedUntil('other'), null);
    now += 5_001;
    assert.equal(await gate.parkedUntil('hub'), null);
  });
});
