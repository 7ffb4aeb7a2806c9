import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { normalize } from '@lead-router/normalize';
import type { RawLead } from '@lead-router/schemas';
import { CORPUS_NOW, corpusRawLead, readLeadCorpus } from '@lead-router/testing';
import { IpGeoStep, loadGeoIpLocator } from './ip-geo.step';
import { LeadEnricher } from './lead.enricher';
import { MailFlagsStep } from './mail-flags.step';

// The corpus lives beside the normalizer, which may not import this library; the normalized
// fields (`expect`) are checked by the normalizer's own corpus spec, the enrichment here.
const NOW = CORPUS_NOW;
const corpus = readLeadCorpus();
const rawLead = (input: Partial<RawLead>): RawLead => corpusRawLead(input);

describe('normalize then the local enrichment steps on the corpus (mail flags, IP geo)', () => {
  // The steps that need no network, in the enricher's order; firmographics, account matching,
  // duplicates and the score depend on configuration and state, not on the lead alone.
  let sut: LeadEnricher;
  before(async () => {
    sut = new LeadEnricher([new MailFlagsStep(), new IpGeoStep(await loadGeoIpLocator())]);
  });

  it('names the expected enrichment of every lead that is not rejected', () => {
    const missing = corpus.filter((c) => c.expect.rejected === undefined && !c.enriched);
    assert.deepEqual(
      missing.map((c) => c.id),
      [],
    );
    assert.ok(corpus.filter((c) => c.input.client_ip != null).length >= 30, 'client IP cases');
  });

  for (const c of corpus.filter((c) => c.enriched !== undefined)) {
    it(c.note === undefined ? c.id : `${c.id}: ${c.note}`, () => {
      const normalized = normalize(rawLead(c.input), NOW);
      assert.ok(normalized.ok, `rejected: ${JSON.stringify(!normalized.ok && normalized.error)}`);
      const enriched = sut.enrich(normalized.value, NOW);
      assert.ok(!(enriched instanceof Promise), 'a local step waited');
      const expected = c.enriched as Record<string, unknown>;
      const actual = enriched.enrichment as unknown as Record<string, unknown>;
      assert.deepEqual(
        Object.fromEntries(Object.keys(expected).map((field) => [field, actual[field]])),
        expected,
      );
    });
  }
});
