import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type SalesforceSession, SalesforceSessionCache } from './salesforce.session-cache';

/** A grant that counts its calls and answers only when released, so callers overlap. */
function heldGrant() {
  let calls = 0;
  const pending: { resolve: (s: SalesforceSession) => void; reject: (e: Error) => void }[] = [];
  return {
    grant: () => {
      calls += 1;
      return new Promise<SalesforceSession>((resolve, reject) => pending.push({ resolve, reject }));
    },
    calls: () => calls,
    release(session: SalesforceSession) {
      for (const p of pending.splice(0)) p.resolve(session);
    },
    fail(error: Error) {
      for (const p of pending.splice(0)) p.reject(error);
    },
  };
}

const session = (n: number): SalesforceSession => ({
  accessToken: `token-${n}`,
  instanceUrl: 'https://example.my.salesforce.com',
});

describe('SalesforceSessionCache', () => {
  it('mints one session for many concurrent first callers', async () => {
    const grant = heldGrant();
    const sut = new SalesforceSessionCache(grant.grant);

    const callers = Array.from({ length: 50 }, () => sut.current());
    grant.release(session(1));
    const sessions = await Promise.all(callers);

    assert.equal(grant.calls(), 1);
    assert.ok(sessions.every((s) => s.accessToken === 'token-1'));
    assert.equal((await sut.current()).accessToken, 'token-1');
    assert.equal(grant.calls(), 1);
  });

  it('replaces an expired session once for every request that saw it expire', async () => {
    const grant = heldGrant();
    const sut = new SalesforceSessionCache(grant.grant);
    const first = sut.current();
    grant.release(session(1));
    const stale = await first;

    const refreshes = Array.from({ length: 40 }, () => sut.refresh(stale));
    grant.release(session(2));
    const fresh = await Promise.all(refreshes);

    assert.equal(grant.calls(), 2);
    assert.ok(fresh.every((s) => s.accessToken === 'token-2'));
  });

  it('gives a late caller holding the expired session the new one without another mint', async () => {
    const grant = heldGrant();
    const sut = new SalesforceSessionCache(grant.grant);
    const first = sut.current();
    grant.release(session(1));
    const stale = await first;
    const refreshing = sut.refresh(stale);
    grant.release(session(2));
    await refreshing;

    const late = await sut.refresh(stale);

    assert.equal(late.accessToken, 'token-2');
    assert.equal(grant.calls(), 2);
  });

  it('fails every waiting caller when the mint fails, and mints again on the next call', async () => {
    const grant = heldGrant();
    const sut = new SalesforceSessionCache(grant.grant);

    const callers = Array.from({ length: 10 }, () => sut.current());
    grant.fail(new Error('invalid_client'));
    const settled = await Promise.allSettled(callers);
    assert.ok(settled.every((s) => s.status === 'rejected'));
    assert.equal(grant.calls(), 1);

    const next = sut.current();
    grant.release(session(3));
    assert.equal((await next).accessToken, 'token-3');
    assert.equal(grant.calls(), 2);
  });
});
