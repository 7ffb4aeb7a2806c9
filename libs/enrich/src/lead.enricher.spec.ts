import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EnrichedLead } from '@lead-router/schemas';
import { normalizedLeadFixture } from '@lead-router/testing';
import type { EnrichmentStep, StepResult } from './enrichment.step';
import { LeadEnricher, enrich } from './lead.enricher';

describe('enrich', () => {
  const sut = enrich;

  it("takes the normalizer's registrable company domain when there is one", () => {
    const { enrichment } = sut(
      normalizedLeadFixture({
        email: 'ada@eu.analytical-engines.com',
        company_domain: 'analytical-engines.com',
      }),
      3_000,
    );
    assert.equal(enrichment.email_domain, 'eu.analytical-engines.com');
    assert.equal(enrichment.company_domain, 'analytical-engines.com');
  });

  it('otherwise takes the company domain from a business email', () => {
    const input = normalizedLeadFixture({
      email: 'ada@analytical-engines.com',
      website: 'https://www.other.io',
      company_domain: null,
    });
    assert.deepEqual(sut(input, 3_000), {
      lead: input,
      enrichment: {
        email_domain: 'analytical-engines.com',
        company_domain: 'analytical-engines.com',
        free_mail: false,
        enriched_at: 3_000,
        disposable: false,
        role_address: false,
        ip_country: null,
        ip_region: null,
        firmographics: null,
        score: 0,
        score_points: [],
        enrichment_status: {},
        account: null,
        duplicate_of: null,
        duplicate_by: null,
        duplicate_owner: null,
      },
    });
  });

  it('takes the company domain from the website when the email is free mail', () => {
    const { enrichment } = sut(
      normalizedLeadFixture({
        email: 'ada@gmail.com',
        website: 'https://www.analytical-engines.com/x',
        company_domain: null,
      }),
      3_000,
    );
    assert.equal(enrichment.free_mail, true);
    assert.equal(enrichment.company_domain, 'analytical-engines.com');
  });

  it('leaves the domains null for a phone-only lead without a website', () => {
    const { enrichment } = sut(
      normalizedLeadFixture({ email: null, website: null, company_domain: null }),
      3_000,
    );
    assert.equal(enrichment.email_domain, null);
    assert.equal(enrichment.company_domain, null);
    assert.equal(enrichment.free_mail, false);
  });
});

/** A step that answers `result` now, or after `delayMs`, or throws. */
function step(
  name: string,
  result: StepResult | 'throw',
  options: { delayMs?: number; timeoutMs?: number; seen?: EnrichedLead[] } = {},
): EnrichmentStep {
  return {
    name,
    timeoutMs: options.timeoutMs,
    run(lead) {
      options.seen?.push(structuredClone(lead));
      if (result === 'throw') throw new Error(`${name} broke`);
      if (options.delayMs === undefined) return result;
      return new Promise((resolve) => setTimeout(resolve, options.delayMs, result));
    },
  };
}

describe('LeadEnricher', () => {
  it('runs the steps in order, each seeing what the ones before learned, and records their status', async () => {
    const seen: EnrichedLead[] = [];
    const sut = new LeadEnricher(
      [
        step('first', { status: 'ok', patch: { ip_country: 'DE' } }),
        step('second', { status: 'no_match' }, { seen }),
        step('third', { status: 'ok', patch: { score: 7 } }, { delayMs: 5, timeoutMs: 1_000 }),
      ],
      ['off'],
    );
    const out = await sut.enrich(normalizedLeadFixture(), 3_000);
    assert.equal(seen[0]?.enrichment.ip_country, 'DE');
    assert.equal(out.enrichment.ip_country, 'DE');
    assert.equal(out.enrichment.score, 7);
    assert.deepEqual(out.enrichment.enrichment_status, {
      off: 'disabled',
      first: 'ok',
      second: 'no_match',
      third: 'ok',
    });
  });

  it('answers without a promise when every step is synchronous', () => {
    const sut = new LeadEnricher([step('sync', { status: 'ok' })]);
    assert.ok(!(sut.enrich(normalizedLeadFixture(), 3_000) instanceof Promise));
  });

  // The slow step never answers: the lead comes out only if its timeout gave up on it (the
  // test's own timeout fails it if the enricher waited), with no clock read in the assertions.
  it(
    "drops a step's late answer at its timeout and goes on with the next steps",
    { timeout: 10_000 },
    async () => {
      const sut = new LeadEnricher([
        {
          name: 'slow',
          timeoutMs: 50,
          run: () => new Promise<StepResult>(() => undefined),
        },
        step('after', { status: 'ok' }),
      ]);
      const out = await sut.enrich(normalizedLeadFixture(), 3_000);
      assert.equal(out.enrichment.ip_country, null);
      assert.deepEqual(out.enrichment.enrichment_status, { slow: 'timeout', after: 'ok' });
    },
  );

  it('leaves the lead it gave out as it is when a step it gave up on answers later', async () => {
    let answered = false;
    const sut = new LeadEnricher([
      {
        name: 'late',
        timeoutMs: 20,
        run: () =>
          new Promise<StepResult>((resolve) =>
            setTimeout(() => {
              answered = true;
              resolve({ status: 'ok', patch: { ip_country: 'US' } });
            }, 100),
          ),
      },
    ]);
    const out = await sut.enrich(normalizedLeadFixture(), 3_000);
    while (!answered) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(out.enrichment.ip_country, null);
    assert.deepEqual(out.enrichment.enrichment_status, { late: 'timeout' });
  });

  it('marks a step that throws as failed and still enriches the lead', async () => {
    const sut = new LeadEnricher([step('broken', 'throw'), step('after', { status: 'ok' })]);
    const out = await sut.enrich(normalizedLeadFixture(), 3_000);
    assert.deepEqual(out.enrichment.enrichment_status, { broken: 'failed', after: 'ok' });
  });
});
