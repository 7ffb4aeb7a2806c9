import type { ChunkInfo, StageOutput } from '@lead-router/kafka';

export interface ChunkCoalescerOptions<T> {
  /** Delivers one round's tasks; every output is keyed by the lead id of the task it is for. */
  deliver(tasks: T[]): Promise<StageOutput[]>;
  leadIdOf(task: T): string;
  /** The longest a chunk waits for the other chunks begun with it before its round goes. */
  maxWaitMs: number;
}

interface Submission<T> {
  tasks: T[];
  resolve(outputs: StageOutput[]): void;
  reject(error: unknown): void;
}

/**
 * Joins the chunks that a stage's partitions hand over together into one delivery, so that a
 * destination's batch spans partitions: kafkajs gives each partition of a fetch its own batch,
 * and six partitions would otherwise cut every batch six ways.
 *
 * A round goes when every chunk begun has handed over its tasks, when the oldest has waited
 * `maxWaitMs`, or when the round before it ends: one round delivers at a time, and the chunks
 * that arrive meanwhile make the next one (as a group commit does). Each chunk gets back the
 * outputs for its own leads, and its runner produces them and commits its own offsets, so a
 * crash at any point leaves every unfinished lead uncommitted in Kafka.
 */
export class ChunkCoalescer<T> {
  /** Chunks begun and not yet handed over, by topic and partition. */
  private readonly open = new Set<string>();
  private waiting: Submission<T>[] = [];
  private timer: NodeJS.Timeout | null = null;
  private expired = false;
  private busy = false;

  constructor(private readonly options: ChunkCoalescerOptions<T>) {}

  /** A chunk has begun: a round waits for it (a chunk begun again replaces itself). */
  begin(chunk: ChunkInfo): void {
    this.open.add(keyOf(chunk));
  }

  /** The chunk's tasks, delivered in a round; answers the outputs for the chunk's leads. */
  submit(chunk: ChunkInfo, tasks: T[]): Promise<StageOutput[]> {
    this.open.delete(keyOf(chunk));
    const answer =
      tasks.length === 0
        ? Promise.resolve([])
        : new Promise<StageOutput[]>((resolve, reject) =>
            this.waiting.push({ tasks, resolve, reject }),
          );
    this.schedule();
    return answer;
  }

  /**
   * The group changed: a chunk begun before may never be handed over (its partition moved, or it
   * failed and will not be tried here again), so no round waits for it any more.
   */
  reset(): void {
    this.open.clear();
    this.schedule();
  }

  private schedule(): void {
    if (this.waiting.length === 0 || this.busy) return;
    if (this.open.size === 0 || this.expired) {
      void this.flush();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.expired = true;
      this.schedule();
    }, this.options.maxWaitMs);
  }

  private async flush(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.expired = false;
    this.busy = true;
    const round = this.waiting;
    this.waiting = [];
    // A lead is in one chunk only (leads are keyed by id), so its outputs go back to that chunk.
    const ownerOf = new Map<string, number>();
    round.forEach((s, i) => {
      for (const task of s.tasks) {
        const id = this.options.leadIdOf(task);
        if (!ownerOf.has(id)) ownerOf.set(id, i);
      }
    });
    try {
      const outputs = await this.options.deliver(round.flatMap((s) => s.tasks));
      const perChunk: StageOutput[][] = round.map(() => []);
      for (const output of outputs) perChunk[ownerOf.get(output.key) ?? 0]!.push(output);
      round.forEach((s, i) => s.resolve(perChunk[i]!));
    } catch (error) {
      for (const s of round) s.reject(error);
    } finally {
      this.busy = false;
      // The chunks that came in meanwhile have waited a whole round already.
      this.expired = this.waiting.length > 0;
      this.schedule();
    }
  }
}

function keyOf(chunk: ChunkInfo): string {
  return `${chunk.topic}\u0000${chunk.partition}`;
}
