export {
  DEFAULT_APICURIO_VERSION,
  DEFAULT_KAFKA_VERSION,
  ensureArtifacts,
  findApicurioRunner,
  findKafkaPom,
} from './artifacts';
export type { ArtifactOptions, Artifacts } from './artifacts';
export { startStack, serverProperties } from './stack';
export type { Compatibility, LocalStack, StackOptions } from './stack';
export { fetchMetadata } from './kafka-probe';
export type { MetadataInfo, MetadataBroker } from './kafka-probe';
export { startDemoInbox } from './demo-inbox';
export type { DemoInbox, DemoInboxOptions, InboxDelivery } from './demo-inbox';
export { defaultCacheDir, freePort } from './util';
export { startService } from './service.process';
export type { ServiceProcess } from './service.process';
export { waitFor } from './wait';
