export * from './avro.codec';
export * from './batching.producer';
export * from './dead-letter';
export * from './errors';
export * from './kafka.factory';
export * from './stage.runner';
export * from './topic.admin';
export * from './topic.reader';
