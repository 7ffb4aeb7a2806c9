import 'reflect-metadata';
import { runStageService } from '@lead-router/service-kit';
import { loadIndexerConfig } from './indexer.config';
import { indexerStages } from './indexer.stage';
import { pgPoolProviders } from './pg-pool.provider';

runStageService('indexer', () => loadIndexerConfig(), indexerStages, pgPoolProviders);
