export { limiterWindow, type LimiterWindow } from './budget.slicing';
export {
  BatchFailedError,
  type BreakerSettings,
  DestinationBreakers,
  type Guarded,
} from './destination.breakers';
export {
  type BudgetAnswer,
  type DestinationGate,
  type GateStore,
  LimiterDestinationGate,
} from './destination.gate';
export {
  type BudgetLimits,
  type BudgetWindow,
  DEFAULT_BREAKER,
  DEFAULT_BUDGETS,
  DEFAULT_RETRY_DELAYS_MS,
  type DestinationPolicy,
  budgetLimits,
  destinationPolicy,
} from './destination.policy';
export { durationMs } from './duration.parser';
export {
  type SinkErasureOptions,
  erasureRequestedOutcome,
  sinkErasureStage,
} from './erasure.stage';
export { type RetryTier, longestDelayMs, tierFor } from './retry-tier.selector';
export type {
  BudgetSetting,
  CommonDestinationConfig,
  ConfigResolver,
  DeliveryTask,
  DurationSetting,
  ErasureSubject,
  SinkAdapter,
} from './sink.adapter';
export {
  type PendingTask,
  SinkDeliverer,
  type SinkDelivererOptions,
  runLimited,
} from './sink.deliverer';
export { type SinkMetrics, createSinkMetrics } from './sink.metrics';
export { ChunkCoalescer, type ChunkCoalescerOptions } from './chunk.coalescer';
export {
  DEFAULT_SINK_BATCHING,
  type RetryTierStage,
  type SinkBatching,
  type SinkStagesOptions,
  retryTierStages,
  sinkStages,
} from './sink.stages';
export {
  type SinkTopics,
  type TaskRecord,
  type TaskRecords,
  taskRecords,
} from './task-records.builder';
export {
  type Disposition,
  type DispositionContext,
  dispositionFor,
  openCircuitDisposition,
} from './verdict.disposition';
