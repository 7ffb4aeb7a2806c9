export * from './lead-row.mapper';
export * from './leads-table.error';
export * from './leads-table.migrations';
export * from './leads-table.store';
export * from './leads-table.target';
export * from './leads-upsert.builder';
export * from './postgres-destinations';
