/** What the enricher service loads (`@lead-router/pipeline-stages/enricher`): its stages only. */
export { accountsProviders, enricherStage } from './enricher.stage';
export { type EnricherConfig, type EnrichSettings, loadEnricherConfig } from './enricher.config';
export { buildEnricher } from './enricher.steps';
export { AccountsTopicFollower } from './accounts.follower';
