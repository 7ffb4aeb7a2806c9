export * from './exposition.parser';
export * from './held-queue.metrics';
export * from './logger';
export * from './metric-names';
export * from './metrics';
export * from './lead.tracer';
export * from './trace-context';
export * from './tracing.sdk';
