import 'reflect-metadata';
import { runStageService } from '@lead-router/service-kit';
import { loadRouterConfig } from './router.config';
import { routerStagesProvider, rulesProviders } from './router.providers';

runStageService(
  'router',
  loadRouterConfig,
  (config) => routerStagesProvider(config),
  (config) => rulesProviders(config),
);
