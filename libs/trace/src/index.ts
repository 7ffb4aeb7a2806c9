export * from './lead-trace.summary';
export * from './lead-trace.formatter';
export * from './trace-index.error';
export * from './trace-index.store';
