import 'reflect-metadata';
import { runStageService } from '@lead-router/service-kit';
import { rulesProviders } from '@lead-router/sink-kit';
import { heldQueueProvider } from './held-queue.lifecycle';
import { loadRouterConfig } from './router.config';
import { routerStagesProvider } from './router.providers';

runStageService(
  'router',
  loadRouterConfig,
  (config) => routerStagesProvider(config),
  (config) => [...rulesProviders(config), heldQueueProvider(config)],
);
