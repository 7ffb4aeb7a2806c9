export * from './config.loader';
export * from './stage.config';
