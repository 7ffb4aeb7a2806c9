export * from './config.loader';
export * from './sql-identifier';
export * from './stage.config';
export * from './credential.resolver';
export * from './run-mode';
export * from './transport.config';
