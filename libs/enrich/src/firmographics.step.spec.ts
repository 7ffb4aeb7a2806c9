import assert from 'node:assert/strict';
import { setTimeout as wait } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { Firmographics } from '@lead-router/schemas';
import { enrichedLeadFixture } from '@lead-router/testing';
import {
  type FirmographicsProvider,
  FirmographicsUnavailableError,
} from './firmographics.provider';
import { FirmographicsStep, type FirmographicsStepOptions } from './firmographics.step';

const company: Firmographics = {
  provider: 'scripted',
  company_name: 'Analytical Engines',
  employees: 1200,
  company_size: '1001-5000',
  industry: 'Software',
  annual_revenue: 250_000_000,
};

/** A provider that answers as told: a company, unknown, slow, or failing; it counts calls. */
class ScriptedProvider implements FirmographicsProvider {
  readonly name = 'scripted';
  calls = 0;
  aborted = 0;
  mode: 'ok' | 'unknown' | 'down' | { slowMs: number } = 'ok';

  async lookup(_domain: string, signal: AbortSignal): Promise<Firmographics | null> {
    this.calls++;
    const mode = this.mode;
    if (mode === 'down') throw new FirmographicsUnavailableError('answered 503', 503);
    if (typeof mode === 'object') {
      try {
        await wait(mode.slowMs, undefined, { signal });
      } catch (error) {
        this.aborted++;
        throw error;
      }
    }
    return mode === 'unknown' ? null : company;
  }
}

const options: FirmographicsStepOptions = {
  timeoutMs: 100,
  cacheSize: 100,
  cacheTtlMs: 60_000,
  breakerFailures: 3,
  breakerHalfOpenAfterMs: 300,
};

const leadAt = (domain: string | null) =>
  enrichedLeadFixture({ enrichment: { company_domain: domain } });

async function timed<T>(work: () => T | Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe('FirmographicsStep', () => {
  it('puts the company on the lead and remembers it: a second lead of the domain costs no call', async () => {
    const provider = new ScriptedProvider();
    const sut = new FirmographicsStep(provider, options);
    assert.deepEqual(await sut.run(leadAt('analytical-engines.com')), {
      status: 'ok',
      patch: { firmographics: company },
    });
    const again = sut.run(leadAt('analytical-engines.com'));
    assert.ok(!(again instanceof Promise), 'a cached answer is synchronous');
    assert.deepEqual(again, { status: 'ok', patch: { firmographics: company } });
    assert.equal(provider.calls, 1);
  });

  it('asks once for leads of one domain that arrive together', async () => {
    const provider = new ScriptedProvider();
    provider.mode = { slowMs: 20 };
    const sut = new FirmographicsStep(provider, options);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => sut.run(leadAt('analytical-engines.com'))),
    );
    assert.deepEqual(new Set(results.map((r) => r.status)), new Set(['ok']));
    assert.equal(provider.calls, 1);
  });

  it('remembers an unknown domain too, as no_match', async () => {
    const provider = new ScriptedProvider();
    provider.mode = 'unknown';
    const sut = new FirmographicsStep(provider, options);
    assert.deepEqual(await sut.run(leadAt('nobody.test')), { status: 'no_match' });
    assert.deepEqual(await sut.run(leadAt('nobody.test')), { status: 'no_match' });
    assert.equal(provider.calls, 1);
  });

  it('is skipped without a company domain, without a call', async () => {
    const provider = new ScriptedProvider();
    const sut = new FirmographicsStep(provider, options);
    assert.deepEqual(sut.run(leadAt(null)), { status: 'skipped' });
    assert.equal(provider.calls, 0);
  });

  it('gives a slow provider its timeout and no more, and aborts the call', async () => {
    const provider = new ScriptedProvider();
    provider.mode = { slowMs: 2_000 };
    const sut = new FirmographicsStep(provider, options);
    const { value, ms } = await timed(() => sut.run(leadAt('analytical-engines.com')));
    assert.deepEqual(value, { status: 'timeout' });
    // The slack is the event loop's, on a loaded machine; the provider alone would take 2 s.
    assert.ok(ms >= 95 && ms < 250, `took ${ms.toFixed(0)} ms for a 100 ms timeout`);
    assert.equal(provider.aborted, 1);
  });

  it('opens the circuit after failures in a row: later leads skip the provider at once', async () => {
    const provider = new ScriptedProvider();
    provider.mode = 'down';
    const sut = new FirmographicsStep(provider, options);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await sut.run(leadAt(`d${i}.test`)), { status: 'unavailable' });
    }
    assert.equal(sut.circuitState, 'open');
    const later = sut.run(leadAt('d9.test'));
    assert.ok(!(later instanceof Promise), 'an open circuit answers without waiting');
    assert.deepEqual(later, { status: 'circuit_open' });
    assert.equal(provider.calls, 3, 'no call while open');
  });

  it('counts timeouts as failures, and closes again once a trial call succeeds', async () => {
    const provider = new ScriptedProvider();
    provider.mode = { slowMs: 1_000 };
    const sut = new FirmographicsStep(provider, options);
    for (let i = 0; i < 3; i++) await sut.run(leadAt(`t${i}.test`));
    assert.deepEqual(await sut.run(leadAt('t9.test')), { status: 'circuit_open' });
    provider.mode = 'ok';
    await wait(options.breakerHalfOpenAfterMs + 20);
    assert.deepEqual(await sut.run(leadAt('back.test')), {
      status: 'ok',
      patch: { firmographics: company },
    });
    assert.equal(sut.circuitState, 'closed');
  });

  it('does not remember a failure: the domain is asked again once the provider is back', async () => {
    const provider = new ScriptedProvider();
    provider.mode = 'down';
    const sut = new FirmographicsStep(provider, options);
    assert.deepEqual(await sut.run(leadAt('analytical-engines.com')), { status: 'unavailable' });
    provider.mode = 'ok';
    assert.equal((await sut.run(leadAt('analytical-engines.com'))).status, 'ok');
    assert.equal(provider.calls, 2);
  });
});
