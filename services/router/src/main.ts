import 'reflect-metadata';
import { loadRouterConfig, routerStagesProvider } from '@lead-router/pipeline-stages/router';
import { runStageService } from '@lead-router/service-kit';
import { rulesProviders } from '@lead-router/sink-kit';
import { heldQueueProvider } from './held-queue.lifecycle';

runStageService(
  'router',
  loadRouterConfig,
  (config) => routerStagesProvider(config),
  // The held queue releases leads to router.assign: it runs where the assign step runs.
  (config) => [
    ...rulesProviders(config),
    ...(config.steps.includes('assign') ? [heldQueueProvider(config)] : []),
  ],
);
