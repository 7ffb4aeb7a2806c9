import { migrateLeadsTable, startTargets, targetKey } from '@lead-router/leads-table';
import type { Logger } from '@lead-router/observability';
import type { PostgresDestination } from '@lead-router/routing';
import { RulesRegistry } from '@lead-router/routing-runtime';
import { LOGGER } from '@lead-router/service-kit';
import { SINK_ADAPTER } from '@lead-router/sink-kit';
import type { SinkAdapter } from '@lead-router/sink-runtime';
import type { OnApplicationShutdown, Provider } from '@nestjs/common';
import { Pool } from 'pg';
import { LeadsTableAdapter } from './leads-table.adapter';
import type { SinkPostgresConfig } from './sink-postgres.config';

/** The PostgreSQL pool, ended once the stages have drained. */
export class PgPoolLifecycle implements OnApplicationShutdown {
  constructor(readonly pool: Pool) {}

  onApplicationShutdown(): Promise<void> {
    return this.pool.end();
  }
}

/**
 * The layer's adapter for `postgres` destinations over one pool, with every table the sink may
 * write to migrated before the consumers start: the environment's and those the rules file's
 * postgres destinations name. A table a later published version names is migrated on its
 * first batch.
 */
export function leadsTableAdapterProviders(config: SinkPostgresConfig): Provider[] {
  const migrate = (target: Parameters<typeof migrateLeadsTable>[1]) =>
    migrateLeadsTable(config.pg.url, target);
  return [
    {
      provide: PgPoolLifecycle,
      inject: [LOGGER],
      useFactory: (logger: Logger) => {
        const pool = new Pool({ connectionString: config.pg.url, max: 4 });
        pool.on('error', (err) => logger.error({ err }, 'idle PostgreSQL client failed'));
        return new PgPoolLifecycle(pool);
      },
    },
    {
      provide: SINK_ADAPTER,
      inject: [PgPoolLifecycle, RulesRegistry, LOGGER],
      useFactory: async (
        { pool }: PgPoolLifecycle,
        registry: RulesRegistry,
        logger: Logger,
      ): Promise<SinkAdapter<PostgresDestination>> => {
        const tables = startTargets(config.pg.destinations, registry.current.destinations);
        for (const target of tables) {
          const ran = await migrate(target);
          logger.info({ table: targetKey(target), migrations: ran }, 'leads table up to date');
        }
        return new LeadsTableAdapter({
          db: pool,
          tables: config.pg.destinations,
          migrate: async (target) => {
            const ran = await migrate(target);
            logger.info({ table: targetKey(target), migrations: ran }, 'leads table up to date');
          },
          migrated: tables,
        });
      },
    },
  ];
}
