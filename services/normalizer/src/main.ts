import 'reflect-metadata';
import { loadStageConfig } from '@lead-router/config';
import { defaultPort } from '@lead-router/schemas';
import { runStageService } from '@lead-router/service-kit';
import { normalizerStage } from './normalizer.stage';

runStageService(
  'normalizer',
  () => loadStageConfig('normalizer', defaultPort('normalizer')),
  (config) => normalizerStage(config),
);
