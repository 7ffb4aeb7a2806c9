import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Enrichment, NormalizedLead, RawLead } from '@lead-router/schemas';

/** The hand-written corpus of messy leads (libs/normalize/corpus, its README gives the format). */
export const LEAD_CORPUS_FILE = join(__dirname, '..', '..', 'normalize', 'corpus', 'leads.jsonl');

/** The clock the corpus's expectations are written for (a lead's `received_at` is 1 s before). */
export const CORPUS_NOW = Date.UTC(2026, 11, 1, 12, 0, 0);

/**
 * One line of the corpus: what a source sent and, written by hand, what the normalized lead must
 * hold (`expect`; `rejected` lists the issue codes of a lead that goes to the DLQ) and what the
 * local enrichment steps must give (`enriched`).
 */
export interface LeadCorpusCase {
  id: string;
  note?: string;
  input: Partial<RawLead>;
  expect: Partial<NormalizedLead> & { rejected?: string[] };
  enriched?: Partial<Enrichment>;
  /** Another case for the same person: both must give the same email and phone. */
  duplicate_of?: string;
}

export function readLeadCorpus(file = LEAD_CORPUS_FILE): LeadCorpusCase[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LeadCorpusCase);
}

/** A raw lead holding only what a corpus case gives: every other field empty. */
export function corpusRawLead(
  { attributes, ...fields }: Partial<RawLead>,
  leadId = '00000000-0000-4000-8000-000000000000',
): RawLead {
  return {
    lead_id: leadId,
    source: 'corpus',
    source_lead_id: null,
    channel: 'kafka',
    received_at: CORPUS_NOW - 1_000,
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
