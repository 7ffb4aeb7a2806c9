import 'reflect-metadata';
import { runStageService } from '@lead-router/service-kit';
import { loadRouterConfig } from './router.config';
import { routerStages, rulesRegistryProvider } from './router.stage';

runStageService(
  'router',
  loadRouterConfig,
  (config) => routerStages(config),
  (config) => [rulesRegistryProvider(config)],
);
