import type { RuleSet } from './rules.schema';

/** One difference between two versions of a rule set, for `leadctl rules diff`. */
export type RuleSetChange =
  | { kind: 'id'; from: string; to: string }
  | { kind: 'version'; from: string; to: string }
  | { kind: 'rule-added'; rule: string; position: number }
  | { kind: 'rule-removed'; rule: string; position: number }
  | { kind: 'rule-changed'; rule: string; fields: string[] }
  | { kind: 'rule-moved'; rule: string; from: number; to: number }
  | { kind: 'fallback-changed'; fields: string[] }
  | { kind: 'segment-added' | 'segment-removed' | 'segment-changed'; segment: string }
  | {
      kind: 'destination-added' | 'destination-removed' | 'destination-changed';
      destination: string;
    }
  | { kind: 'queue-added' | 'queue-removed'; queue: string }
  | { kind: 'queue-changed'; queue: string; fields: string[] }
  | { kind: 'member-added' | 'member-removed'; queue: string; member: string }
  | { kind: 'member-changed'; queue: string; member: string; fields: string[] };

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function changedFields<T extends object>(a: T, b: T, ignore: readonly string[] = []): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys]
    .filter((k) => !ignore.includes(k))
    .filter((k) => !same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    .sort();
}

function keyed<T>(
  a: Readonly<Record<string, T>>,
  b: Readonly<Record<string, T>>,
): { added: string[]; removed: string[]; common: string[] } {
  return {
    added: Object.keys(b).filter((k) => !(k in a)),
    removed: Object.keys(a).filter((k) => !(k in b)),
    common: Object.keys(a).filter((k) => k in b),
  };
}

/** Longest common subsequence of two name lists: the rules that kept their relative order. */
function inOrder(a: readonly string[], b: readonly string[]): Set<string> {
  const table = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      const row = table[i] as number[];
      row[j] =
        a[i] === b[j]
          ? (table[i + 1]?.[j + 1] ?? 0) + 1
          : Math.max(table[i + 1]?.[j] ?? 0, row[j + 1] ?? 0);
    }
  }
  const kept = new Set<string>();
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      kept.add(a[i] as string);
      i++;
      j++;
    } else if ((table[i + 1]?.[j] ?? 0) >= (table[i]?.[j + 1] ?? 0)) i++;
    else j++;
  }
  return kept;
}

