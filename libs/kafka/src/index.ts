export * from './avro.codec';
export * from './batching.producer';
export * from './dead-letter';
export * from './dead-letter.policy';
export * from './due.gate';
export {
  type KafkaErrorOptions,
  type TopicSetupErrorCode,
  AckTimeoutError,
  DecodeError,
  InvalidRecordError,
  SchemaNotRegisteredError,
  SchemaRegistryError,
  TopicSetupError,
  TransientError,
} from './errors';
export * from './kafka.factory';
export * from './keyed.concurrency';
export * from './partition.transactions';
export * from './process.transactions';
export * from './record.headers';
export * from './registry.startup';
export * from './request.split';
export * from './stage.definition';
export * from './stage.runner';
export * from './stage.transactions';
export * from './topic.admin';
export * from './topic.limits';
export * from './topic.reader';
