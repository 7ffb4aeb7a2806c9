export { SinkRedis, SinkRulesFollower } from './sink.lifecycles';
export {
  SINK_ADAPTER,
  type SinkServiceConfig,
  catalogResolver,
  sinkRuntimeProviders,
  sinkStagesProvider,
} from './sink.providers';
export { type SinkSettings, sinkEnvShape, sinkSettingsOf } from './sink.settings';
