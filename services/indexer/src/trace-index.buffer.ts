import { TransientError } from '@lead-router/kafka';
import { insertTraceRows, type TraceRow } from '@lead-router/trace';
import type { Pool } from 'pg';
import type { TraceIndexHealth } from './trace-index.health';

/**
 * Rows a stage's handler saw, kept per partition and written when that partition's chunk ends,
 * before the chunk commits its offsets. Partitions of one consumer run concurrently; a buffer
 * shared between them let one partition's flush carry another's rows, so that when the write
 * failed the other partition could flush nothing, succeed, and commit offsets whose rows were
 * never written. Per partition, a chunk commits only once its own rows are in.
 */
export class TraceIndexBuffer {
  private readonly rows = new Map<number, TraceRow[]>();

  constructor(
    private readonly pool: Pool,
    private readonly table: string,
    private readonly health: TraceIndexHealth,
  ) {}

  add(row: TraceRow): void {
    const rows = this.rows.get(row.partition);
    if (rows) rows.push(row);
    else this.rows.set(row.partition, [row]);
  }

  /**
   * Writes the partition's rows. A failed write throws a retriable error: the chunk does not
   * commit, the consumer reads the records again (their rows are added again), and PostgreSQL's
   * primary key drops any that did get in.
   */
  async flush(partition: number): Promise<void> {
    const rows = this.rows.get(partition) ?? [];
    this.rows.delete(partition);
    try {
      await insertTraceRows(this.pool, this.table, rows);
    } catch (cause) {
      this.health.failed(cause);
      throw new TransientError(
        `the trace index write failed (${cause instanceof Error ? cause.message : String(cause)}); the records stay uncommitted`,
        'trace_index_unavailable',
        { context: { table: this.table, partition, rows: rows.length }, cause },
      );
    }
    if (rows.length > 0) this.health.written();
  }
}
