import type { RuleSet } from './rules.schema';

/**
 * The queue groups of a rule set: queues joined by overflow (in either direction) form one
 * group, because routing one lead may read and change the state of every queue in its chain.
 * A group's name is its queues' names, sorted and joined, so it is the same in every version
 * that has the same chains. The router partitions by group: one instance owns each group's state.
 */
export function queueGroups(rs: Pick<RuleSet, 'queues'>): Map<string, string> {
  const parent = new Map<string, string>(Object.keys(rs.queues).map((q) => [q, q]));
  const find = (q: string): string => {
    let root = q;
    while (parent.get(root) !== root) root = parent.get(root) ?? root;
    parent.set(q, root);
    return root;
  };
  for (const [name, queue] of Object.entries(rs.queues)) {
    const unavailable = queue.when_unavailable as { overflow?: string };
    if (unavailable.overflow !== undefined && parent.has(unavailable.overflow)) {
      parent.set(find(name), find(unavailable.overflow));
    }
  }
  const members = new Map<string, string[]>();
  for (const q of parent.keys()) {
    const root = find(q);
    members.set(root, [...(members.get(root) ?? []), q]);
  }
  const groupOf = new Map<string, string>();
  for (const queues of members.values()) {
    const name = [...queues].sort().join('+');
    for (const q of queues) groupOf.set(q, name);
  }
  return groupOf;
}
