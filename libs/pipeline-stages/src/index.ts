// Every stage, for the fused deployment. A split service loads only its own entry (≈ 250 fewer
// modules, 15-20 MB less memory: bench/RESULTS.md), e.g. `@lead-router/pipeline-stages/router`.
export * from './normalizer.entry';
export * from './enricher.entry';
export * from './router.entry';
export { FUSED_GROUP_KEYS, type FusedConfig, loadFusedConfig } from './fused.config';
export { fusedStages } from './fused.stages';
