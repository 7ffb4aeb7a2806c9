import 'reflect-metadata';
import type { PostgresDestination } from '@lead-router/routing';
import { runStageService } from '@lead-router/service-kit';
import { sinkRuntimeProviders, sinkStagesProvider, withErasureStage } from '@lead-router/sink-kit';
import { leadsTableAdapterProviders } from './leads-table-adapter.provider';
import { loadSinkPostgresConfig } from './sink-postgres.config';

runStageService(
  'sink-postgres',
  () => loadSinkPostgresConfig(),
  (config) =>
    withErasureStage(
      'sink-postgres',
      config,
      sinkStagesProvider<PostgresDestination>('sink-postgres', config),
    ),
  (config) => [...sinkRuntimeProviders(config), ...leadsTableAdapterProviders(config)],
);
