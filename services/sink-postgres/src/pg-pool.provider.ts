import { allTargets, migrateLeadsTable, targetKey } from '@lead-router/leads-table';
import type { Logger } from '@lead-router/observability';
import { LOGGER } from '@lead-router/service-kit';
import { Inject, Injectable, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { Pool } from 'pg';
import type { SinkPostgresConfig } from './sink-postgres.config';

export const PG_POOL = Symbol('PG_POOL');

/** The PostgreSQL pool, with every leads table migrated before the consumer starts. */
export function pgPoolProviders(config: SinkPostgresConfig): Provider[] {
  return [
    {
      provide: PG_POOL,
      inject: [LOGGER],
      useFactory: async (logger: Logger): Promise<Pool> => {
        for (const target of allTargets(config.pg.destinations)) {
          const ran = await migrateLeadsTable(config.pg.url, target);
          logger.info({ table: targetKey(target), migrations: ran }, 'leads table up to date');
        }
        const pool = new Pool({ connectionString: config.pg.url, max: 4 });
        pool.on('error', (err) => logger.error({ err }, 'idle PostgreSQL client failed'));
        return pool;
      },
    },
    PgPoolCloser,
  ];
}

/** Ends the pool after the consumer drained (Nest calls this after beforeApplicationShutdown). */
@Injectable()
class PgPoolCloser implements OnApplicationShutdown {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
