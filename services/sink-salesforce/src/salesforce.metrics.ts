import { MetricNames } from '@lead-router/observability';
import { Gauge, type Registry } from 'prom-client';

/** The org's API requests over the rolling 24 hours and its allocation, per destination. */
export function salesforceApiUsageGauges(registry: Registry) {
  return {
    used: new Gauge({
      name: MetricNames.salesforceApiUsed,
      help: 'API requests of the Salesforce org over the rolling 24 hours (Sforce-Limit-Info)',
      labelNames: ['destination'],
      registers: [registry],
    }),
    allocation: new Gauge({
      name: MetricNames.salesforceApiAllocation,
      help: 'Daily API request allocation of the Salesforce org (Sforce-Limit-Info)',
      labelNames: ['destination'],
      registers: [registry],
    }),
  };
}
