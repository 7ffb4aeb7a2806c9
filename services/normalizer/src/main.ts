import 'reflect-metadata';
import { loadStageConfig } from '@lead-router/config';
import { normalizerStage } from '@lead-router/pipeline-stages/normalizer';
import { defaultPort } from '@lead-router/schemas';
import { runStageService } from '@lead-router/service-kit';

runStageService(
  'normalizer',
  () => loadStageConfig('normalizer', defaultPort('normalizer')),
  (config) => normalizerStage(config),
);
