import type { EnrichedLead, RoutingDecision } from '@lead-router/schemas';
import { route, type RouteResult } from './lead.router';
import type { QueueState } from './queue.state';
import type { CompiledRuleSet } from './rules.compiler';

export const SAMPLES_PER_BUCKET = 5;

export interface RuleBucket {
  rule: string;
  /** Leads this rule (or `fallback`) decided under each rule set. */
  baseline: number;
  candidate: number;
  /** Of the candidate's leads for this rule, how many land in another queue or with another owner. */
  changedQueue: number;
  changedOwner: number;
  samples: string[];
}

export interface MemberBucket {
  /** A queue member (`queue/member`), a fixed owner (`owner:<id>`) or `held`. */
  assignee: string;
  baseline: number;
  candidate: number;
  gained: number;
  lost: number;
  samples: string[];
}

export interface QueueMove {
  from: string;
  to: string;
  leads: number;
  samples: string[];
}

export interface SimulationReport {
  baseline: { id: string; version: string };
  candidate: { id: string; version: string };
  leads: number;
  changedQueue: number;
  changedOwner: number;
  unchanged: number;
  byRule: RuleBucket[];
  byMember: MemberBucket[];
  queueMoves: QueueMove[];
}

interface Outcome {
  rule: string;
  queue: string;
  assignee: string;
}

function outcomeOf(result: RouteResult): Outcome {
  const decision: RoutingDecision = result.decision;
  const queue = decision.queue ?? '(fixed owner)';
  const member = decision.distribution?.chosen_member;
  const assignee =
    result.kind === 'hold'
      ? 'held'
      : member !== undefined && member !== ''
        ? `${queue}/${member}`
        : `owner:${decision.owner_id ?? '-'}`;
  return { rule: decision.matched_rule, queue, assignee };
}

function sample(samples: string[], leadId: string): void {
  if (samples.length < SAMPLES_PER_BUCKET) samples.push(leadId);
}

/** Routes with one rule set on its own in-memory queue states, as a fresh router would. */
class Replay {
  private readonly states = new Map<string, QueueState>();
  constructor(private readonly compiled: CompiledRuleSet) {}

  route(lead: EnrichedLead): Outcome {
    const result = route(this.compiled, lead, this.states, lead.lead.received_at);
    if (result.kind === 'routed') {
      for (const update of result.stateUpdates) this.states.set(update.queue, update.state);
    }
    return outcomeOf(result);
  }
}

/**
 * What-if: routes each lead (at its own received_at) with both rule sets, each on fresh
 * in-memory queue state, and counts how many would change queue or owner, by rule and by
 * member, with sample lead ids. Nothing is produced and no real state is touched.
 */
export function simulate(
  candidate: CompiledRuleSet,
  baseline: CompiledRuleSet,
  leads: Iterable<EnrichedLead>,
): SimulationReport {
  const before = new Replay(baseline);
  const after = new Replay(candidate);
  const rules = new Map<string, RuleBucket>();
  const members = new Map<string, MemberBucket>();
  const moves = new Map<string, QueueMove>();
  const ruleBucket = (rule: string) => {
    let bucket = rules.get(rule);
    if (bucket === undefined) {
      bucket = { rule, baseline: 0, candidate: 0, changedQueue: 0, changedOwner: 0, samples: [] };
      rules.set(rule, bucket);
    }
    return bucket;
  };
  const memberBucket = (assignee: string) => {
    let bucket = members.get(assignee);
    if (bucket === undefined) {
      bucket = { assignee, baseline: 0, candidate: 0, gained: 0, lost: 0, samples: [] };
      members.set(assignee, bucket);
    }
    return bucket;
  };
  let count = 0;
  let changedQueue = 0;
  let changedOwner = 0;
  let unchanged = 0;
  for (const lead of leads) {
    count++;
    const id = lead.lead.lead_id;
    const was = before.route(lead);
    const now = after.route(lead);
    ruleBucket(was.rule).baseline++;
    const rule = ruleBucket(now.rule);
    rule.candidate++;
    memberBucket(was.assignee).baseline++;
    memberBucket(now.assignee).candidate++;
    const queueMoved = was.queue !== now.queue;
    const ownerMoved = was.assignee !== now.assignee;
    if (queueMoved) {
      changedQueue++;
      rule.changedQueue++;
      const key = `${was.queue}\u0000${now.queue}`;
      const move = moves.get(key) ?? { from: was.queue, to: now.queue, leads: 0, samples: [] };
      move.leads++;
      sample(move.samples, id);
      moves.set(key, move);
    }
    if (ownerMoved) {
      changedOwner++;
      rule.changedOwner++;
      const lost = memberBucket(was.assignee);
      lost.lost++;
      sample(lost.samples, id);
      const gained = memberBucket(now.assignee);
      gained.gained++;
      sample(gained.samples, id);
    }
    if (queueMoved || ownerMoved) sample(rule.samples, id);
    else unchanged++;
  }
  const order = [...candidate.rules.map((r) => r.name), 'fallback'];
  const rank = (rule: string) => {
    const at = order.indexOf(rule);
    return at < 0 ? order.length : at;
  };
  return {
    baseline: { id: baseline.id, version: baseline.version },
    candidate: { id: candidate.id, version: candidate.version },
    leads: count,
    changedQueue,
    changedOwner,
    unchanged,
    byRule: [...rules.values()].sort((a, b) => rank(a.rule) - rank(b.rule)),
    byMember: [...members.values()].sort((a, b) => a.assignee.localeCompare(b.assignee)),
    queueMoves: [...moves.values()].sort((a, b) => b.leads - a.leads),
  };
}

/** The report in plain words, for `leadctl rules simulate`. */
export function formatSimulation(report: SimulationReport): string {
  const pct = (n: number) =>
    report.leads === 0 ? '0%' : `${((100 * n) / report.leads).toFixed(1)}%`;
  const ids = (samples: readonly string[]) =>
    samples.length > 0 ? ` e.g. ${samples.join(', ')}` : '';
  const lines = [
    `Simulated ${report.leads} leads: candidate ${report.candidate.id} ${report.candidate.version} against ${report.baseline.id} ${report.baseline.version}.`,
    `${report.changedQueue} (${pct(report.changedQueue)}) would go to another queue, ${report.changedOwner} (${pct(report.changedOwner)}) to another owner; ${report.unchanged} unchanged.`,
  ];
  if (report.queueMoves.length > 0) {
    lines.push('', 'Queue moves:');
    for (const m of report.queueMoves)
      lines.push(`  ${m.from} -> ${m.to}: ${m.leads}${ids(m.samples)}`);
  }
  lines.push('', 'By rule (baseline -> candidate leads; changed queue / owner):');
  for (const r of report.byRule) {
    lines.push(
      `  ${r.rule}: ${r.baseline} -> ${r.candidate}; ${r.changedQueue} / ${r.changedOwner} changed${ids(r.samples)}`,
    );
  }
  lines.push('', 'By assignee (baseline -> candidate leads; gained / lost):');
  for (const m of report.byMember) {
    lines.push(
      `  ${m.assignee}: ${m.baseline} -> ${m.candidate}; +${m.gained} / -${m.lost}${ids(m.samples)}`,
    );
  }
  return lines.join('\n');
}
