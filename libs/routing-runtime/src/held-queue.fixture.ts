import type { QueueAssignment } from '@lead-router/schemas';
import { enrichedLeadFixture } from '@lead-router/testing';
import type { HeldEntry } from './held.index';
import {
  releasedAssignment,
  type HeldQueuePorts,
  type HeldQueueTimers,
  type HeldRecord,
} from './held.queue';
import { NOON, assignment } from './routing-runtime.fixture';

/** A held lead as the assign step writes it (JSON stands in for Avro here). */
export function heldRecordValue(leadId: string, heldUntil: number, group = 'away'): Buffer {
  const a = assignment(enrichedLeadFixture({ lead: { lead_id: leadId } }), {
    queue_group: group,
    held_until: heldUntil,
  });
  return Buffer.from(JSON.stringify(a));
}

/** setTimeout on a clock that moves only when told: no sleeps in specs. */
export class FakeClock implements HeldQueueTimers {
  now = NOON;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  set(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.now + ms, fn });
    return id;
  }

  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  get timers(): number {
    return this.pending.size;
  }

  /** Moves the clock on by `ms`, firing every timer due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const until = this.now + ms;
    for (;;) {
      const next = [...this.pending].sort((a, b) => a[1].at - b[1].at)[0];
      if (!next || next[1].at > until) break;
      this.pending.delete(next[0]);
      this.now = Math.max(this.now, next[1].at);
      next[1].fn();
      await settle();
    }
    this.now = until;
    await settle();
  }
}

/** Lets every promise chain that is ready run (no timer involved). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

interface LogRecord {
  offset: number;
  key: string | null;
  value: Buffer | null;
  /** Transaction markers and aborted records: in the log, never handed to a reader. */
  control?: boolean;
}

/**
 * router.held's partitions and router.assign in memory, with the calls the held queue makes:
 * `consume()` hands each partition's records from the consumer's position on, as kafkajs would;
 * a release appends the tombstones to router.held and the leads to router.assign, all or nothing.
 */
export class FakeHeldTopic implements HeldQueuePorts {
  readonly logs = new Map<number, LogRecord[]>();
  readonly positions = new Map<number, number>();
  readonly calls: string[] = [];
  /** What reached router.assign, in order: (key, value) of each released lead. */
  readonly assigned: { key: string; value: QueueAssignment }[] = [];
  /** The next release fails: `before` (nothing written) or `after` (written, then an error). */
  failNextRelease: 'before' | 'after' | null = null;
  failNextFence = false;

  constructor(partitions = 2) {
    for (let p = 0; p < partitions; p++) this.logs.set(p, []);
  }

  /** Appends a record to a partition, as the assign step's committed transaction would. */
  append(partition: number, key: string, value: Buffer | null): void {
    this.logs.get(partition)!.push({ offset: this.end(partition), key, value });
  }

  /** Appends a transaction marker (it takes an offset but no reader sees it). */
  marker(partition: number): void {
    this.logs
      .get(partition)!
      .push({ offset: this.end(partition), key: null, value: null, control: true });
  }

  /** Removes records as compaction does: their offsets stay taken, with nothing there. */
  compact(partition: number, offsets: readonly number[]): void {
    const log = this.logs.get(partition)!;
    this.logs.set(
      partition,
      log.filter((r) => !offsets.includes(r.offset)),
    );
  }

  /** Records of the partition a reader sees (keys and values), from the start. */
  visible(partition: number): { key: string | null; value: Buffer | null }[] {
    return this.logs
      .get(partition)!
      .filter((r) => !r.control)
      .map((r) => ({ key: r.key, value: r.value }));
  }

  /**
   * One fetch per partition from the consumer's position, as kafkajs makes it: the held queue gets
   * the batch (or, for a fetch of markers only, `skipped`), then `fetched`, and the position moves
   * past it.
   */
  async consume(sut: {
    records(p: number, fetched: string, last: string, r: HeldRecord[]): Promise<void>;
    skipped(p: number, first: string, last: string): void;
    fetched(p: number, last: string): void;
  }): Promise<void> {
    for (const [partition, log] of this.logs) {
      const from = this.positions.get(partition) ?? 0;
      const batch = log.filter((r) => r.offset >= from);
      if (batch.length === 0) continue;
      const last = String(batch[batch.length - 1]!.offset);
      this.positions.set(partition, Number(last) + 1);
      const records = batch.filter((r) => !r.control);
      if (records.length === 0) {
        sut.skipped(partition, String(batch[0]!.offset), last);
      } else {
        await sut.records(
          partition,
          String(from),
          last,
          records.map((r) => ({ offset: String(r.offset), key: r.key, value: r.value })),
        );
      }
      sut.fetched(partition, last);
    }
    await settle();
  }

  private end(partition: number): number {
    const log = this.logs.get(partition)!;
    return log.length === 0 ? 0 : log[log.length - 1]!.offset + 1;
  }

  async fence(partition: number): Promise<void> {
    this.calls.push(`fence ${partition}`);
    if (this.failNextFence) {
      this.failNextFence = false;
      throw new Error('coordinator not available');
    }
  }

  async offsets(partition: number): Promise<{ low: bigint; end: bigint }> {
    this.calls.push(`offsets ${partition}`);
    return { low: 0n, end: BigInt(this.end(partition)) };
  }

  seek(partition: number, offset: bigint): void {
    this.calls.push(`seek ${partition} ${offset}`);
    this.positions.set(partition, Number(offset));
  }

  async decode(value: Buffer): Promise<QueueAssignment> {
    return JSON.parse(value.toString()) as QueueAssignment;
  }

  async release(partition: number, leads: readonly HeldEntry[]): Promise<void> {
    this.calls.push(`release ${partition} ${leads.map((l) => l.key).join(',')}`);
    const fail = this.failNextRelease;
    this.failNextRelease = null;
    if (fail === 'before') throw new Error('transaction aborted');
    for (const lead of leads) {
      this.assigned.push(releasedAssignment(await this.decode(lead.value)));
      this.append(partition, lead.key, null);
    }
    this.marker(partition);
    if (fail === 'after') throw new Error('commit outcome unknown');
  }
}
