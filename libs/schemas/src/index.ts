export * from './generated/types';
export { allSchemas } from './generated/schemas';
export * from './topics';
