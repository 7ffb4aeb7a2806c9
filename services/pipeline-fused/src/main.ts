import 'reflect-metadata';
import { fusedStages, loadFusedConfig } from '@lead-router/pipeline-stages';
import { runStageService } from '@lead-router/service-kit';

/**
 * normalize, enrich and the router's match step in one process (docs/architecture.md, the fused
 * deployment): each stage its own consumer group as in its own service, one Kafka client, one
 * producer, one /health and /metrics for all of them.
 */
runStageService(
  'pipeline-fused',
  () => loadFusedConfig(),
  (config) => fusedStages(config).stages,
  (config) => fusedStages(config).providers,
);
