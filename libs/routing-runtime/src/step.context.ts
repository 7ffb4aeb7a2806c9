import type { RecordContext } from '@lead-router/kafka';

/** What a step reads of the record it handles: where it sits, its key and its headers. */
export type StepContext = Pick<RecordContext, 'partition' | 'offset' | 'key'> &
  Partial<Pick<RecordContext, 'headers'>>;

/**
 * On each router.assign record the match step writes: the leads.enriched position it came from,
 * `<partition>@<offset>`. The assign step drops a record from a position its group already
 * passed, so a lead the match step handled twice is still assigned once.
 */
export const SOURCE_HEADER = 'lr-source';

export interface SourcePosition {
  partition: number;
  offset: bigint;
}

export function sourceOf(headers: Record<string, string> | undefined): SourcePosition | null {
  const match = /^(\d+)@(\d+)$/.exec(headers?.[SOURCE_HEADER] ?? '');
  return match ? { partition: Number(match[1]), offset: BigInt(match[2]!) } : null;
}
