export * from './generated/types';
export { allSchemas } from './generated/schemas';
export * from './topics';
export * from './services.manifest';
