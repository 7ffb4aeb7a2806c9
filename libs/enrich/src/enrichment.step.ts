import type { EnrichedLead, Enrichment, EnrichmentStepStatus } from '@lead-router/schemas';

/** What one step learned: its status and the enrichment fields it sets. */
export interface StepResult {
  status: EnrichmentStepStatus;
  patch?: Partial<Enrichment>;
}

/**
 * One enrichment step. It reads the lead as enriched by the steps before it and returns what it
 * learned rather than changing the lead, so the enricher can drop a late answer. A step that
 * answers synchronously costs no promise; one that may wait names its `timeoutMs`, past which
 * the enricher records `timeout` and moves on.
 */
export interface EnrichmentStep {
  /** Its key in `enrichment_status`. */
  readonly name: string;
  /** The longest the enricher waits for an asynchronous answer. */
  readonly timeoutMs?: number;
  run(lead: EnrichedLead): StepResult | Promise<StepResult>;
}
