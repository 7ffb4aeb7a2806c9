import { Counter, Gauge, type Registry } from 'prom-client';
import { MetricNames } from './metric-names';

/** Leads the router holds now, per router.held partition and queue group. */
export interface HeldCount {
  partition: number;
  group: string;
  count: number;
}

/**
 * The router's held queue: a gauge of the leads held by the partitions this instance owns, read
 * at each scrape from `held`, and a counter of the leads it released back to router.assign.
 */
export function createHeldQueueMetrics(
  registry: Registry,
  held: () => readonly HeldCount[],
): { released: Counter<'queue_group'> } {
  new Gauge({
    name: MetricNames.routerHeldLeads,
    help: 'Leads held on router.held by the partitions this router instance owns, by queue group',
    labelNames: ['partition', 'queue_group'],
    registers: [registry],
    collect() {
      this.reset();
      for (const h of held()) {
        this.set({ partition: String(h.partition), queue_group: h.group }, h.count);
      }
    },
  });
  return {
    released: new Counter({
      name: MetricNames.routerHeldReleased,
      help: 'Held leads released back to router.assign when due, by queue group',
      labelNames: ['queue_group'],
      registers: [registry],
    }),
  };
}
