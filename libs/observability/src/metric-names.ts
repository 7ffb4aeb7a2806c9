/** Every metric name the platform exports, in one place. */
export const MetricNames = {
  records: 'lead_router_records_total',
  errors: 'lead_router_errors_total',
  stageLatency: 'lead_router_stage_latency_seconds',
  batchDuration: 'lead_router_batch_duration_seconds',
  /** An exactly-once stage's transactions, by phase: send (records), offsets, commit. */
  transactionPhase: 'lead_router_transaction_phase_seconds',
  consumerLag: 'lead_router_consumer_lag',
  produced: 'lead_router_produced_records_total',
  speedToLead: 'lead_router_speed_to_lead_seconds',
  deliveryAttempts: 'lead_router_delivery_attempts_total',
  sinkDelivered: 'lead_router_sink_delivered_total',
  sinkFailed: 'lead_router_sink_failed_total',
  sinkRetried: 'lead_router_sink_retried_total',
  sinkThrottled: 'lead_router_sink_throttled_total',
  sinkFellBack: 'lead_router_sink_fell_back_total',
  sinkStopped: 'lead_router_sink_destination_stopped_total',
  sinkInFlight: 'lead_router_sink_requests_in_flight',
  /** 1 while a destination's circuit breaker is open (half-open included) on an instance, else 0. */
  sinkCircuitOpen: 'lead_router_sink_circuit_open',
  /** When the destination's parking (quota spent, or stopped) that this instance set ends, by reason. */
  sinkParkedUntil: 'lead_router_sink_destination_parked_until_timestamp_seconds',
  sinkBatchSize: 'lead_router_sink_batch_size',
  /**
   * A sink's requests by phase: `gate` (from the batch's turn to its request budget granted:
   * parking read, budget, waits) and `answer` (the request sent to its answer or failure).
   */
  sinkRequestPhase: 'lead_router_sink_request_phase_seconds',
  salesforceApiUsed: 'lead_router_salesforce_api_requests_used',
  salesforceApiAllocation: 'lead_router_salesforce_api_requests_allocation',
  httpRequests: 'lead_router_http_requests_total',
  httpDuration: 'lead_router_http_request_duration_seconds',
  /** Ingest's requests by source (API key's source or ad-platform source), route and status. */
  ingestRequests: 'lead_router_ingest_requests_total',
  /** Leads and lead references ingest handed to Kafka, by source and topic. */
  ingestLeads: 'lead_router_ingest_leads_total',
  /** Requests ingest refused at the door with 503 (load shedding), by reason. */
  ingestShed: 'lead_router_ingest_shed_total',
  /** The work one ingest instance holds: lead requests open, leads awaiting Kafka's ack. */
  ingestHeld: 'lead_router_ingest_held',
  /** Leads the router holds on router.held now, by partition and queue group. */
  routerHeldLeads: 'lead_router_router_held_leads',
  /** Held leads the router released back to assignment when due, by queue group. */
  routerHeldReleased: 'lead_router_router_held_released_total',
  /** source-fetcher's calls to a platform's API, by source and outcome. */
  sourceFetches: 'lead_router_source_fetches_total',
  /** Right-to-erasure requests a service handled, by service and what it did. */
  erasureRequests: 'lead_router_erasure_requests_total',
  /** Rows (trace index, leads tables) or entries deleted for erasure requests, by service. */
  erasedRecords: 'lead_router_erased_records_total',
} as const;
