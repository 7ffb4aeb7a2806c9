import type { Logger } from '@lead-router/observability';

/**
 * Whether the trace index can be written: unhealthy from a failed write until the next one that
 * succeeds, so /health reports PostgreSQL's outage while the records wait in Kafka.
 */
export class TraceIndexHealth {
  private failing = false;

  constructor(private readonly logger: Logger) {}

  get healthy(): boolean {
    return !this.failing;
  }

  failed(cause: unknown): void {
    if (!this.failing) {
      this.logger.error(
        { err: cause },
        'trace index unwritable (PostgreSQL): holding offsets, records wait in Kafka',
      );
    }
    this.failing = true;
  }

  written(): void {
    if (this.failing) this.logger.warn('trace index writable again: catching up');
    this.failing = false;
  }
}
