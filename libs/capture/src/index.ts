export type { FieldIssue } from './field-issue.type';
export { LEAD_ID_NAMESPACE, leadIdFor, randomLeadId } from './lead-id.generator';
export {
  KNOWN_FIELD_MAX_LENGTH,
  MAX_ATTRIBUTES,
  MAX_ATTRIBUTE_KEY_LENGTH,
  MAX_ATTRIBUTE_VALUE_LENGTH,
  type KnownField,
} from './lead-input.schema';
export { type CaptureContext, MAX_BATCH_SIZE, captureLead, captureBatch } from './lead.capturer';
export {
  type ColumnTarget,
  type CsvMapping,
  type MappingRequest,
  resolveCsvMapping,
} from './csv-mapping';
export { captureCsvRow, contentKey } from './csv-row.capturer';
export { type CsvRow, readCsvRows } from './csv-rows.reader';
export * from './sources';
