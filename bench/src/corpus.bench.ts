/**
 * Normalize + enrich per core on the corpus (issue 11, point 5): the CPU time of `normalize()`
 * and of the enrichment steps that run in the enricher's process without waiting (mail flags,
 * IP geolocation over geoip-lite, firmographics answered from a warm cache, a five-rule score),
 * per lead, on one core, over the hand-written corpus (libs/normalize/corpus/leads.jsonl) read
 * again and again. No Kafka, no Avro, no stage runner: the pipeline bench measures those.
 * A warm-up round, then ROUNDS rounds of every part; each round's µs per lead is its CPU time
 * (user + system) over its leads. Prints a progress line per round, one JSON line and a table.
 *
 *   npm run bench:corpus   (BENCH_ROUNDS, BENCH_LEADS: leads per round, default 60,000)
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import {
  FirmographicsStep,
  type FirmographicsProvider,
  IpGeoStep,
  LeadEnricher,
  MailFlagsStep,
  ScoreStep,
  loadGeoIpLocator,
} from '@lead-router/enrich';
import { normalize } from '@lead-router/normalize';
import { CORPUS_NOW, corpusRawLead, readLeadCorpus } from '@lead-router/testing';
import type { EnrichedLead, Firmographics, NormalizedLead, RawLead } from '@lead-router/schemas';
import { BENCH_SCORE_RULES } from './bench.score-rules';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 7);
const LEADS = Number(process.env['BENCH_LEADS'] ?? 60_000);
const NOW = CORPUS_NOW;

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

const inputs = readLeadCorpus().map((c) => c.input);

/** The corpus's inputs, repeated up to `count` leads. */
function corpusLeads(count: number): RawLead[] {
  return Array.from({ length: count }, (_, i) =>
    corpusRawLead(
      inputs[i % inputs.length]!,
      `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    ),
  );
}

/**
 * A provider that knows every company domain of the corpus: it only fills the step's cache
 * before the timed rounds, in which every lead is a cache hit, as most are in a steady stream.
 */
const warmingProvider: FirmographicsProvider = {
  name: 'warm-up',
  lookup: (domain) =>
    Promise.resolve<Firmographics>({
      provider: 'warm-up',
      company_name: domain,
      employees: 100 + (domain.length % 7) * 400,
      company_size: null,
      industry: null,
      annual_revenue: null,
    }),
};

interface Part {
  name: string;
  leads: number;
  run: () => void;
}

interface Figures {
  part: string;
  leads_per_round: number;
  us_per_lead_median: number;
  us_per_lead_min: number;
  us_per_lead_max: number;
  leads_per_s_per_core: number;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** CPU µs per lead of one pass of `part`. */
function timed(part: Part): number {
  const before = process.cpuUsage();
  part.run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / part.leads;
}

function enrichAll(enricher: LeadEnricher, leads: readonly NormalizedLead[]): void {
  for (const lead of leads) {
    const out = enricher.enrich(lead, NOW);
    assert.ok(!(out instanceof Promise), `${lead.lead_id} waited: a step is not warm`);
  }
}

async function main(): Promise<void> {
  const raw = corpusLeads(LEADS);
  const normalized: NormalizedLead[] = [];
  for (const lead of raw) {
    const result = normalize(lead, NOW);
    if (result.ok) normalized.push(result.value);
  }
  // The same leads as a web form sends them: every one with a client IP (the corpus's own
  // addresses, public and private, in turn), where the corpus leaves most without one.
  const ips = [...new Set(raw.map((l) => l.client_ip).filter((ip) => ip !== null))];
  const withIp = normalized.map((lead, i) => ({ ...lead, client_ip: ips[i % ips.length]! }));

  const locate = await loadGeoIpLocator();
  const firmographics = new FirmographicsStep(warmingProvider, {
    timeoutMs: 300,
    cacheSize: 10_000,
    cacheTtlMs: 3_600_000,
    breakerFailures: 5,
    breakerHalfOpenAfterMs: 30_000,
  });
  const enricher = new LeadEnricher([
    new MailFlagsStep(),
    new IpGeoStep(locate),
    firmographics,
    new ScoreStep(BENCH_SCORE_RULES),
  ]);
  // Fill the firmographics cache: every company domain once, answered by the warming provider.
  const warming = new LeadEnricher([firmographics]);
  for (const lead of normalized.slice(0, 1_000)) await warming.enrich(lead, NOW);

  const parts: Part[] = [
    {
      name: 'normalize',
      leads: raw.length,
      run: () => {
        for (const lead of raw) normalize(lead, NOW);
      },
    },
    {
      name: 'enrich, corpus as is',
      leads: normalized.length,
      run: () => enrichAll(enricher, normalized),
    },
    {
      name: 'enrich, every lead with a client IP',
      leads: withIp.length,
      run: () => enrichAll(enricher, withIp),
    },
    ...(
      [
        ['mail_flags', new MailFlagsStep()],
        ['ip_geo (every lead with a client IP)', new IpGeoStep(locate)],
        ['firmographics (cache hit)', firmographics],
        ['score (5 rules)', new ScoreStep(BENCH_SCORE_RULES)],
      ] as const
    ).map(([name, step]) => ({
      name: `  step: ${name}`,
      leads: withIp.length,
      run: () => enrichAll(new LeadEnricher([step]), withIp),
    })),
  ];
  const sample = enricher.enrich(withIp[0]!, NOW) as EnrichedLead;
  assert.equal(sample.enrichment.enrichment_status['firmographics'], 'ok');

  const samples = new Map<string, number[]>(parts.map((p) => [p.name, []]));
  const started = Date.now();
  for (let round = 0; round <= ROUNDS; round++) {
    const line: string[] = [];
    for (const part of parts) {
      const us = timed(part);
      if (round > 0) samples.get(part.name)!.push(us);
      line.push(`${part.name.trim()} ${round2(us)}`);
    }
    const label = round === 0 ? 'warm-up' : `round ${round}/${ROUNDS}`;
    process.stderr.write(
      `[corpus bench] ${label}, ${Math.round((Date.now() - started) / 1000)} s: µs/lead ${line.join(' | ')}\n`,
    );
  }

  const figures: Figures[] = parts.map((part) => {
    const values = samples.get(part.name)!;
    const mid = median(values);
    return {
      part: part.name.trim(),
      leads_per_round: part.leads,
      us_per_lead_median: round2(mid),
      us_per_lead_min: round2(Math.min(...values)),
      us_per_lead_max: round2(Math.max(...values)),
      leads_per_s_per_core: Math.round(1e6 / mid),
    };
  });
  const byName = (name: string) => figures.find((f) => f.part === name)!.us_per_lead_median;
  const both = byName('normalize') + byName('enrich, every lead with a client IP');
  const load = os.loadavg().map((l) => l.toFixed(2));
  print(
    JSON.stringify({
      bench: 'corpus',
      rounds: ROUNDS,
      corpus_cases: inputs.length,
      normalized_share: round2(normalized.length / raw.length),
      figures,
      normalize_plus_enrich_us_per_lead: round2(both),
      normalize_plus_enrich_leads_per_s_per_core: Math.round(1e6 / both),
      node: process.version,
      cpu: os.cpus()[0]?.model,
      loadavg: load,
    }),
  );
  print('');
  print(
    `${raw.length} leads per round (${normalized.length} normalized, the rest to the DLQ), ${ROUNDS} rounds after a warm-up, load average ${load.join(' / ')}`,
  );
  print('| part | µs CPU per lead, median | min – max | leads/s per core |');
  print('| --- | --- | --- | --- |');
  for (const f of figures) {
    print(
      `| ${f.part} | ${f.us_per_lead_median} | ${f.us_per_lead_min} – ${f.us_per_lead_max} | ${f.leads_per_s_per_core.toLocaleString('en-US')} |`,
    );
  }
  print(
    `| normalize + enrich (every lead with an IP) | ${round2(both)} | | ${Math.round(1e6 / both).toLocaleString('en-US')} |`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
