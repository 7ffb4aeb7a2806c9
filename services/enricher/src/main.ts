import 'reflect-metadata';
import { accountsProviders, enricherStage, loadEnricherConfig } from '@lead-router/pipeline-stages';
import { runStageService } from '@lead-router/service-kit';

runStageService(
  'enricher',
  () => loadEnricherConfig(),
  (config) => enricherStage(config),
  (config) => accountsProviders(config),
);
