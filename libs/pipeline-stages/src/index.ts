export { normalizerStage } from './normalizer.stage';
export { accountsProviders, enricherStage } from './enricher.stage';
export { type EnricherConfig, type EnrichSettings, loadEnricherConfig } from './enricher.config';
export { buildEnricher } from './enricher.steps';
export { AccountsTopicFollower } from './accounts.follower';
export {
  ROUTER_STEPS,
  type RouterConfig,
  type RouterStep,
  loadRouterConfig,
} from './router.config';
export { routerStagesProvider } from './router.providers';
export { FUSED_GROUP_KEYS, type FusedConfig, loadFusedConfig } from './fused.config';
export { fusedStages } from './fused.stages';
