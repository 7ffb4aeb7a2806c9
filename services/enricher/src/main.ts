import 'reflect-metadata';
import { loadStageConfig } from '@lead-router/config';
import { defaultPort } from '@lead-router/schemas';
import { runStageService } from '@lead-router/service-kit';
import { enricherStage } from './enricher.stage';

runStageService(
  'enricher',
  () => loadStageConfig('enricher', defaultPort('enricher')),
  (config) => enricherStage(config),
);
