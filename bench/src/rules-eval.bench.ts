/**
 * Rule evaluation throughput (issues 5 and 15): a generated 200-rule set whose specific rules are
 * drawn one by one (their conditions, order, fields, operators, values and regex patterns), so
 * they share few prefixes and leaves and the per-lead memo cannot collapse them; 100,000
 * generated enriched leads; the set compiled once. Each of three runs times `route` together with
 * the RoutedLead built and Avro-encoded, as the router does per lead (the decision trace built,
 * each queue's new state kept), then `route` alone. From the decision traces it reports what the
 * evaluator did per lead: rules evaluated, conditions traced, distinct leaf evaluations (a
 * memoized leaf's trace entry is one shared object) and regexes run. Prints one JSON line, a
 * line and a table for people.
 *
 *   node_modules/.bin/tsc -b bench && node_modules/.bin/node bench/dist/rules-eval.bench.js
 *
 * With SCHEMA_REGISTRY_URL set the encode is AvroCodec.encode on a registered topic, else avsc.
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import { AvroCodec } from '@lead-router/kafka';
import {
  compileRuleSet,
  parseRuleSet,
  route,
  type Condition,
  type QueueState,
} from '@lead-router/routing';
import {
  allSchemas,
  type ConditionTrace,
  type EnrichedLead,
  type RoutedLead,
  type RoutingDecision,
} from '@lead-router/schemas';
import { Type } from 'avsc';
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

const COUNTRY_CODES = [...EMEA, ...AMERICAS, ...APAC, 'ZA', 'AE'];
const CAMPAIGNS = ['q4-launch', 'internal', 'webinar-11', 'retargeting'];
const MESSAGE_WORDS = ['pricing', 'demo', 'trial', 'quote', 'seats', 'like'];
const TITLE_WORDS = [
  'chief',
  'c[etfimo]o',
  'vp',
  'vice president',
  'head',
  'director',
  'manager',
  'engineer',
  'officer',
  'technology',
  'sales',
  'marketing',
  'operations',
  'it',
];

function int(next: () => number, below: number): number {
  return Math.floor(next() * below);
}

/** `count` different items of `list`, in a random order. */
function sample<T>(next: () => number, list: readonly T[], count: number): T[] {
  const pool = [...list];
  const out: T[] = [];
  while (out.length < count && pool.length > 0)
    out.push(pool.splice(int(next, pool.length), 1)[0] as T);
  return out;
}

/** A regex as a YAML scalar (JSON's escapes are YAML's double-quoted ones). */
function pattern(regex: string): string {
  return JSON.stringify(regex);
}

/**
 * Leaves over every field a rule set looks at, each with its own operator and operand drawn, and
 * regexes built per rule (different alternatives, anchors, digits and repeats) that match a part
 * of the generated leads, so their programs really run.
 */
