import { insertTraceRows, type TraceRow } from '@lead-router/trace';
import type { Pool } from 'pg';

/**
 * Rows a stage's handler saw, written when its chunk ends. Partitions of one consumer run
 * concurrently, so a flush may carry another chunk's rows: every flush therefore waits for all
 * writes in flight, and a chunk commits its offsets only once every row it handed over is in.
 */
export class TraceIndexBuffer {
  private rows: TraceRow[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly pool: Pool,
    private readonly table: string,
  ) {}

  add(row: TraceRow): void {
    this.rows.push(row);
  }

  async flush(): Promise<void> {
    const rows = this.rows;
    this.rows = [];
    const write = insertTraceRows(this.pool, this.table, rows);
    this.inFlight.add(write);
    try {
      await Promise.all([...this.inFlight]);
    } finally {
      this.inFlight.delete(write);
    }
  }
}
