export { startService, waitFor, type ServiceProcess } from '@lead-router/local-stack';
export * from './test-stack';
export * from './topic.reader';
export * from './lead.fixtures';
export * from './ad-platform.fixtures';
export * from './lead-corpus';
