import 'reflect-metadata';
import { loadStageConfig } from '@lead-router/config';
import { runStageService } from '@lead-router/service-kit';
import { enricherStage } from './enricher.stage';

runStageService(
  'enricher',
  () => loadStageConfig('enricher', 8182),
  (config) => enricherStage(config),
);
