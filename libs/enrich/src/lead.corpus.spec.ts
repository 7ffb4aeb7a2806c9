import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { normalize } from '@lead-router/normalize';
import type { Enrichment, RawLead } from '@lead-router/schemas';
import { IpGeoStep, loadGeoIpLocator } from './ip-geo.step';
import { LeadEnricher } from './lead.enricher';
import { MailFlagsStep } from './mail-flags.step';

/**
 * A line of libs/normalize/corpus/leads.jsonl as this spec reads it: the input and, written by
 * hand, the enrichment the local steps must give. The normalized fields (`expect`) are checked by
 * the normalizer's own corpus spec; the corpus stays beside the normalizer, which may not import
 * this library.
 */
interface CorpusCase {
  id: string;
  note?: string;
  input: Partial<RawLead>;
  expect: { rejected?: string[] };
  enriched?: Partial<Enrichment>;
}

const CORPUS_FILE = join(__dirname, '..', '..', 'normalize', 'corpus', 'leads.jsonl');
const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);

const corpus: CorpusCase[] = readFileSync(CORPUS_FILE, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as CorpusCase);

function rawLead({ attributes, ...fields }: Partial<RawLead>): RawLead {
  return {
    lead_id: '00000000-0000-4000-8000-000000000000',
    source: 'corpus',
    source_lead_id: null,
    channel: 'kafka',
    received_at: NOW - 1_000,
    email: null,
    phone: null,
    first_name: null,
    last_name: null,
    company: null,
    website: null,
    country: null,
    job_title: null,
    message: null,
    attributes: { ...attributes },
    client_ip: null,
    ...fields,
  };
}

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
