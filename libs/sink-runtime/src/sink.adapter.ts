import type { LeadVerdict } from '@lead-router/delivery';
import type { TraceHeaders } from '@lead-router/observability';
import type { Destination, RoutedLead } from '@lead-router/schemas';

/** A duration in a destination's settings: seconds as a number, or `500ms`, `10s`, `1m`, `2h`, `1d`. */
export type DurationSetting = number | string;

/**
 * The keys every destination may carry whatever its type (the rule set's `destinations`), as the
 * sink layer reads them. A sink's adapter reads its own keys from the same object.
 */
export interface CommonDestinationConfig {
  /** The destination's type; the sink serves only its adapter's type. */
  readonly type: string;
  /** The destination that takes this one's leads when it stays down. */
  readonly fallback?: string | null;
  /** The request budget, replacing the type's defaults key by key. */
  readonly budget?: Partial<BudgetSetting> | null;
  readonly retry?: { readonly delays?: readonly DurationSetting[] } | null;
  readonly batch?: { readonly max_size?: number } | null;
  readonly breaker?: {
    readonly failures?: number;
    readonly half_open_after?: DurationSetting;
    readonly fallback_after?: DurationSetting;
  } | null;
}

/** `requests` per `per_seconds`, at most `daily` a day and `concurrency` at once. */
export interface BudgetSetting {
  readonly requests: number;
  readonly per_seconds: number;
  readonly daily?: number | null;
  readonly concurrency?: number | null;
}

/** One lead for one destination of the sink's type. */
export interface DeliveryTask<C extends CommonDestinationConfig = CommonDestinationConfig> {
  readonly lead: RoutedLead;
  /** The destination as the router wrote it, with the owner it chose there. */
  readonly destination: Destination;
  readonly config: C;
  /** The attempt this send is: 1 the first time, one more after each retry tier. */
  readonly attempts: number;
  /**
   * The id of this lead's delivery to this destination (`deliveryIdFor`), the same on every try:
   * computed once when the task is made, for the request (a webhook's `webhook-id`) and the
   * outcome alike. A SHA-1 each, it was computed for both, 5 % of a webhook sink's CPU.
   */
  readonly deliveryId: string;
  /** The destination whose leads this one takes, when it is a fallback. */
  readonly fallbackFrom?: string;
  /**
   * While tracing is on, the `traceparent` (and `tracestate`) of the lead's delivery span, set
   * just before `send`: an adapter whose request carries one lead may send them with it, so the
   * receiver can continue the lead's trace.
   */
  trace?: TraceHeaders;
}

/** Whom a right-to-erasure request names: a lead, or every lead of an email (its SHA-256). */
export interface ErasureSubject {
  readonly leadId: string | null;
  readonly emailSha256: string | null;
}

/**
 * What a sink adds to the layer: how to send a batch to one destination of its type. `send`
 * answers one verdict per task (by lead id); a throw is a `retry` of the whole batch. Every task
 * of one call shares the destination.
 */
export interface SinkAdapter<C extends CommonDestinationConfig = CommonDestinationConfig> {
  readonly type: string;
  /** The most leads one request may carry to this destination (the vendor's batch limit). */
  maxBatchSize(config: C): number;
  send(tasks: readonly DeliveryTask<C>[], signal: AbortSignal): Promise<LeadVerdict[]>;
  /**
   * Deletes what the sink wrote about a forgotten person, wherever it wrote it, and answers how
   * many records went; a retriable throw handles the request again. A sink that cannot take
   * back what it delivered (a CRM, a webhook) has none: the layer records ERASURE_REQUESTED
   * outcomes for the operator instead (`sinkErasureStage`).
   */
  erase?(subject: ErasureSubject): Promise<number>;
}

/**
 * The destination's configuration by its name in the lead's rule set; undefined if unknown. It
 * may answer later (the rule-set version that routed the lead may not have reached this process
 * yet); a retriable throw leaves the chunk uncommitted, so it is processed again.
 */
export type ConfigResolver<C extends CommonDestinationConfig = CommonDestinationConfig> = (
  lead: RoutedLead,
  destinationName: string,
) => C | undefined | Promise<C | undefined>;
