import type { StageOutput } from '@lead-router/kafka';
import type { QueueState } from '@lead-router/routing';
import type { QueueStateSnapshot } from '@lead-router/schemas';
import type { SourcePosition } from './step.context';

interface GroupState {
  states: Map<string, QueueState>;
  /** The router.assign position this state reflects: records at or below it are replays. */
  partition: number;
  offset: bigint;
  /** Per leads.enriched partition, the highest offset whose lead this group assigned or held. */
  sources: Map<number, bigint>;
}

/** Every snapshot on the changelog, oldest first (the newest of a group wins). */
export type QueueStateChangelogReader = () => Promise<QueueStateSnapshot[]>;

export interface QueueStateStoreOptions {
  /** The compacted router.queue-state topic the snapshots go to. */
  topic: string;
  readChangelog: QueueStateChangelogReader;
  now: () => number;
}

/**
 * The distribution state of the queue groups this instance owns, kept in the compacted
 * router.queue-state changelog the Kafka Streams way: written with the routed leads of every
 * chunk (before the input offsets are committed) and read back in full whenever the instance
 * joins the group, so whoever owns a group's partition continues its rotation exactly.
 */
export class QueueStateStore {
  private groups = new Map<string, GroupState>();
  private readonly dirty = new Set<string>();
  private stale = true;

  constructor(private readonly options: QueueStateStoreOptions) {}

  /** Partitions may have moved: read the changelog again before the next chunk. */
  invalidate(): void {
    this.stale = true;
  }

  async restoreIfStale(): Promise<void> {
    if (!this.stale) return;
    const groups = new Map<string, GroupState>();
    for (const snapshot of await this.options.readChangelog()) {
      groups.set(snapshot.queue_group, {
        states: new Map(
          Object.entries(JSON.parse(snapshot.states_json) as Record<string, QueueState>),
        ),
        partition: snapshot.input_partition,
        offset: BigInt(snapshot.input_offset),
        sources: new Map(
          Object.entries(
            JSON.parse(snapshot.source_offsets_json || '{}') as Record<string, number>,
          ).map(([p, o]) => [Number(p), BigInt(o)]),
        ),
      });
    }
    this.groups = groups;
    this.dirty.clear();
    this.stale = false;
  }

  /** True when the record at this position was already applied (a replay after a rebalance). */
  applied(group: string, partition: number, offset: string): boolean {
    const state = this.groups.get(group);
    return state !== undefined && state.partition === partition && BigInt(offset) <= state.offset;
  }

  /** True when the group already assigned (or held) the lead of this leads.enriched position. */
  passed(group: string, source: SourcePosition): boolean {
    const seen = this.groups.get(group)?.sources.get(source.partition);
    return seen !== undefined && source.offset <= seen;
  }

  states(group: string): ReadonlyMap<string, QueueState> {
    return this.groups.get(group)?.states ?? new Map();
  }

  update(
    group: string,
    partition: number,
    offset: string,
    updates: readonly { queue: string; state: QueueState }[],
    source: SourcePosition | null = null,
  ): void {
    const state = this.groups.get(group) ?? {
      states: new Map(),
      partition,
      offset: -1n,
      sources: new Map(),
    };
    for (const u of updates) state.states.set(u.queue, u.state);
    if (source) state.sources.set(source.partition, source.offset);
    state.partition = partition;
    state.offset = BigInt(offset);
    this.groups.set(group, state);
    this.dirty.add(group);
  }

  /** One snapshot per group changed since the last call, produced with the chunk's outputs. */
  drainSnapshots(): StageOutput[] {
    const outputs = [...this.dirty].map((group): StageOutput => {
      const state = this.groups.get(group)!;
      const snapshot: QueueStateSnapshot = {
        queue_group: group,
        states_json: JSON.stringify(Object.fromEntries(state.states)),
        input_partition: state.partition,
        input_offset: Number(state.offset),
        source_offsets_json: JSON.stringify(
          Object.fromEntries([...state.sources].map(([p, o]) => [p, Number(o)])),
        ),
        updated_at: this.options.now(),
      };
      return { topic: this.options.topic, key: group, value: snapshot };
    });
    this.dirty.clear();
    return outputs;
  }
}