/** What changed from rule set `a` to rule set `b`, rules first, in the order a reader needs. */
export function diffRuleSets(a: RuleSet, b: RuleSet): RuleSetChange[] {
  const changes: RuleSetChange[] = [];
  if (a.id !== b.id) changes.push({ kind: 'id', from: a.id, to: b.id });
  if (a.version !== b.version) changes.push({ kind: 'version', from: a.version, to: b.version });

  const aNames = a.rules.map((r) => r.name);
  const bNames = b.rules.map((r) => r.name);
  const aRules = new Map(a.rules.map((r, i) => [r.name, { rule: r, index: i }]));
  const bRules = new Map(b.rules.map((r, i) => [r.name, { rule: r, index: i }]));
  a.rules.forEach((r, i) => {
    if (!bRules.has(r.name)) changes.push({ kind: 'rule-removed', rule: r.name, position: i + 1 });
  });
  b.rules.forEach((r, i) => {
    if (!aRules.has(r.name)) changes.push({ kind: 'rule-added', rule: r.name, position: i + 1 });
  });
  const common = (names: readonly string[], other: ReadonlyMap<string, unknown>) =>
    names.filter((n) => other.has(n));
  const kept = inOrder(common(aNames, bRules), common(bNames, aRules));
  for (const [name, after] of bRules) {
    const before = aRules.get(name);
    if (before === undefined) continue;
    if (!kept.has(name)) {
      changes.push({ kind: 'rule-moved', rule: name, from: before.index + 1, to: after.index + 1 });
    }
    const fields = changedFields(before.rule, after.rule, ['name']);
    if (fields.length > 0) changes.push({ kind: 'rule-changed', rule: name, fields });
  }
  const fallback = changedFields(a.fallback, b.fallback);
  if (fallback.length > 0) changes.push({ kind: 'fallback-changed', fields: fallback });

  const segments = keyed(a.segments, b.segments);
  for (const s of segments.added) changes.push({ kind: 'segment-added', segment: s });
  for (const s of segments.removed) changes.push({ kind: 'segment-removed', segment: s });
  for (const s of segments.common) {
    if (!same(a.segments[s], b.segments[s])) changes.push({ kind: 'segment-changed', segment: s });
  }

  const queues = keyed(a.queues, b.queues);
  for (const q of queues.added) changes.push({ kind: 'queue-added', queue: q });
  for (const q of queues.removed) changes.push({ kind: 'queue-removed', queue: q });
  for (const q of queues.common) {
    const before = a.queues[q];
    const after = b.queues[q];
    if (before === undefined || after === undefined) continue;
    const fields = changedFields(before, after, ['members']);
    if (fields.length > 0) changes.push({ kind: 'queue-changed', queue: q, fields });
    const aMembers = Object.fromEntries(before.members.map((m) => [m.id, m]));
    const bMembers = Object.fromEntries(after.members.map((m) => [m.id, m]));
    const members = keyed(aMembers, bMembers);
    for (const m of members.added) changes.push({ kind: 'member-added', queue: q, member: m });
    for (const m of members.removed) changes.push({ kind: 'member-removed', queue: q, member: m });
    for (const m of members.common) {
      const fields = changedFields(aMembers[m] ?? {}, bMembers[m] ?? {});
      if (fields.length > 0) changes.push({ kind: 'member-changed', queue: q, member: m, fields });
    }
  }

  const destinations = keyed(a.destinations, b.destinations);
  for (const d of destinations.added) changes.push({ kind: 'destination-added', destination: d });
  for (const d of destinations.removed)
    changes.push({ kind: 'destination-removed', destination: d });
  for (const d of destinations.common) {
    if (!same(a.destinations[d], b.destinations[d])) {
      changes.push({ kind: 'destination-changed', destination: d });
    }
  }
  return changes;
}

function fieldList(fields: readonly string[]): string {
  return fields.map((f) => (f === 'when' ? 'its condition' : f)).join(', ');
}

/** One line per change, in plain words. */
export function formatDiff(changes: readonly RuleSetChange[]): string {
  if (changes.length === 0) return 'No changes.';
  return changes
    .map((c) => {
      switch (c.kind) {
        case 'id':
          return `Rule set id changed from ${c.from} to ${c.to}.`;
        case 'version':
          return `Version ${c.from} -> ${c.to}.`;
        case 'rule-added':
          return `Rule "${c.rule}" added at position ${c.position}.`;
        case 'rule-removed':
          return `Rule "${c.rule}" removed (was at position ${c.position}).`;
        case 'rule-moved':
          return `Rule "${c.rule}" moved from position ${c.from} to ${c.to}, so it is now checked ${c.to < c.from ? 'earlier' : 'later'}.`;
        case 'rule-changed':
          return `Rule "${c.rule}" changed: ${fieldList(c.fields)}.`;
        case 'fallback-changed':
          return `Fallback changed: ${fieldList(c.fields)}.`;
        case 'segment-added':
          return `Segment "${c.segment}" added.`;
        case 'segment-removed':
          return `Segment "${c.segment}" removed.`;
        case 'segment-changed':
          return `Segment "${c.segment}" changed; every rule that uses it is affected.`;
        case 'queue-added':
          return `Queue "${c.queue}" added.`;
        case 'queue-removed':
          return `Queue "${c.queue}" removed.`;
        case 'queue-changed':
          return `Queue "${c.queue}" changed: ${fieldList(c.fields)}.`;
        case 'member-added':
          return `Queue "${c.queue}": member "${c.member}" added.`;
        case 'member-removed':
          return `Queue "${c.queue}": member "${c.member}" removed.`;
        case 'member-changed':
          return `Queue "${c.queue}": member "${c.member}" changed: ${fieldList(c.fields)}.`;
        case 'destination-added':
          return `Destination "${c.destination}" added.`;
        case 'destination-removed':
          return `Destination "${c.destination}" removed.`;
        case 'destination-changed':
          return `Destination "${c.destination}" changed.`;
      }
    })
    .join('\n');
}