const LEAVES: ((next: () => number) => string)[] = [
  (next) => `{ segment: ${pick(next, ['emea', 'americas', 'apac'])} }`,
  (next) =>
    `{ segment: ${pick(next, ['enterprise', 'mid-market', 'business', 'senior', 'has-phone'])} }`,
  (next) =>
    `{ path: lead.country, ${pick(next, ['in', 'not_in'])}: ${quote(sample(next, COUNTRY_CODES, 1 + int(next, 6)))} }`,
  (next) => `{ path: lead.country, ${pick(next, ['eq', 'ne'])}: ${pick(next, COUNTRY_CODES)} }`,
  (next) =>
    next() < 0.5
      ? `{ path: lead.attributes.product, eq: ${pick(next, PRODUCTS)} }`
      : `{ path: lead.attributes.product, in: ${quote(sample(next, PRODUCTS, 2 + int(next, 4)))} }`,
  (next) =>
    `{ path: lead.attributes.utm_source, ${pick(next, ['in', 'not_in'])}: ${quote(sample(next, UTM, 1 + int(next, 3)))} }`,
  (next) =>
    `{ path: lead.attributes.employees, ${pick(next, ['gt', 'gte', 'lt', 'lte'])}: ${pick(next, [50, 100, 200, 500, 1000, 2000, 5000])} }`,
  (next) => {
    const low = 10 * (1 + int(next, 100));
    return `{ path: lead.attributes.employees, between: [${low}, ${low * (2 + int(next, 20))}] }`;
  },
  (next) => `{ path: lead.attributes.score, ${pick(next, ['gt', 'lte'])}: ${int(next, 100)} }`,
  (next) =>
    `{ path: lead.attributes.campaign, ${pick(next, ['eq', 'ne'])}: ${pick(next, CAMPAIGNS)} }`,
  (next) =>
    `{ path: lead.source, ${pick(next, ['in', 'not_in'])}: ${quote(sample(next, SOURCES, 1 + int(next, 3)))} }`,
  (next) => `{ path: lead.message, contains: ${pick(next, MESSAGE_WORDS)} }`,
  (next) => `{ path: lead.phone, starts_with: "+${pick(next, ['49', '33', '44', '1', '81'])}" }`,
  (next) => `{ path: lead.email, ends_with: "${pick(next, ['.io', '.de', '.com', '.ai'])}" }`,
  (next) => `{ path: enrichment.free_mail, eq: ${next() < 0.8 ? 'false' : 'true'} }`,
  (next) =>
    `{ path: lead.${pick(next, ['phone', 'website', 'message', 'job_title', 'attributes.account_owner'])}, ${pick(next, ['exists', 'missing'])}: true }`,
  (next) => {
    const words = sample(next, TITLE_WORDS, 1 + int(next, 3)).join('|');
    const anchored = next() < 0.3 ? '^' : '\\b';
    return `{ path: lead.job_title, matches: ${pattern(`(?i)${anchored}(${words})\\b`)} }`;
  },
  (next) =>
    `{ path: lead.email, matches: ${pattern(`@company[0-9]*${int(next, 10)}\\.(${sample(next, ['com', 'de', 'io', 'ai'], 1 + int(next, 3)).join('|')})$`)} }`,
  (next) =>
    `{ path: lead.email, matches: ${pattern(`^person[0-9]*[${int(next, 5)}-${5 + int(next, 5)}]@`)} }`,
  (next) =>
    `{ path: lead.message, matches: ${pattern(`(?i)\\b(${sample(next, ['pricing', 'a demo', 'a trial', 'a quote'], 1 + int(next, 2)).join('|')})\\b.*[0-9]{${1 + int(next, 2)}} seats`)} }`,
  (next) =>
    `{ path: lead.website, matches: ${pattern(`^https://company[0-9]{${1 + int(next, 4)}}\\.(${sample(next, ['com', 'de', 'io', 'ai'], 1 + int(next, 2)).join('|')})$`)} }`,
  (next) =>
    `{ path: lead.phone, matches: ${pattern(`^\\+(${sample(next, ['49', '33', '44', '1', '81'], 1 + int(next, 2)).join('|')})[0-9]*${int(next, 10)}$`)} }`,
  (next) =>
    `{ path: enrichment.company_domain, matches: ${pattern(`^company${1 + int(next, 9)}[0-9]{0,${int(next, 4)}}\\.`)} }`,
];

function variedLeaf(next: () => number): string {
  const leaf = (): string => pick(next, LEAVES)(next);
  const roll = next();
  if (roll < 0.1) return `{ any: [ ${leaf()}, ${leaf()} ] }`;
  if (roll < 0.17) return `{ not: ${leaf()} }`;
  return leaf();
}

/**
 * One condition that few leads meet (a product, a country or two, an email's digits), as a real
 * specific rule has, so a lead goes past most rules rather than stopping at the first few.
 */
const SELECTIVE: ((next: () => number) => string)[] = [
  (next) => `{ path: lead.attributes.product, eq: ${pick(next, PRODUCTS)} }`,
  (next) => `{ path: lead.country, in: ${quote(sample(next, COUNTRY_CODES, 1 + int(next, 2)))} }`,
  (next) =>
    `{ path: lead.email, matches: ${pattern(`^person[0-9]*${int(next, 10)}${int(next, 10)}@`)} }`,
];

/**
 * 3 to 5 conditions under `all`, each drawn on its own and one of them selective, in a random
 * place: about one lead in a hundred matches a rule.
 */
