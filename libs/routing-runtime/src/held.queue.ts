import { isRetriable } from '@lead-router/errors';
import type { Logger, TraceHeaders } from '@lead-router/observability';
import type { QueueAssignment } from '@lead-router/schemas';
import { PartitionHeldIndex, type HeldEntry } from './held.index';

/** One record of router.held as read: a held lead, or a tombstone (a released lead). */
export interface HeldRecord {
  offset: string;
  key: string | null;
  /** null for a tombstone. */
  value: Buffer | null;
  /** The record's trace headers, when it has a `traceparent`. */
  trace?: TraceHeaders;
}

/** What the held queue does to Kafka, passed in so its logic runs against a fake in unit specs. */
export interface HeldQueuePorts {
  /**
   * Starts the partition's transactional producer, which fences its previous owner and aborts
   * the transaction that owner left open: nothing half-released is read afterwards.
   */
  fence(partition: number): Promise<void>;
  /** The partition's log start offset and its end offset, read after the fencing. */
  offsets(partition: number): Promise<{ low: bigint; end: bigint }>;
  /** Makes the consumer read the partition again from `offset`. */
  seek(partition: number, offset: bigint): void;
  decode(value: Buffer): Promise<QueueAssignment>;
  /**
   * In one transaction on the partition's producer: each lead to router.assign (no longer held)
   * and a tombstone for it on router.held. All or nothing.
   */
  release(partition: number, leads: readonly HeldEntry[]): Promise<void>;
}

/**
 * A due lead as it goes back to router.assign: no longer held, under the key the match step gives
 * it (its queue group, so the group's owner assigns it; the lead id without a group).
 */
export function releasedAssignment(a: QueueAssignment): { key: string; value: QueueAssignment } {
  return {
    key: a.queue_group !== '' ? a.queue_group : a.enriched.lead.lead_id,
    value: { ...a, held_until: 0 },
  };
}

/** setTimeout and clearTimeout, replaced by a fake clock's in unit specs. */
export interface HeldQueueTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface HeldQueueDeps {
  ports: HeldQueuePorts;
  logger: Logger;
  now: () => number;
  timers?: HeldQueueTimers;
  /** Leads released in one transaction at most (default 500). */
  releaseBatch?: number;
  /** How long a partition whose release or fencing failed waits before it is rebuilt (5 s). */
  retryMs?: number;
  /** Called with the queue group of every lead released. */
  onReleased?: (group: string, count: number) => void;
}

/** A partition this instance owns, from its rebuild to its release. */
interface OwnedPartition {
  /** Bumped on every rebuild: work of an earlier rebuild is dropped when it comes back. */
  epoch: number;
  index: PartitionHeldIndex;
  /** Restoring until every record below `end` is read; released leads only once ready. */
  phase: 'fencing' | 'restoring' | 'ready';
  /** The next offset to read, once the rebuild has sought to the log start. */
  position: bigint | null;
  /** Where the consumer's next fetch of the partition starts, as far as batches and seeks tell. */
  fetchNext: bigint | null;
  end: bigint;
  releasing: boolean;
  retry: unknown;
}

const realTimers: HeldQueueTimers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** setTimeout's longest delay; a lead due later is looked at again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The leads held on the router.held partitions this instance owns, released when due.
 *
 * router.held is compacted and keyed by lead id: the assign step writes a lead there once when
 * nobody can take it, and the release writes a tombstone for it. On every assignment of a
 * partition the held queue fences the partition's transactional producer, then reads the
 * partition from its start (the consumer group never commits an offset) into an index by due time:
 * the Kafka Streams state-store restore. Once the whole partition has been read it releases each
 * lead when due, in one transaction with the lead's tombstone, so a crash either releases the lead
 * and marks it released, or does neither and the next owner releases it.
 */
