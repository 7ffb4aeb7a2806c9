import assert from 'node:assert/strict';
import { createLogger, type Logger } from '@lead-router/observability';
import { compileRuleSet, parseRuleSet, type CompiledRuleSet } from '@lead-router/routing';
import type {
  DestinationType,
  EnrichedLead,
  QueueAssignment,
  QueueStateSnapshot,
  RuleSetVersion,
} from '@lead-router/schemas';
import type { StepContext } from './step.context';

export const NOON = Date.parse('2026-01-01T12:00:00Z');
export const CARL_BACK = Date.parse('2026-01-02T00:00:00Z');

export const TOPICS = {
  enriched: 'leads.enriched',
  assign: 'router.assign',
  held: 'router.held',
  routed: 'leads.routed',
  dlq: 'leads.dlq',
  queueState: 'router.queue-state',
};

/**
 * Rule set `t`: VIP leads to a fixed owner, French leads to carl (away until CARL_BACK, so they
 * are held), everyone else round robin between alice and bob.
 */
export function rulesYaml(version = '1', salesMembers = ['alice', 'bob']): string {
  return `id: t
version: "${version}"
destinations:
  crm: { type: webhook, url: "https://crm.example.com/leads" }
queues:
  sales:
    method: round_robin
    when_unavailable: { hold: true }
    members:
${salesMembers.map((m) => `      - { id: ${m}, owners: { crm: SF-${m} } }`).join('\n')}
  away:
    method: round_robin
    when_unavailable: { hold: true }
    members:
      - id: carl
        owners: { crm: SF-carl }
        out_of_office: [ { start: "2026-01-01T00:00:00Z", end: "2026-01-02T00:00:00Z" } ]
rules:
  - name: vip
    when: { path: lead.attributes.tier, eq: vip }
    owner: SF-VIP
    destinations: [crm]
  - name: france
    when: { path: lead.country, eq: FR }
    queue: away
    destinations: [crm]
fallback:
  queue: sales
  destinations: [crm]
`;
}

export function compiledRules(version = '1', salesMembers?: string[]): CompiledRuleSet {
  const parsed = parseRuleSet(rulesYaml(version, salesMembers));
  if (!parsed.ok) assert.fail(JSON.stringify(parsed.error, null, 2));
  return compileRuleSet(parsed.value);
}

export function published(version: string, salesMembers?: string[]): RuleSetVersion {
  return {
    rule_set_id: 't',
    version,
    yaml: rulesYaml(version, salesMembers),
    sha256: '',
    published_at: NOON,
    published_by: null,
  };
}

export const silentLogger = (): Logger => createLogger('routing-runtime-spec', 'silent');

/** The types the sinks serve in these specs, as the router reads them from the manifest. */
export const SERVED: readonly DestinationType[] = ['webhook'];

export function assignment(
  enriched: EnrichedLead,
  overrides: Partial<QueueAssignment> = {},
): QueueAssignment {
  return {
    enriched,
    rule_set_id: 't',
    rule_set_version: '1',
    queue_group: 'sales',
    matched_at: NOON,
    held_until: 0,
    ...overrides,
  };
}

export const at = (offset: number, partition = 0, key: string | null = 'sales'): StepContext => ({
  partition,
  offset: String(offset),
  key: key === null ? null : Buffer.from(key),
});

/** A changelog topic in memory: snapshots appended as the store drains them. */
export class InMemoryChangelog {
  readonly snapshots: QueueStateSnapshot[] = [];
  reads = 0;

  readonly read = async (): Promise<QueueStateSnapshot[]> => {
    this.reads += 1;
    return [...this.snapshots];
  };

  append(outputs: readonly { value: unknown }[]): void {
    for (const o of outputs) this.snapshots.push(o.value as QueueStateSnapshot);
  }
}
