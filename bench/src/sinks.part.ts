import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startFakeHubSpot,
  startFakeSalesforce,
  type FakeHubSpot,
  type FakeSalesforce,
  type RequestLogEntry,
  type Violation,
} from '@lead-router/crm-fakes';
import { BatchingProducer, type AvroCodec } from '@lead-router/kafka';
import {
  prefixedTopics,
  type DeliveryOutcome,
  type Destination,
  type RoutedLead,
} from '@lead-router/schemas';
import { destinationFixture, routedLeadFixture } from '@lead-router/testing';
import type { Consumer } from 'kafkajs';
import type { BenchEnv } from './pipeline.part';
import { sleep } from './proc.stats';

/** A bench setting from the environment: a number of at least 0, `fallback` when unset. */
export function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a number >= 0`);
  return value;
}

export type CrmSink = 'salesforce' | 'hubspot';
export type SinkType = CrmSink | 'postgres' | 'webhook';

/** The destination of each type in the bench's rule sets. */
export const DESTINATION: Readonly<Record<SinkType, string>> = {
  salesforce: 'crm',
  hubspot: 'hub',
  postgres: 'warehouse',
  webhook: 'inbox',
};

export const HUBSPOT_TOKEN = 'pat-bench-sinks';
export const SF_CLIENT_ID = 'bench-sinks-consumer-key';
export const SF_CLIENT_SECRET = 'bench-sinks-consumer-secret';
/** What every sink process gets, whichever destinations its rule set names. */
export const CREDENTIAL_ENV: Readonly<Record<string, string>> = {
  HUBSPOT_BENCH_TOKEN: HUBSPOT_TOKEN,
  SF_BENCH_CLIENT_ID: SF_CLIENT_ID,
  SF_BENCH_CLIENT_SECRET: SF_CLIENT_SECRET,
};

export const RULE_SET = { rule_set_id: 'bench-sinks', rule_set_version: '2026-12-01.1' };

export interface Targets {
  salesforceUrl?: string;
  hubspotUrl?: string;
  inboxUrl?: string;
  pgSchema?: string;
  /** The destinations' `retry.delays`, e.g. `['5s', '15s', '30s']`. */
  retryDelays: readonly string[];
  /** The CRM destinations' `breaker.half_open_after`; the default (30s) when not given. */
  halfOpenAfter?: string;
  /** The webhook destination's `budget`; the type's default (10,000 requests per 10 s) when not given. */
  inboxBudget?: { requests: number; per_seconds: number };
}

/** A rule set with one destination per target given, everyone's leads routed to all of them. */
export function sinksRulesYaml(t: Targets): string {
  const retry = `    retry: { delays: [${t.retryDelays.join(', ')}] }`;
  const crmRetry = t.halfOpenAfter
    ? `${retry}\n    breaker: { half_open_after: ${t.halfOpenAfter} }`
    : retry;
  const blocks: string[] = [];
  const names: string[] = [];
  if (t.salesforceUrl) {
    names.push(DESTINATION.salesforce);
    blocks.push(`  ${DESTINATION.salesforce}:
    type: salesforce
    login_url: ${t.salesforceUrl}
    auth:
      flow: client_credentials
      client_id: { env: SF_BENCH_CLIENT_ID }
      client_secret: { env: SF_BENCH_CLIENT_SECRET }
    external_id_field: Lead_Id__c
${crmRetry}`);
  }
  if (t.hubspotUrl) {
    names.push(DESTINATION.hubspot);
    blocks.push(`  ${DESTINATION.hubspot}:
    type: hubspot
    base_url: ${t.hubspotUrl}
    token: { env: HUBSPOT_BENCH_TOKEN }
${crmRetry}`);
  }
  if (t.pgSchema) {
    names.push(DESTINATION.postgres);
    blocks.push(`  ${DESTINATION.postgres}:
    type: postgres
    schema: ${t.pgSchema}
    table: leads
${retry}`);
  }
  if (t.inboxUrl) {
    names.push(DESTINATION.webhook);
    blocks.push(`  ${DESTINATION.webhook}:
    type: webhook
    url: ${t.inboxUrl}
    allow_private: true
