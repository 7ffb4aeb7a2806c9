/**
 * Rule evaluation throughput (issue 5): a generated 200-rule set with segments, mixed operators
 * and regexes, 100,000 generated enriched leads, the set compiled once, then `route` timed on
 * one core with the full decision trace built and each queue's new state kept, as the router
 * does. Prints one JSON line and one line for people.
 *
 *   node_modules/.bin/tsc -b bench && node_modules/.bin/node bench/dist/rules-eval.bench.js
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import { compileRuleSet, parseRuleSet, route, type QueueState } from '@lead-router/routing';
import type { EnrichedLead } from '@lead-router/schemas';
import { enrichedLeadFixture, normalizedLeadFixture } from '@lead-router/testing';
import { seeded } from './lead.generator';

const RULES = 200;
const LEADS = Number(process.env['BENCH_LEADS'] ?? 100_000);

const EMEA = ['DE', 'FR', 'GB', 'ES', 'IT', 'NL', 'SE', 'CH', 'AT', 'BE', 'IE', 'PL'];
const AMERICAS = ['US', 'CA', 'MX', 'BR', 'AR'];
const APAC = ['JP', 'AU', 'SG', 'IN', 'KR'];
const COUNTRIES = [...EMEA, ...AMERICAS, ...APAC, 'ZA', 'AE', null];
const PRODUCTS = Array.from({ length: 12 }, (_, i) => `product-${i + 1}`);
const SOURCES = ['web-form', 'linkedin-ads', 'google-ads', 'partner-feed', 'webinar', 'g2'];
const UTM = ['google', 'linkedin', 'newsletter', 'partner', 'direct', 'capterra'];
const TITLES = [
  'Chief Technology Officer',
  'CTO',
  'VP Sales',
  'Head of Marketing',
  'Software Engineer',
  'Marketing Operations Manager',
  'Student',
  'Director of IT',
  null,
];
const FREE = ['gmail.com', 'yahoo.com', 'outlook.com'];

function pick<T>(next: () => number, list: readonly T[]): T {
  return list[Math.floor(next() * list.length)] as T;
}

function quote(list: readonly (string | null)[]): string {
  return `[${list.map((v) => (v === null ? 'null' : JSON.stringify(v))).join(', ')}]`;
}

export function generateRules(next: () => number): string {
  const lines: string[] = [
    'id: bench',
    'version: "bench.1"',
    'destinations:',
    '  crm: { type: salesforce }',
    '  hub: { type: hubspot }',
    'queues:',
  ];
  const methods = ['round_robin', 'weighted', 'load_balanced', 'account_owner'];
  const queues: string[] = [];
  for (let q = 0; q < 20; q++) {
    const name = `queue-${q}`;
    queues.push(name);
    lines.push(`  ${name}:`, `    method: ${methods[q % methods.length]}`);
    lines.push(`    when_unavailable: ${q === 0 ? '{ hold: true }' : '{ overflow: queue-0 }'}`);
    lines.push('    members:');
    const size = 3 + (q % 6);
    for (let m = 0; m < size; m++) {
      const id = `rep-${q}-${m}`;
      const extras = [`weight: ${1 + ((q + m) % 5)}`];
      if (q > 0 && m % 3 === 0) extras.push('capacity: { max: 60, window: 24h }');
      if (q > 0 && m % 4 === 1) {
        extras.push(
          'working_hours: { timezone: Europe/Berlin, days: [mon, tue, wed, thu, fri], start: "08:00", end: "18:00" }',
        );
      }
      if (m % 2 === 0) extras.push('skills: [german, french]');
      lines.push(
        `      - { id: ${id}, owners: { crm: "SF-${id}", hub: "HS-${id}" }, ${extras.join(', ')} }`,
      );
    }
  }
  lines.push(
    'segments:',
    `  emea: { path: lead.country, in: ${quote(EMEA)} }`,
    `  americas: { path: lead.country, in: ${quote(AMERICAS)} }`,
    `  apac: { path: lead.country, in: ${quote(APAC)} }`,
    '  business: { path: enrichment.free_mail, eq: false }',
    '  enterprise: { all: [ { segment: business }, { path: lead.attributes.employees, gte: 1000 } ] }',
    '  mid-market: { all: [ { segment: business }, { path: lead.attributes.employees, between: [100, 999] } ] }',
    '  senior: { path: lead.job_title, matches: "(?i)\\\\b(chief|c[etfimo]o|vp|vice president|head of|director)\\\\b" }',
    '  has-phone: { path: lead.phone, exists: true }',
    '  competitor: { any: [ { path: lead.email, ends_with: "@rival.example" }, { path: enrichment.company_domain, matches: "^(rival|competitor)[0-9]*\\\\.example$" } ] }',
    'rules:',
  );
  const regions = ['emea', 'americas', 'apac'];
  const tiers = ['enterprise', 'mid-market'];
  // Shaped like the rule sets RevOps write: a few triage rules first, specific rules by
  // region, tier and product in the middle, a catch-all per region last, then the fallback.
  const triage = [
    ['competitor', '{ segment: competitor }', 'queue-0'],
    ['free-mail', '{ path: enrichment.free_mail, eq: true }', 'queue-1'],
    ['students', '{ path: lead.job_title, matches: "(?i)student|intern" }', 'queue-1'],
    ['partners', '{ path: lead.source, eq: partner-feed }', 'queue-2'],
  ];
  for (const [name, when, queue] of triage) {
    lines.push(
      `  - name: ${name}`,
      `    when: ${when}`,
      `    queue: ${queue}`,
      '    destinations: [crm]',
    );
  }
  const catchAll = regions.map((region, i) => [
    `${region}-business`,
    `{ segment: ${region} }`,
    `queue-${3 + i}`,
  ]);
  for (let r = 0; r < RULES - triage.length - catchAll.length; r++) {
    const region = pick(next, regions);
    const tier = pick(next, tiers);
    const product = pick(next, PRODUCTS);
    const parts = [
      `{ segment: ${region} }`,
      `{ segment: ${tier} }`,
      `{ path: lead.attributes.product, eq: ${product} }`,
    ];
    switch (r % 8) {
      case 0:
        parts.push(
          `{ path: lead.attributes.utm_source, in: ${quote([pick(next, UTM), pick(next, UTM)])} }`,
        );
        break;
      case 1:
        parts.push('{ segment: senior }');
        break;
      case 2:
        parts.push(`{ not: { path: lead.source, in: ${quote([pick(next, SOURCES)])} } }`);
        break;
      case 3:
        parts.push(
          `{ path: lead.message, contains: ${pick(next, ['pricing', 'demo', 'trial', 'quote'])} }`,
        );
        break;
      case 4:
        parts.push(`{ path: lead.phone, starts_with: "+${pick(next, ['49', '33', '44', '1'])}" }`);
        break;
      case 5:
        parts.push(
          `{ any: [ { segment: has-phone }, { path: lead.attributes.score, gt: ${Math.floor(next() * 80)} } ] }`,
        );
        break;
      case 6:
        parts.push(`{ path: lead.website, matches: "(?i)\\\\.(io|ai|dev)$" }`);
        break;
      default:
        parts.push(
          '{ not: { segment: competitor } }',
          `{ path: lead.attributes.campaign, ne: "internal" }`,
        );
    }
    const queue = pick(next, queues);
    const skills = r % 10 === 0 && region === 'emea' ? '\n    skills: [german]' : '';
    lines.push(
      `  - name: rule-${r}`,
      `    when: { all: [ ${parts.join(', ')} ] }`,
      `    queue: ${queue}${skills}`,
      `    destinations: [${r % 3 === 0 ? 'crm, hub' : 'crm'}]`,
    );
  }
  for (const [name, when, queue] of catchAll) {
    lines.push(
      `  - name: ${name}`,
      `    when: ${when}`,
      `    queue: ${queue}`,
      '    destinations: [crm]',
    );
  }
  lines.push('fallback:', '  queue: queue-0', '  destinations: [crm]', '');
  return lines.join('\n');
}

export function generateLeads(next: () => number, count: number, start: number): EnrichedLead[] {
  const leads: EnrichedLead[] = [];
  for (let i = 0; i < count; i++) {
    const free = next() < 0.25;
    const company = `company${Math.floor(next() * 5_000)}`;
    const domain = free ? pick(next, FREE) : `${company}.${pick(next, ['com', 'de', 'io', 'ai'])}`;
    const country = pick(next, COUNTRIES);
    const received = start + i * 250;
    const attributes: Record<string, string> = {
      product: pick(next, PRODUCTS),
      utm_source: pick(next, UTM),
      employees: String(Math.floor(10 ** (1 + next() * 4))),
      score: String(Math.floor(next() * 100)),
      campaign: pick(next, ['q4-launch', 'internal', 'webinar-11', 'retargeting']),
    };
    if (next() < 0.2) attributes['account_owner'] = `SF-rep-${Math.floor(next() * 20)}-0`;
    leads.push({
      lead: {
        // the fixtures' fields first, so fields the schemas gain later get their defaults
        ...normalizedLeadFixture(),
        lead_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        source: pick(next, SOURCES),
        source_lead_id: null,
        channel: 'http',
        received_at: received,
        normalized_at: received + 5,
        email: `person${i}@${domain}`,
        phone:
          next() < 0.6
            ? `+${pick(next, ['49', '33', '44', '1', '81'])}${Math.floor(next() * 1e9)}`
            : null,
        phone_country: country,
        first_name: 'Ada',
        last_name: 'Lovelace',
        company: free ? null : company,
        website: free ? null : `https://${domain}`,
        country,
        job_title: pick(next, TITLES),
        message:
          next() < 0.5
            ? `Hello, we would like ${pick(next, ['pricing', 'a demo', 'a trial', 'a quote'])} for 40 seats.`
            : null,
        attributes,
        issues: [],
      },
      enrichment: {
        ...enrichedLeadFixture().enrichment,
        email_domain: domain,
        company_domain: free ? null : domain,
        free_mail: free,
        enriched_at: received + 10,
      },
    });
  }
  return leads;
}

function main(): void {
  const next = seeded(20261125);
  const yamlText = generateRules(next);
  const parsed = parseRuleSet(yamlText);
  if (!parsed.ok) assert.fail(`generated rule set is invalid: ${JSON.stringify(parsed.error)}`);
  const compiled = compileRuleSet(parsed.value);
  // A Monday, 07:00 UTC onwards: members' working hours open and close during the run.
  const leads = generateLeads(next, LEADS, Date.parse('2026-11-30T07:00:00Z'));

  const states = new Map<string, QueueState>();
  const run = (batch: readonly EnrichedLead[]) => {
    let conditions = 0;
    let evaluated = 0;
    let fallbacks = 0;
    let held = 0;
    for (const lead of batch) {
      const result = route(compiled, lead, states, lead.lead.received_at);
      evaluated += result.decision.evaluated.length;
      for (const e of result.decision.evaluated) conditions += e.conditions.length;
      if (result.decision.fallback) fallbacks++;
      if (result.kind === 'routed') {
        for (const update of result.stateUpdates) states.set(update.queue, update.state);
      } else held++;
    }
    return { conditions, evaluated, fallbacks, held };
  };
  run(leads.slice(0, Math.min(10_000, leads.length))); // warm-up: let V8 optimize the closures
  states.clear();

  const started = process.hrtime.bigint();
  const { conditions, evaluated, fallbacks, held } = run(leads);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const perSecond = Math.round(leads.length / seconds);
  const result = {
    bench: 'rules-eval',
    rules: compiled.rules.length,
    rulesEvaluatedPerLead: Number((evaluated / leads.length).toFixed(1)),
    leads: leads.length,
    seconds: Number(seconds.toFixed(3)),
    leadsPerSecond: perSecond,
    conditionsPerLead: Number((conditions / leads.length).toFixed(1)),
    fallbackShare: Number((fallbacks / leads.length).toFixed(3)),
    held,
    node: process.version,
    cpus: os.cpus().length,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.stdout.write(
    `routed ${leads.length} leads through ${compiled.rules.length} rules in ${seconds.toFixed(2)} s: ` +
      `${perSecond.toLocaleString('en-US')} leads/s on one core, decision trace built ` +
      `(${result.rulesEvaluatedPerLead} rules and ${result.conditionsPerLead} conditions traced per lead, ${(result.fallbackShare * 100).toFixed(1)}% to the fallback)\n`,
  );
}

if (require.main === module) main();
