import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeFirmographics, type FakeFirmographics } from '@lead-router/crm-fakes';
import {
  FirmographicsStep,
  type FirmographicsStepOptions,
  HttpFirmographicsProvider,
  LeadEnricher,
} from '@lead-router/enrich';
import { normalizedLeadFixture } from '@lead-router/testing';

const API_KEY = 'sk_int_firmographics';
/**
 * A timeout a loaded CI machine's first connection stays well inside: a lookup that runs out of
 * it comes back `timeout` and the test that wanted the company fails for the machine, not the
 * code. The test of the timeout itself uses `SHORT_TIMEOUT_MS`.
 */
const options: FirmographicsStepOptions = {
  timeoutMs: 2_000,
  cacheSize: 1_000,
  cacheTtlMs: 60_000,
  breakerFailures: 3,
  breakerHalfOpenAfterMs: 60_000,
};

const SHORT_TIMEOUT_MS = 150;

/** The enricher with only the firmographics step, asking the fake over HTTP. */
function enricherFor(
  fake: FakeFirmographics,
  apiKey = API_KEY,
  timeoutMs = options.timeoutMs,
): LeadEnricher {
  const provider = new HttpFirmographicsProvider({ baseUrl: fake.url, apiKey });
  return new LeadEnricher([new FirmographicsStep(provider, { ...options, timeoutMs })]);
}

const leadAt = (domain: string) =>
  normalizedLeadFixture({ email: `ada@${domain}`, company_domain: domain });

async function timed<T>(work: () => T | Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe('firmographics over HTTP against the fake provider', () => {
  let fake: FakeFirmographics;
  before(async () => {
    fake = await startFakeFirmographics({ apiKeys: [API_KEY] });
  });
  after(() => fake.close());

  it('puts the company on the lead with the bands rules use, and asks once per domain', async () => {
    await fake.control.heal();
    const sut = enricherFor(fake);
    const before = fake.lookups().length;
    const first = await sut.enrich(leadAt('analytical-engines.com'), 1);
    const second = await sut.enrich(leadAt('analytical-engines.com'), 2);
    assert.deepEqual(first.enrichment.firmographics, {
      provider: 'http',
      company_name: 'Analytical Engines',
      employees: 1200,
      company_size: '1001-5000',
      industry: 'Software',
      annual_revenue: 250_000_000,
    });
    assert.deepEqual(second.enrichment.firmographics, first.enrichment.firmographics);
    assert.equal(fake.lookups().length - before, 1, 'the second lead came from the cache');
  });

  it('marks an unknown domain no_match, and a refused key unavailable', async () => {
    await fake.control.heal();
    const unknown = await enricherFor(fake).enrich(leadAt('nobody.test'), 1);
    assert.equal(unknown.enrichment.enrichment_status['firmographics'], 'no_match');
    const refused = await enricherFor(fake, 'sk_wrong').enrich(leadAt('example-works.test'), 1);
    assert.equal(refused.enrichment.enrichment_status['firmographics'], 'unavailable');
  });

  it('costs a lead at most the timeout when the provider is slow', async () => {
    await fake.control.heal();
    fake.control.slow(3_000);
    try {
      const { value, ms } = await timed(() =>
        enricherFor(fake, API_KEY, SHORT_TIMEOUT_MS).enrich(leadAt('example-works.test'), 1),
      );
      assert.equal(value.enrichment.enrichment_status['firmographics'], 'timeout');
      assert.equal(value.enrichment.firmographics, null);
      // The rest is the event loop's on a loaded machine, not the provider's 3 s.
      assert.ok(ms < SHORT_TIMEOUT_MS + 250, `took ${ms.toFixed(0)} ms`);
    } finally {
      await fake.control.heal();
    }
  });

  it('opens the circuit on a provider failing with 5xx: later leads skip it without a call', async () => {
    await fake.control.heal();
    fake.control.failNext(1_000, 503);
    try {
      const sut = enricherFor(fake);
      const statuses: string[] = [];
      for (let i = 0; i < 10; i++) {
        const lead = await sut.enrich(leadAt(`failing-${i}.test`), i);
        statuses.push(lead.enrichment.enrichment_status['firmographics'] ?? '-');
      }
      assert.deepEqual(statuses, [
        ...Array<string>(3).fill('unavailable'),
        ...Array<string>(7).fill('circuit_open'),
      ]);
      assert.equal(
        fake.lookups().filter((d) => d.startsWith('failing-')).length,
        3,
        'only the calls before the circuit opened reached the provider',
      );
    } finally {
      await fake.control.heal();
    }
  });

  it('opens the circuit on a provider that is down, and a skipped lead answers at once', async () => {
    await fake.control.outage(true, 'refused');
    try {
      const sut = enricherFor(fake);
      for (let i = 0; i < 3; i++) {
        const lead = await sut.enrich(leadAt(`down-${i}.test`), i);
        assert.equal(lead.enrichment.enrichment_status['firmographics'], 'unavailable');
      }
      const later = sut.enrich(leadAt('down-9.test'), 9);
      assert.ok(!(later instanceof Promise), 'no wait, not even a promise');
      assert.equal(later.enrichment.enrichment_status['firmographics'], 'circuit_open');
    } finally {
      await fake.control.heal();
    }
  });
});
