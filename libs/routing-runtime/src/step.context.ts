import type { RecordContext } from '@lead-router/kafka';

/** What a step reads of the record it handles: where it sits and its key. */
export type StepContext = Pick<RecordContext, 'partition' | 'offset' | 'key'>;
