import 'reflect-metadata';
import { runStageService } from '@lead-router/service-kit';
import { pgPoolProviders } from './pg-pool.provider';
import { loadSinkPostgresConfig } from './sink-postgres.config';
import { sinkPostgresStage } from './sink-postgres.stage';

runStageService(
  'sink-postgres',
  () => loadSinkPostgresConfig(),
  sinkPostgresStage,
  pgPoolProviders,
);
