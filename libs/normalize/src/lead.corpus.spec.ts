import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { NormalizedLead, RawLead } from '@lead-router/schemas';
import { normalize } from './lead.normalizer';

/**
 * One line of corpus/leads.jsonl: what a source sent and, written by hand, what the normalized
 * lead must hold. `quality_flags` is always checked (an empty list when not given); other fields
 * only when named. `rejected` lists the issue codes of a lead that goes to the DLQ.
 */
interface CorpusCase {
  id: string;
  note?: string;
  input: Partial<RawLead>;
  expect: Partial<NormalizedLead> & { rejected?: string[] };
  /** Another case for the same person: both must give the same email and phone. */
  duplicate_of?: string;
}

const CORPUS_FILE = join(__dirname, '..', 'corpus', 'leads.jsonl');
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
