import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NormalizedLead, RawLead } from '@lead-router/schemas';
import {
  CORPUS_NOW,
  corpusRawLead,
  readLeadCorpus,
  type LeadCorpusCase,
} from '@lead-router/testing';
import { normalize } from './lead.normalizer';

type CorpusCase = LeadCorpusCase;
const NOW = CORPUS_NOW;
const corpus = readLeadCorpus();
const rawLead = (input: Partial<RawLead>): RawLead => corpusRawLead(input);

function normalized(c: CorpusCase): NormalizedLead {
  const result = normalize(rawLead(c.input), NOW);
  assert.ok(result.ok, `${c.id} rejected: ${JSON.stringify(!result.ok && result.error)}`);
  return result.value;
}

describe('normalize on the corpus (corpus/leads.jsonl)', () => {
  const sut = normalize;

  it('holds at least 300 cases, each with its own id', () => {
    assert.ok(corpus.length >= 300, `${corpus.length} cases`);
    assert.equal(new Set(corpus.map((c) => c.id)).size, corpus.length);
  });

  for (const c of corpus) {
    it(c.note === undefined ? c.id : `${c.id}: ${c.note}`, () => {
      const { rejected, quality_flags = [], ...fields } = c.expect;
      const result = sut(rawLead(c.input), NOW);
      if (rejected !== undefined) {
        assert.equal(result.ok, false, 'went on instead of to the DLQ');
        assert.deepEqual(!result.ok && result.error.map((issue) => issue.code), rejected);
        return;
      }
      assert.ok(result.ok, `rejected: ${JSON.stringify(!result.ok && result.error)}`);
      const lead = result.value as unknown as Record<string, unknown>;
      const actual: Record<string, unknown> = { quality_flags: lead['quality_flags'] };
      for (const field of Object.keys(fields)) {
        assert.ok(
          Object.hasOwn(lead, field),
          `the corpus names a field NormalizedLead lacks: ${field}`,
        );
        actual[field] = lead[field];
      }
      assert.deepEqual(actual, { ...fields, quality_flags });
    });
  }

  for (const c of corpus.filter((c) => c.duplicate_of !== undefined)) {
    it(`${c.id} normalizes to the same contact as ${c.duplicate_of}`, () => {
      const first = corpus.find((other) => other.id === c.duplicate_of);
      assert.ok(first, `no case ${c.duplicate_of}`);
      const [a, b] = [normalized(first), normalized(c)];
      assert.deepEqual({ email: b.email, phone: b.phone }, { email: a.email, phone: a.phone });
    });
  }
});
