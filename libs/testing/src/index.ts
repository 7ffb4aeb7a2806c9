export { startAll, startService, waitFor, type ServiceProcess } from '@lead-router/local-stack';
/** What a fixture adds to start a service as `npm start` does: in demo mode. */
export { DEMO_MODE_ENV } from '@lead-router/config';
export * from './test-stack';
export * from './topic.reader';
export * from './poll';
export * from './lead.fixtures';
export * from './ad-platform.fixtures';
export * from './lead-corpus';
export * from './lead.whereabouts';
export * from './group.position';
export * from './service-log.digest';
export * from './latest.counts';
export * from './rule-sets.fixtures';