${t.inboxBudget ? `    budget: { requests: ${t.inboxBudget.requests}, per_seconds: ${t.inboxBudget.per_seconds} }\n` : ''}${retry}`);
  }
  const owners = (m: number) =>
    names.map((n) => `${n}: '${ownerFor(destinationType(n), m)}'`).join(', ');
  return `id: ${RULE_SET.rule_set_id}
version: '${RULE_SET.rule_set_version}'
destinations:
${blocks.join('\n')}
queues:
  sales:
    method: round_robin
    when_unavailable: { hold: true }
    members:
      - { id: alice, owners: { ${owners(1)} } }
      - { id: bruno, owners: { ${owners(2)} } }
rules:
  - name: everyone
    when: { path: lead.country, eq: DE }
    queue: sales
    destinations: [${names.join(', ')}]
fallback:
  queue: sales
  destinations: [${names.join(', ')}]
`;
}

function destinationType(name: string): SinkType {
  const found = (Object.keys(DESTINATION) as SinkType[]).find((t) => DESTINATION[t] === name);
  if (!found) throw new RangeError(`no bench destination ${name}`);
  return found;
}

/** Owner `k` of a destination type, in the form its system takes (a Salesforce user id is 005…). */
export function ownerFor(type: SinkType, k: number): string {
  switch (type) {
    case 'salesforce':
      return `005BENCH${String(k).padStart(7, '0')}`;
    case 'hubspot':
      return String(7000 + k);
    default:
      return `${type}-owner-${k}`;
  }
}

/** Owners rotate over this many members, so that a record with the wrong owner is visible. */
const OWNERS = 37;

/**
 * Routed lead `i` of a run, as the router writes it, to the given destination types, each with its
 * owner; `received_at` is now, so its outcome's speed_to_lead_ms runs from this moment.
 */
export function routedLead(run: string, i: number, types: readonly SinkType[]): RoutedLead {
  const destinations: Destination[] = types.map((type) =>
    destinationFixture({
      id: DESTINATION[type],
      type,
      url: null,
      owner_id: ownerFor(type, i % OWNERS),
    }),
  );
  return routedLeadFixture({
    lead: {
      lead_id: randomUUID(),
      email: `lead-${run}-${i}@example.com`,
      received_at: Date.now(),
      last_name: `Bench${i}`,
      company: `Bench Works ${i % 100}`,
    },
    decision: RULE_SET,
    destinations,
  });
}

export function writeRules(dir: string, name: string, yaml: string): string {
  const file = join(dir, `${name}.rules.yaml`);
  writeFileSync(file, yaml);
  return file;
}

/** Produces routed leads to `<prefix>leads.routed`, keyed by lead id as the router does. */
export async function produceRouted(
  producer: BatchingProducer,
  codec: AvroCodec,
  prefix: string,
  leads: readonly RoutedLead[],
): Promise<void> {
  const topic = prefixedTopics(prefix).topics.routed;
  await producer.sendAll(
    leads.map((lead) => ({ topic, key: lead.lead.lead_id, value: codec.encode(topic, lead) })),
  );
}

/** Every outcome on `<prefix>leads.delivered`, read as it arrives. */
export interface OutcomeCollector {
  readonly all: DeliveryOutcome[];
  /** Outcomes per `destination/lead` pair. */
  count(destination: string): number;
  pairs(destination: string): Map<string, DeliveryOutcome[]>;
  stop(): Promise<void>;
}

export async function collectOutcomes(
  env: BenchEnv,
  codec: AvroCodec,
  prefix: string,
): Promise<OutcomeCollector> {
  const topic = prefixedTopics(prefix).topics.delivered;
  const all: DeliveryOutcome[] = [];
  const byDestination = new Map<string, Map<string, DeliveryOutcome[]>>();
  const consumer: Consumer = env.kafka.consumer({
    groupId: `${prefix}bench.outcomes`,
    sessionTimeout: 10_000,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      for (const message of batch.messages) {
        const outcome = await codec.decode<DeliveryOutcome>(message.value, 'DeliveryOutcome');
        all.push(outcome);
        const pairs = byDestination.get(outcome.destination_id) ?? new Map();
        byDestination.set(outcome.destination_id, pairs);
        const list = pairs.get(outcome.lead_id) ?? [];
        list.push(outcome);
        pairs.set(outcome.lead_id, list);
        resolveOffset(message.offset);
      }
      await heartbeat();
    },
  });
  return {
    all,
    count: (destination) => byDestination.get(destination)?.size ?? 0,
    pairs: (destination) => byDestination.get(destination) ?? new Map(),
    stop: () => consumer.disconnect(),
  };
}

export interface CrmRecord {
  id: string;
  owner: string | undefined;
  writes: number;
}

/** The fake CRM a CRM sink writes to, seen the same way for both vendors. */
export interface CrmFake {
  readonly url: string;
  /**
   * What the fake holds now, as a lookup of a lead's record by the key the sink upserts on
   * (external id or email). One snapshot: the fakes copy every record on each listing.
   */
  snapshot(): (lead: RoutedLead) => CrmRecord | undefined;
  recordCount(): number;
  violations(): Violation[];
  /** API requests (token requests left out). */
  apiRequests(): RequestLogEntry[];
  tokenRequests(): number;
  failRandomly(fraction: number, seed: number): void;
  throttle(ms: number): void;
  outage(on: boolean): Promise<void>;
  close(): Promise<void>;
}

export async function startCrmFake(type: CrmSink): Promise<CrmFake> {
  if (type === 'salesforce') {
    const fake: FakeSalesforce = await startFakeSalesforce({
      clientId: SF_CLIENT_ID,
      clientSecret: SF_CLIENT_SECRET,
    });
    return {
      url: fake.url,
      snapshot() {
        const leads = fake.records()['Lead'] ?? {};
        return (lead) => {
          const r = leads[lead.lead.lead_id];
          return r ? { id: r.Id, owner: r.OwnerId, writes: r.writes } : undefined;
        };
      },
      recordCount: () => Object.keys(fake.records()['Lead'] ?? {}).length,
      violations: () => fake.violations(),
      apiRequests: () => fake.requests().filter((r) => r.path.startsWith('/services/data/')),
      tokenRequests: () =>
        fake.requests().filter((r) => r.path === '/services/oauth2/token').length,
      failRandomly: (fraction, seed) => fake.control.failRandomly(fraction, { seed }),
      throttle: (ms) => fake.control.throttle(ms),
      outage: (on) => fake.control.outage(on),
      close: () => fake.close(),
    };
  }
  const fake: FakeHubSpot = await startFakeHubSpot({ tokens: [HUBSPOT_TOKEN] });
  return {
    url: fake.url,
    snapshot() {
      const contacts = fake.records();
      return (lead) => {
        const c = contacts[lead.lead.email ?? ''];
        return c ? { id: c.id, owner: c.hubspot_owner_id, writes: c.writes } : undefined;
      };
    },
    recordCount: () => Object.keys(fake.records()).length,
    violations: () => fake.violations(),
    apiRequests: () => fake.requests().filter((r) => r.path.startsWith('/crm/')),
    tokenRequests: () => 0,
    failRandomly: (fraction, seed) => fake.control.failRandomly(fraction, { seed }),
    throttle: (ms) => fake.control.throttle(ms),
    outage: (on) => fake.control.outage(on),
    close: () => fake.close(),
  };
}

/** The most requests in any window of `windowMs` (the vendor's rolling window). */
export function peakInWindow(requests: readonly RequestLogEntry[], windowMs: number): number {
  const times = requests.map((r) => Date.parse(r.at)).sort((a, b) => a - b);
  let peak = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while (times[end]! - times[start]! >= windowMs) start++;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}

/** Resolves once `done()` holds, printing `progress()` every `everyMs`; false at the deadline. */
export async function waitWithProgress(
  done: () => boolean,
  progress: () => string,
  opts: { timeoutMs: number; everyMs: number; say: (msg: string) => void },
): Promise<boolean> {
  const deadline = Date.now() + opts.timeoutMs;
  let nextSay = Date.now() + opts.everyMs;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    if (Date.now() >= nextSay) {
      opts.say(progress());
      nextSay += opts.everyMs;
    }
    await sleep(250);
  }
  return true;
}
