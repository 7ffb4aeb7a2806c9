import { LeadRouterError, errorMessage, isRetriable } from '@lead-router/errors';
import type { DeadLetter } from '@lead-router/schemas';
import { deadLetter } from './dead-letter';
import type { RecordContext, StageOutput, StageResult } from './stage.definition';

/** What a stage's handler did with one record (decoding included): returned, or threw. */
export type HandlerOutcome =
  { kind: 'returned'; result: StageResult } | { kind: 'threw'; error: unknown };

/** What the runner does with one record. */
export type RecordDecision =
  /** Produce the outputs; the record's offset may be committed once they are acknowledged. */
  | { kind: 'produce'; outputs: StageOutput[] }
  /** Produce the outputs and the dead letter; the offset may then be committed. */
  | { kind: 'dead-letter'; outputs: StageOutput[]; letter: DeadLetter }
  /** Throw `error` out of the batch, so the offset stays uncommitted and the record comes back. */
  | { kind: 'retry'; error: unknown };

export interface RecordOutcome {
  stage: string;
  record: RecordContext;
  outcome: HandlerOutcome;
  /**
   * The lead id of the decoded input (null if it could not be decoded), asked for only when a
   * dead letter does not name its lead already.
   */
  leadId: () => string | null;
  now: number;
}

/**
 * The dead-letter policy: a retriable error (ours, or kafkajs' own) is rethrown; any other error
 * dead-letters the record with the error's code (`handler_failed` when it has none) and message;
 * a `dead` result dead-letters it as the handler says. A dead letter counts the record's attempts
 * unless the handler counted its own (a delivery that retried within one pass).
 */
export function decideRecord({
  stage,
  record,
  outcome,
  leadId,
  now,
}: RecordOutcome): RecordDecision {
  if (outcome.kind === 'threw') {
    const { error } = outcome;
    if (isRetriable(error)) return { kind: 'retry', error };
    const code = error instanceof LeadRouterError ? error.code : 'handler_failed';
    const failure = {
      code,
      error: errorMessage(error),
      attempts: record.attempts,
      leadId: leadId(),
    };
    return { kind: 'dead-letter', outputs: [], letter: deadLetter(stage, record, failure, now) };
  }
  const { result } = outcome;
  if (result.kind === 'ok') return { kind: 'produce', outputs: result.outputs };
  const failure = {
    code: result.code,
    error: result.error,
    attempts: result.attempts ?? record.attempts,
    leadId: result.leadId ?? leadId(),
  };
  return {
    kind: 'dead-letter',
    outputs: result.outputs ?? [],
    letter: deadLetter(stage, record, failure, now),
  };
}
