import 'reflect-metadata';
import { runStageService } from '@lead-router/service-kit';
import { loadSourceFetcherConfig } from './source-fetcher.config';
import { sourceFetcherProviders } from './source-fetcher.providers';
import { sourceFetcherStage } from './source-fetcher.stage';

runStageService(
  'source-fetcher',
  () => loadSourceFetcherConfig(),
  sourceFetcherStage,
  sourceFetcherProviders,
);
