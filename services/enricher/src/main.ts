import 'reflect-metadata';
import {
  accountsProviders,
  enricherStage,
  loadEnricherConfig,
} from '@lead-router/pipeline-stages/enricher';
import { runStageService } from '@lead-router/service-kit';

runStageService(
  'enricher',
  () => loadEnricherConfig(),
  (config) => enricherStage(config),
  (config) => accountsProviders(config),
);
