import 'reflect-metadata';
import { runStageService } from '@lead-router/service-kit';
import { loadRouterConfig } from './router.config';
import { routerStage } from './router.stage';

runStageService('router', loadRouterConfig, (config) => routerStage(config));
