export * from './service.process';
export * from './test-stack';
export * from './topic.reader';
export * from './wait';
