import 'reflect-metadata';
import { runStageService } from '@lead-router/service-kit';
import { loadEnricherConfig } from './enricher.config';
import { accountsProviders, enricherStage } from './enricher.stage';

runStageService(
  'enricher',
  () => loadEnricherConfig(),
  (config) => enricherStage(config),
  (config) => accountsProviders(config),
);
