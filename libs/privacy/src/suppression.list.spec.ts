import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ErasureRequest } from '@lead-router/schemas';
import { erasureRequestFor } from './erasure.request';
import { SuppressionList } from './suppression.list';

const requestedAt = Date.UTC(2026, 11, 1, 12);
const person = (leadId: string | null, email: string | null, receivedAtMs: number | null) => ({
  leadId,
  email,
  receivedAtMs,
});

describe('SuppressionList', () => {
  it('suppresses a forgotten lead id whenever the lead was received', () => {
    const sut = new SuppressionList();
    sut.add(erasureRequestFor({ leadId: 'lead-1', now: requestedAt }));
    assert.equal(sut.suppresses(person('lead-1', null, requestedAt + 3_600_000)), true);
    assert.equal(sut.suppresses(person('lead-2', null, null)), false);
    assert.equal(sut.has('lead-1'), true);
    assert.equal(sut.size, 1);
  });

  it('suppresses an email for leads received up to the request, raw or normalized', () => {
    const sut = new SuppressionList();
    sut.add(erasureRequestFor({ email: 'ada@analytical-engines.com', now: requestedAt }));
    for (const email of ['ada@analytical-engines.com', ' Ada <ada@ANALYTICAL-engines.com>']) {
      assert.equal(sut.suppresses(person('a', email, requestedAt - 1)), true, email);
      assert.equal(sut.suppresses(person('b', email, requestedAt)), true, email);
      assert.equal(sut.suppresses(person('c', email, null)), true, 'receive time unknown');
    }
    assert.equal(sut.suppresses(person('d', 'ada@analytical-engines.com', requestedAt + 1)), false);
    assert.equal(sut.suppresses(person('e', 'grace@analytical-engines.com', 0)), false);
    assert.equal(sut.suppresses(person('f', 'not an email', 0)), false);
    assert.equal(sut.suppresses(null), false);
  });

  it('keeps the latest request time of an email asked for twice', () => {
    const sut = new SuppressionList();
    sut.add(erasureRequestFor({ email: 'ada@x.io', now: requestedAt + 10 }));
    sut.add(erasureRequestFor({ email: 'ada@x.io', now: requestedAt }));
    assert.equal(sut.suppresses(person(null, 'ada@x.io', requestedAt + 5)), true);
    assert.equal(sut.size, 1);
  });

  it('takes the same request read again as nothing new', async () => {
    const sut = new SuppressionList();
    const request = erasureRequestFor({ leadId: 'lead-1', now: 1 });
    const seen: string[] = [];
    sut.onRequest((r) => {
      seen.push(r.subject_key);
    });
    sut.add(request);
    sut.add({ ...request });
    sut.add({ ...request, requested_at: 2 });
    await sut.settled();
    assert.deepEqual(seen, ['lead:lead-1', 'lead:lead-1']);
    assert.equal(sut.list()[0]!.requested_at, 2);
  });

  it('hands listeners the requests known before they listened and every one after, in order', async () => {
    const sut = new SuppressionList();
    const first = erasureRequestFor({ leadId: 'lead-1', now: 1 });
    const second = erasureRequestFor({ leadId: 'lead-2', now: 2 });
    const seen: ErasureRequest[] = [];
    sut.add(first);
    sut.onRequest(async (r) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen.push(r);
    });
    sut.onRequest(() => {
      throw new Error('a failing listener does not stop the others');
    });
    sut.add(second);
    await sut.settled();
    assert.deepEqual(seen, [first, second]);
  });
});
