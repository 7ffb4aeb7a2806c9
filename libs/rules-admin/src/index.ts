export * from './rules-admin.error';
export * from './rules-admin.deps';
export * from './rule-set.publisher';
export * from './enriched-window.reader';
export * from './window.simulator';
export * from './lead-trace.summary';
export * from './lead-trace.formatter';
export * from './trace-index.store';
