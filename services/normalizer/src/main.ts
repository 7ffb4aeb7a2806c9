import 'reflect-metadata';
import { loadStageConfig } from '@lead-router/config';
import { runStageService } from '@lead-router/service-kit';
import { normalizerStage } from './normalizer.stage';

runStageService(
  'normalizer',
  () => loadStageConfig('normalizer', 8181),
  (config) => normalizerStage(config),
);
