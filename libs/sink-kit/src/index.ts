export { RulesFollowerLifecycle, SinkRedis } from './sink.lifecycles';
export { withErasureStage } from './sink-erasure.provider';
export {
  SINK_ADAPTER,
  type SinkServiceConfig,
  catalogResolver,
  rulesProviders,
  sinkRuntimeProviders,
  sinkStagesProvider,
} from './sink.providers';
export {
  RULES_FILE_REQUIREMENT,
  SINK_REQUIREMENTS,
  type SinkSettings,
  sinkEnvShape,
  sinkSettingsOf,
} from './sink.settings';
export { checkDestinationCredentials, credentialRefsOf } from './destination-credentials.check';
