import { ensureTraceTable } from '@lead-router/trace';
import { LOGGER, SERVICE_PROBES } from '@lead-router/service-kit';
import type { Logger } from '@lead-router/observability';
import { Inject, Injectable, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { Pool } from 'pg';
import type { IndexerConfig } from './indexer.config';
import { TraceIndexHealth } from './trace-index.health';

export const PG_POOL = Symbol('PG_POOL');

/**
 * The PostgreSQL pool, with the trace table created before any consumer starts, and the trace
 * index's health probe (down while writes to PostgreSQL fail).
 */
export function pgPoolProviders(config: IndexerConfig): Provider[] {
  return [
    {
      provide: PG_POOL,
      inject: [LOGGER],
      useFactory: async (logger: Logger): Promise<Pool> => {
        const pool = new Pool({ connectionString: config.pg.url, max: 8 });
        pool.on('error', (err) => logger.error({ err }, 'idle PostgreSQL client failed'));
        await ensureTraceTable(pool, config.pg.table);
        return pool;
      },
    },
    PgPoolCloser,
    {
      provide: TraceIndexHealth,
      inject: [LOGGER],
      useFactory: (logger: Logger) => new TraceIndexHealth(logger),
    },
    {
      provide: SERVICE_PROBES,
      inject: [TraceIndexHealth],
      useFactory: (health: TraceIndexHealth) => [
        { name: 'trace-index', healthy: () => health.healthy },
      ],
    },
  ];
}

/** Ends the pool after the consumers drained (Nest calls this after beforeApplicationShutdown). */
@Injectable()
class PgPoolCloser implements OnApplicationShutdown {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