export function variedCondition(next: () => number): string {
  const parts = Array.from({ length: 2 + int(next, 3) }, () => variedLeaf(next));
  parts.splice(int(next, parts.length + 1), 0, pick(next, SELECTIVE)(next));
  return `{ all: [ ${parts.join(', ')} ] }`;
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
  // Shaped like the rule sets RevOps write: a few triage rules first, specific rules in the
  // middle, a catch-all per region last, then the fallback. The specific rules are drawn one by
  // one (conditions, their order, fields, operators, values and regex patterns), so they share
  // few prefixes and leaves and the per-lead memo has real work to do.
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
    const queue = pick(next, queues);
    const skills = next() < 0.1 ? '\n    skills: [german]' : '';
    lines.push(
      `  - name: rule-${r}`,
      `    when: ${variedCondition(next)}`,
      `    queue: ${queue}${skills}`,
      `    destinations: [${next() < 0.3 ? 'crm, hub' : 'crm'}]`,
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

/** What one lead's decision trace shows the evaluator did. */
interface TraceCounts {
  rules: number;
  /** leaves in the traces, counted in every rule that shows them: the work without a memo */
  traced: number;
  /** distinct leaves the evaluator tested (a memoized leaf's trace entry is one shared object) */
  distinct: number;
  /** of those, `matches` leaves, and how many of them matched */
  regexes: number;
  regexHits: number;
}

function traceCounts(decision: RoutingDecision): TraceCounts {
  const seen = new Set<ConditionTrace>();
  let traced = 0;
  for (const e of decision.evaluated) {
    traced += e.conditions.length;
    for (const c of e.conditions) seen.add(c);
  }
  let regexes = 0;
  let regexHits = 0;
  for (const c of seen) {
    if (c.op !== 'matches') continue;
    regexes++;
    if (c.result) regexHits++;
  }
  return { rules: decision.evaluated.length, traced, distinct: seen.size, regexes, regexHits };
}

/** What the router writes to leads.routed for a routed lead, Avro-encoded. */
interface Encoder {
  how: string;
  encode(routed: RoutedLead): Buffer;
}

/**
 * The registry's codec, as the router encodes (AvroCodec.encode on a registered topic), when
 * SCHEMA_REGISTRY_URL names a registry; else avsc's type with the check AvroCodec runs first.
 */
async function routedEncoder(): Promise<Encoder> {
  const url = process.env['SCHEMA_REGISTRY_URL'];
  if (url !== undefined && url !== '') {
    const topic = `bench-rules-eval-${process.pid}.leads.routed`;
    const codec = AvroCodec.connect(url);
    await codec.registerTopic(topic, 'RoutedLead');
    return { how: 'AvroCodec.encode', encode: (routed) => codec.encode(topic, routed) };
  }
  const type = Type.forSchema(allSchemas.RoutedLead as never);
  return {
    how: 'avsc isValid + toBuffer',
    encode: (routed) => {
      if (!type.isValid(routed)) throw new Error('a RoutedLead the schema refuses');
      return type.toBuffer(routed);
    },
  };
}

interface RunFigures {
  run: number;
  /** route, the RoutedLead built and encoded: the router's per-lead work bar Kafka */
  routeEncodeLeadsPerSec: number;
  routeEncodeUsPerLead: number;
  routeOnlyUsPerLead: number;
  /** CPU time of this process (user + system) over the same loops, per lead */
  routeEncodeCpuUsPerLead: number;
  routeOnlyCpuUsPerLead: number;
  encodedBytesPerLead: number;
}

async function main(): Promise<void> {
  const next = seeded(20261125);
  const yamlText = generateRules(next);
  const parsed = parseRuleSet(yamlText);
  if (!parsed.ok) assert.fail(`generated rule set is invalid: ${JSON.stringify(parsed.error)}`);
  const compiled = compileRuleSet(parsed.value);
  // A Monday, 07:00 UTC onwards: members' working hours open and close during the run.
  const leads = generateLeads(next, LEADS, Date.parse('2026-11-30T07:00:00Z'));
  const encoder = await routedEncoder();

  const states = new Map<string, QueueState>();
  const routeAll = (batch: readonly EnrichedLead[], encode: boolean) => {
    let bytes = 0;
    let held = 0;
    for (const lead of batch) {
      const result = route(compiled, lead, states, lead.lead.received_at);
      if (result.kind === 'routed') {
        for (const update of result.stateUpdates) states.set(update.queue, update.state);
        if (encode) {
          const routed: RoutedLead = {
            lead: lead.lead,
            enrichment: lead.enrichment,
            decision: result.decision,
            destinations: result.destinations,
            fallbacks: result.fallbacks,
          };
          bytes += encoder.encode(routed).length;
        }
      } else held++;
    }
    return { bytes, held };
  };

  // What the evaluator does per lead, from the decision traces (not timed).
  const totals: TraceCounts = { rules: 0, traced: 0, distinct: 0, regexes: 0, regexHits: 0 };
  let fallbacks = 0;
  for (const lead of leads) {
    const { decision } = route(compiled, lead, states, lead.lead.received_at);
    const counts = traceCounts(decision);
    for (const key of Object.keys(totals) as (keyof TraceCounts)[]) totals[key] += counts[key];
    if (decision.fallback) fallbacks++;
  }
  const perLead = (n: number) => Number((n / leads.length).toFixed(1));

  routeAll(leads.slice(0, Math.min(10_000, leads.length)), true); // warm-up: let V8 optimize
  const runs: RunFigures[] = [];
  let held = 0;
  for (let run = 1; run <= 3; run++) {
    states.clear();
    let cpu = process.cpuUsage();
    let started = process.hrtime.bigint();
    const both = routeAll(leads, true);
    const routeEncodeSecs = Number(process.hrtime.bigint() - started) / 1e9;
    const routeEncodeCpu = process.cpuUsage(cpu);
    states.clear();
    cpu = process.cpuUsage();
    started = process.hrtime.bigint();
    routeAll(leads, false);
    const routeSecs = Number(process.hrtime.bigint() - started) / 1e9;
    const routeCpu = process.cpuUsage(cpu);
    held = both.held;
    const perLeadUs = (us: number) => Number((us / leads.length).toFixed(2));
    runs.push({
      run,
      routeEncodeLeadsPerSec: Math.round(leads.length / routeEncodeSecs),
      routeEncodeUsPerLead: perLeadUs(routeEncodeSecs * 1e6),
      routeOnlyUsPerLead: perLeadUs(routeSecs * 1e6),
      routeEncodeCpuUsPerLead: perLeadUs(routeEncodeCpu.user + routeEncodeCpu.system),
      routeOnlyCpuUsPerLead: perLeadUs(routeCpu.user + routeCpu.system),
      encodedBytesPerLead: Math.round(both.bytes / (leads.length - both.held)),
    });
  }
  // How many different rules route leads: a set that sends everything to a few rules measures little.
  const matchedBy = new Map<string, number>();
  const sampled = leads.slice(0, 20_000);
  for (const lead of sampled) {
    const rule = route(compiled, lead, new Map(), lead.lead.received_at).decision.matched_rule;
    matchedBy.set(rule, (matchedBy.get(rule) ?? 0) + 1);
  }
  const leafCount = countLeaves(parsed.value.rules.map((r) => r.when));
  const result = {
    bench: 'rules-eval',
    rules: compiled.rules.length,
    leafConditionsInRules: leafCount,
    leads: leads.length,
    encoder: encoder.how,
    rulesEvaluatedPerLead: perLead(totals.rules),
    conditionsTracedPerLead: perLead(totals.traced),
    distinctLeafEvaluationsPerLead: perLead(totals.distinct),
    regexEvaluationsPerLead: perLead(totals.regexes),
    regexMatchShare: Number((totals.regexHits / Math.max(1, totals.regexes)).toFixed(3)),
    fallbackShare: Number((fallbacks / leads.length).toFixed(3)),
    distinctRulesMatched: matchedBy.size,
    held,
    runs,
    node: process.version,
    cpus: os.cpus().length,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.stdout.write(
    `${leads.length} leads through ${compiled.rules.length} varied rules (${leafCount} leaf conditions): ` +
      `${result.rulesEvaluatedPerLead} rules and ${result.conditionsTracedPerLead} conditions traced per lead, ` +
      `${result.distinctLeafEvaluationsPerLead} distinct leaf evaluations per lead ` +
      `(${result.regexEvaluationsPerLead} of them regexes, ${(result.regexMatchShare * 100).toFixed(1)}% matching), ` +
      `${(result.fallbackShare * 100).toFixed(1)}% to the fallback, ${matchedBy.size} different rules matched ` +
      `in the first ${sampled.length.toLocaleString('en-US')}; encode: ${encoder.how}\n\n`,
  );
  process.stdout.write(
    '| run | route + encode, leads/s (one core) | route + encode, µs/lead (CPU µs) | ' +
      'route alone, µs/lead (CPU µs) | encode share of CPU | RoutedLead bytes |\n' +
      '| --- | --- | --- | --- | --- | --- |\n',
  );
  for (const r of runs) {
    const share = 1 - r.routeOnlyCpuUsPerLead / r.routeEncodeCpuUsPerLead;
    process.stdout.write(
      `| ${r.run} | ${r.routeEncodeLeadsPerSec.toLocaleString('en-US')} | ` +
        `${r.routeEncodeUsPerLead} (${r.routeEncodeCpuUsPerLead}) | ` +
        `${r.routeOnlyUsPerLead} (${r.routeOnlyCpuUsPerLead}) | ${(share * 100).toFixed(0)}% | ` +
        `${r.encodedBytesPerLead} |\n`,
    );
  }
}

/** Leaf conditions written in the rules (segments' leaves not counted again per use). */
function countLeaves(conditions: readonly Condition[]): number {
  let n = 0;
  for (const c of conditions) {
    if ('all' in c) n += countLeaves(c.all);
    else if ('any' in c) n += countLeaves(c.any);
    else if ('not' in c) n += countLeaves([c.not]);
    else if (!('segment' in c)) n++;
  }
  return n;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
