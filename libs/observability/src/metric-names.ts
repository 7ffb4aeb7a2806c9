/** Every metric name the platform exports, in one place. */
export const MetricNames = {
  records: 'lead_router_records_total',
  errors: 'lead_router_errors_total',
  stageLatency: 'lead_router_stage_latency_seconds',
  batchDuration: 'lead_router_batch_duration_seconds',
  consumerLag: 'lead_router_consumer_lag',
  produced: 'lead_router_produced_records_total',
  speedToLead: 'lead_router_speed_to_lead_seconds',
  deliveryAttempts: 'lead_router_delivery_attempts_total',
  httpRequests: 'lead_router_http_requests_total',
  httpDuration: 'lead_router_http_request_duration_seconds',
} as const;
