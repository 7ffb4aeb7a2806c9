export * from './rules-admin.error';
export * from './rules-admin.deps';
export * from './rule-set.publisher';
export * from './enriched-window.reader';
export * from './window.simulator';
