import 'reflect-metadata';
import type { HubSpotDestination } from '@lead-router/routing';
import { runStageService } from '@lead-router/service-kit';
import { sinkRuntimeProviders, sinkStagesProvider, withErasureStage } from '@lead-router/sink-kit';
import { hubspotAdapterProviders } from './hubspot-adapter.provider';
import { loadSinkHubspotConfig } from './sink-hubspot.config';

runStageService(
  'sink-hubspot',
  loadSinkHubspotConfig,
  (config) =>
    withErasureStage(
      'sink-hubspot',
      config,
      sinkStagesProvider<HubSpotDestination>('sink-hubspot', config),
    ),
  (config) => [...sinkRuntimeProviders(config), ...hubspotAdapterProviders(config)],
);
