export {
  DEFAULT_APICURIO_VERSION,
  DEFAULT_KAFKA_VERSION,
  ensureArtifacts,
  findApicurioRunner,
  findKafkaPom,
} from './artifacts';
export type { ArtifactOptions, Artifacts } from './artifacts';
export { startStack } from './stack';
export type { LocalStack, StackOptions } from './stack';
export { serverProperties } from './kafka.config';
export type { Compatibility } from './registry';
export { StackError } from './stack.errors';
export type { StackErrorCode } from './stack.errors';
export { fetchMetadata } from './kafka-probe';
export type { MetadataInfo, MetadataBroker } from './kafka-probe';
export { startDemoInbox } from './demo-inbox';
export type { DemoInbox, DemoInboxOptions, InboxDelivery } from './demo-inbox';
export { defaultCacheDir } from './util';
export type { LogLine } from './util';
export { freePort } from './ports';
export { SERVICE_LOG_DIR_ENV, SERVICE_NODE_FLAGS, startAll, startService } from './service.process';
export type { ServiceProcess } from './service.process';
export { waitFor } from './wait';
export { publishStartRules } from './start-rules.publisher';
export type { StartRulesOptions } from './start-rules.publisher';
