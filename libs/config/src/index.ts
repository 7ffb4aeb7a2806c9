export * from './config.loader';
