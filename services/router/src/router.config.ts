import { hostname } from 'node:os';
import { loadStageConfig, type StageConfig } from '@lead-router/config';
import { defaultPort } from '@lead-router/schemas';
import { z } from 'zod';

const extra = z
  .object({
    ROUTING_RULES_FILE: z.string().min(1).default('deploy/local/rules/demo.yaml'),
    /** Recorded on every lead this instance assigns (`lr-assigned-by`); a pod name, say. */
    ROUTER_INSTANCE_ID: z.string().min(1).optional(),
  })
  .transform((e) => ({
    rulesFile: e.ROUTING_RULES_FILE,
    instance: e.ROUTER_INSTANCE_ID ?? `${hostname()}-${process.pid}`,
  }));

export type RouterConfig = StageConfig & z.infer<typeof extra>;

export function loadRouterConfig(): RouterConfig {
  return loadStageConfig('router', defaultPort('router'), extra);
}
