import type { TraceHeaders } from '@lead-router/observability';

/** A lead waiting on router.held, as the index keeps it: the record's bytes, not the decoded lead. */
export interface HeldEntry {
  /** The record key on router.held: the lead id. */
  key: string;
  /** `held_until`: when a member can take the lead (epoch ms). */
  dueAt: number;
  /** The queue group, for the held-leads gauge. */
  group: string;
  /** The record's value as read (Avro in the Confluent wire format). */
  value: Buffer;
  /** The record's `traceparent` (and `tracestate`), for the lead released to router.assign. */
  trace?: TraceHeaders;
}

interface Slot {
  dueAt: number;
  key: string;
  /** Which write of the key the slot is for: a slot whose entry was replaced or removed is stale. */
  seq: number;
}

/**
 * The leads held on one router.held partition, by due time: a map by lead id (the compacted
 * topic's latest record per key) and a binary min-heap of (due time, lead id). Replacing or
 * removing a lead leaves its heap slot stale instead of searching the heap for it; stale slots
 * are dropped when they reach the top, and the heap is rebuilt when they outnumber the live
 * ones, so memory follows the leads held, not the writes seen.
 */
export class PartitionHeldIndex {
  private readonly entries = new Map<string, HeldEntry & { seq: number }>();
  private heap: Slot[] = [];
  private seq = 0;
  private readonly groups = new Map<string, number>();

  get size(): number {
    return this.entries.size;
  }

  /** Heap slots, live and stale: bounded by twice the leads held (and a small floor). */
  get heapSlots(): number {
    return this.heap.length;
  }

  /** Held leads per queue group. */
  get byGroup(): ReadonlyMap<string, number> {
    return this.groups;
  }

  put(entry: HeldEntry): void {
    this.remove(entry.key);
    const seq = ++this.seq;
    this.entries.set(entry.key, { ...entry, seq });
    this.groups.set(entry.group, (this.groups.get(entry.group) ?? 0) + 1);
    this.push({ dueAt: entry.dueAt, key: entry.key, seq });
  }

  remove(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    const left = (this.groups.get(old.group) ?? 1) - 1;
    if (left > 0) this.groups.set(old.group, left);
    else this.groups.delete(old.group);
    if (this.heap.length > 64 && this.heap.length > 2 * this.entries.size) this.rebuildHeap();
  }

  /** The earliest due time held, or null when nothing is. */
  nextDue(): number | null {
    this.dropStaleTop();
    return this.heap[0]?.dueAt ?? null;
  }

  /** Removes and returns up to `limit` leads due at `now`, earliest first. */
  takeDue(now: number, limit: number): HeldEntry[] {
    const out: HeldEntry[] = [];
    while (out.length < limit) {
      this.dropStaleTop();
      const top = this.heap[0];
      if (!top || top.dueAt > now) break;
      const entry = this.entries.get(top.key)!;
      this.remove(top.key);
      const { key, dueAt, group, value, trace } = entry;
      out.push({ key, dueAt, group, value, ...(trace ? { trace } : {}) });
    }
    return out;
  }

  private isLive(slot: Slot): boolean {
    return this.entries.get(slot.key)?.seq === slot.seq;
  }

  private dropStaleTop(): void {
    while (this.heap.length > 0 && !this.isLive(this.heap[0]!)) this.pop();
  }

  private rebuildHeap(): void {
    this.heap = [];
    for (const e of this.entries.values()) this.push({ dueAt: e.dueAt, key: e.key, seq: e.seq });
  }

  private less(a: Slot, b: Slot): boolean {
    return a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq);
  }

  private push(slot: Slot): void {
    const heap = this.heap;
    heap.push(slot);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < heap.length && this.less(heap[l]!, heap[min]!)) min = l;
      if (r < heap.length && this.less(heap[r]!, heap[min]!)) min = r;
      if (min === i) return;
      [heap[i], heap[min]] = [heap[min]!, heap[i]!];
      i = min;
    }
  }
}
