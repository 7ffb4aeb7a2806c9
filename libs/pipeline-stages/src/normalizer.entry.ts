/** What the normalizer service loads (`@lead-router/pipeline-stages/normalizer`): its stage only. */
export { normalizerStage } from './normalizer.stage';
