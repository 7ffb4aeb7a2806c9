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

/** What one router.assign partition's chunks read and advance, apart from the others'. */
interface PartitionState {
  groups: Map<string, GroupState>;
  /** Groups changed since the partition's last drain. */
  dirty: Set<string>;
  /** Read the changelog again before the partition's next chunk. */
  stale: boolean;
}

/**
 * The distribution state of the queue groups this instance owns, kept in the compacted
 * router.queue-state changelog the Kafka Streams way: written with the routed leads of every
 * chunk (before the input offsets are committed) and read back in full whenever the instance
 * joins the group, so whoever owns a group's partition continues its rotation exactly.
 *
 * The state is kept per router.assign partition (a queue group is the key of its records, so one
 * partition owns it), each restored, advanced and drained on its own: the partitions' chunks run
 * at the same time, and a failed transaction on one partition drops only that partition's state.
 */
export class QueueStateStore {
  private readonly partitions = new Map<number, PartitionState>();

  constructor(private readonly options: QueueStateStoreOptions) {}

  /**
   * Partitions may have moved (no partition given: all of them), or a partition's transaction
   * failed: read the changelog again before its next chunk.
   */
  invalidate(partition?: number): void {
    if (partition === undefined) this.partitions.clear();
    else this.partitions.delete(partition);
  }

  async restoreIfStale(partition: number): Promise<void> {
    const current = this.of(partition);
    if (!current.stale) return;
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
    // An invalidation while the changelog was read leaves the partition stale for the next chunk.
    if (this.partitions.get(partition) !== current) return;
    this.partitions.set(partition, { groups, dirty: new Set(), stale: false });
  }

  /** True when the record at this position was already applied (a replay after a rebalance). */
  applied(group: string, partition: number, offset: string): boolean {
    const state = this.of(partition).groups.get(group);
    return state !== undefined && state.partition === partition && BigInt(offset) <= state.offset;
  }

  /**
   * True when the group, assigned on router.assign `partition`, already assigned (or held) the
   * lead of this leads.enriched position.
   */
  passed(group: string, partition: number, source: SourcePosition): boolean {
    const seen = this.of(partition).groups.get(group)?.sources.get(source.partition);
    return seen !== undefined && source.offset <= seen;
  }

  /** The queue states of a group assigned on router.assign `partition`. */
  states(group: string, partition: number): ReadonlyMap<string, QueueState> {
    return this.of(partition).groups.get(group)?.states ?? new Map();
  }

  update(
    group: string,
    partition: number,
    offset: string,
    updates: readonly { queue: string; state: QueueState }[],
    source: SourcePosition | null = null,
  ): void {
    const { groups, dirty } = this.of(partition);
    const state = groups.get(group) ?? {
      states: new Map(),
      partition,
      offset: -1n,
      sources: new Map(),
    };
    for (const u of updates) state.states.set(u.queue, u.state);
    if (source) state.sources.set(source.partition, source.offset);
    state.partition = partition;
    state.offset = BigInt(offset);
    groups.set(group, state);
    dirty.add(group);
  }

  /**
   * One snapshot per group the partition changed since its last drain, produced with the
   * partition's chunk outputs.
   */
  drainSnapshots(partition: number): StageOutput[] {
    const { groups, dirty } = this.of(partition);
    const outputs = [...dirty].map((group): StageOutput => {
      const state = groups.get(group)!;
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
    dirty.clear();
    return outputs;
  }

  private of(partition: number): PartitionState {
    let state = this.partitions.get(partition);
    if (!state) {
      state = { groups: new Map(), dirty: new Set(), stale: true };
      this.partitions.set(partition, state);
    }
    return state;
  }
}