export class HeldQueue {
  private readonly owned = new Map<number, OwnedPartition>();
  private timer: { handle: unknown; at: number } | null = null;
  private stopped = false;
  private readonly timers: HeldQueueTimers;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly deps: HeldQueueDeps) {
    this.timers = deps.timers ?? realTimers;
  }

  /** Leads held per partition and queue group, for the gauge. */
  held(): { partition: number; group: string; count: number }[] {
    return [...this.owned].flatMap(([partition, p]) =>
      [...p.index.byGroup].map(([group, count]) => ({ partition, group, count })),
    );
  }

  /** The partitions whose index is complete, so their due leads are released. */
  get readyPartitions(): number[] {
    return [...this.owned]
      .filter(([, p]) => p.phase === 'ready')
      .map(([n]) => n)
      .sort((a, b) => a - b);
  }

  /**
   * The group assigned these partitions: every index is dropped and each partition rebuilt from
   * its start (the consumer reads every partition of a new assignment again from the beginning).
   */
  assigned(partitions: readonly number[]): Promise<void> {
    for (const p of this.owned.values()) this.timers.clear(p.retry);
    const epochs = new Map([...this.owned].map(([n, p]) => [n, p.epoch]));
    this.owned.clear();
    for (const n of partitions) this.owned.set(n, this.fresh(epochs.get(n) ?? 0));
    this.schedule();
    return Promise.all(partitions.map((n) => this.rebuild(n))).then(() => undefined);
  }

  /**
   * Records the consumer read from `fetchedOffset` on. A batch that does not start where the
   * rebuild stands (fetched before a seek or a new assignment) is not indexed; the consumer is
   * sent back to where the rebuild stands unless it is already headed there.
   */
  async records(
    partition: number,
    fetchedOffset: string,
    lastOffset: string,
    records: readonly HeldRecord[],
  ): Promise<void> {
    const p = this.owned.get(partition);
    if (!p || p.position === null) return;
    if (BigInt(fetchedOffset) !== p.position) {
      this.resync(partition, p);
      return;
    }
    const epoch = p.epoch;
    let decoded: Awaited<ReturnType<HeldQueue['decode']>>[];
    try {
      decoded = await Promise.all(records.map((r) => this.decode(partition, r)));
    } catch (err) {
      if (this.owned.get(partition) !== p || p.epoch !== epoch) return;
      this.deps.logger.warn({ err, partition }, 'held queue: reading failed; rebuilding');
      this.retryLater(partition, p);
      return;
    }
    if (this.owned.get(partition) !== p || p.epoch !== epoch) return;
    for (const d of decoded) {
      if (d === null) continue;
      if (d.kind === 'tombstone') p.index.remove(d.key);
      else p.index.put(d.entry);
    }
    this.advance(partition, p, BigInt(lastOffset) + 1n);
  }

  /**
   * A fetch that held only transaction markers or aborted records (the consumer hands no batch
   * for it). The rebuild steps past them when they start where it stands, or when the fetch was
   * made from where it stands: then the offsets before them hold nothing (compaction removed it).
   */
  skipped(partition: number, firstOffset: string, lastOffset: string): void {
    const p = this.owned.get(partition);
    if (!p || p.position === null) return;
    if (BigInt(firstOffset) > p.position && p.fetchNext !== p.position) return;
    this.advance(partition, p, BigInt(lastOffset) + 1n);
  }

  /**
   * The consumer handled a batch of the partition ending at `lastOffset` (indexed or not): its
   * next fetch starts after it.
   */
  fetched(partition: number, lastOffset: string): void {
    const p = this.owned.get(partition);
    if (p && p.position !== null) p.fetchNext = BigInt(lastOffset) + 1n;
  }

  /** Releases nothing more and waits for the releases in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const p of this.owned.values()) this.timers.clear(p.retry);
    if (this.timer) this.timers.clear(this.timer.handle);
    this.timer = null;
    await Promise.allSettled([...this.inFlight]);
  }

  private fresh(epoch: number): OwnedPartition {
    return {
      epoch: epoch + 1,
      index: new PartitionHeldIndex(),
      phase: 'fencing',
      position: null,
      fetchNext: null,
      end: 0n,
      releasing: false,
      retry: null,
    };
  }

  /** Fence, then read the partition from its start; released leads only once it is all read. */
  private async rebuild(partition: number): Promise<void> {
    const p = this.owned.get(partition);
    if (!p || this.stopped) return;
    const epoch = p.epoch;
    try {
      await this.deps.ports.fence(partition);
      const { low, end } = await this.deps.ports.offsets(partition);
      if (this.owned.get(partition) !== p || p.epoch !== epoch) return;
      p.phase = 'restoring';
      p.end = end;
      p.position = low;
      p.fetchNext = low;
      this.deps.ports.seek(partition, low);
      this.deps.logger.info(
        { partition, from: low.toString(), to: end.toString() },
        'held queue: rebuilding the partition index',
      );
      this.advance(partition, p, low);
    } catch (err) {
      this.deps.logger.warn({ err, partition }, 'held queue: fencing failed; trying again');
      this.retryLater(partition, p);
    }
  }

  /** Sends the consumer back to where the rebuild stands, unless it is headed there already. */
  private resync(partition: number, p: OwnedPartition): void {
    if (p.position === null || p.fetchNext === p.position) return;
    p.fetchNext = p.position;
    this.deps.ports.seek(partition, p.position);
  }

  private advance(partition: number, p: OwnedPartition, position: bigint): void {
    if (p.position === null || position < p.position) return;
    p.position = position;
    if (p.phase === 'restoring' && position >= p.end) {
      p.phase = 'ready';
      this.deps.logger.info(
        { partition, held: p.index.size },
        'held queue: partition index rebuilt; releasing leads when due',
      );
    }
    this.schedule();
  }

  private async decode(
    partition: number,
    record: HeldRecord,
  ): Promise<{ kind: 'tombstone'; key: string } | { kind: 'held'; entry: HeldEntry } | null> {
    if (record.key === null) return null;
    if (record.value === null) return { kind: 'tombstone', key: record.key };
    try {
      const a = await this.deps.ports.decode(record.value);
      return {
        kind: 'held',
        entry: {
          key: record.key,
          dueAt: a.held_until,
          group: a.queue_group,
          value: record.value,
          ...(record.trace ? { trace: record.trace } : {}),
        },
      };
    } catch (err) {
      // A registry out of reach: the partition is read again later.
      if (isRetriable(err)) throw err;
      // Only the assign step writes here, with the registered schema; a record it cannot read is
      // left where it is, and said loudly, rather than stopping every other lead's release.
      this.deps.logger.error(
        { err, partition, offset: record.offset, leadId: record.key },
        'held queue: a held record cannot be decoded; it is not released',
      );
      return null;
    }
  }

  /** Sets the one timer for the earliest due lead of a ready partition, releasing what is due. */
  private schedule(): void {
    if (this.stopped) return;
    const now = this.deps.now();
    let next: number | null = null;
    for (const [n, p] of this.owned) {
      if (p.phase !== 'ready' || p.releasing) continue;
      const due = p.index.nextDue();
      if (due === null) continue;
      if (due <= now) this.track(this.releaseDue(n, p));
      else if (next === null || due < next) next = due;
    }
    if (this.timer && (next === null || this.timer.at !== next)) {
      this.timers.clear(this.timer.handle);
      this.timer = null;
    }
    if (next !== null && !this.timer) {
      const at = next;
      const handle = this.timers.set(
        () => {
          this.timer = null;
          this.schedule();
        },
        Math.min(Math.max(at - now, 0), MAX_TIMER_MS),
      );
      this.timer = { handle, at };
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async releaseDue(partition: number, p: OwnedPartition): Promise<void> {
    p.releasing = true;
    const epoch = p.epoch;
    const leads = p.index.takeDue(this.deps.now(), this.deps.releaseBatch ?? 500);
    try {
      await this.deps.ports.release(partition, leads);
      const byGroup = new Map<string, number>();
      for (const l of leads) byGroup.set(l.group, (byGroup.get(l.group) ?? 0) + 1);
      for (const [group, count] of byGroup) this.deps.onReleased?.(group, count);
      this.deps.logger.info(
        { partition, released: leads.length, leadIds: leads.slice(0, 20).map((l) => l.key) },
        'held queue: leads due, back to assignment',
      );
      p.releasing = false;
      if (this.owned.get(partition) === p && p.epoch === epoch) this.schedule();
    } catch (err) {
      // Not released, or released by a transaction whose outcome is unknown: the index no longer
      // knows. Reading the partition again after fencing tells (a committed release left its
      // tombstones; an aborted one left the leads held).
      p.releasing = false;
      this.deps.logger.warn(
        { err, partition, leads: leads.length },
        'held queue: release failed; rebuilding the partition',
      );
      if (this.owned.get(partition) === p && p.epoch === epoch) this.retryLater(partition, p);
    }
  }

  private retryLater(partition: number, p: OwnedPartition): void {
    if (this.stopped || this.owned.get(partition) !== p) return;
    const next = this.fresh(p.epoch);
    this.owned.set(partition, next);
    next.retry = this.timers.set(() => void this.rebuild(partition), this.deps.retryMs ?? 5_000);
    this.schedule();
  }
}
