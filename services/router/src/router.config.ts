import { hostname } from 'node:os';
import { loadStageConfig, type StageConfig } from '@lead-router/config';
import { defaultPort } from '@lead-router/schemas';
import { RULES_FILE_REQUIREMENT } from '@lead-router/sink-kit';
import { z } from 'zod';

const extra = z
  .object({
    ROUTING_RULES_FILE: z.string().min(1),
    /** Recorded on every lead this instance assigns (`lr-assigned-by`); a pod name, say. */
    ROUTER_INSTANCE_ID: z.string().min(1).optional(),
  })
  .transform((e) => ({
    rulesFile: e.ROUTING_RULES_FILE,
    instance: e.ROUTER_INSTANCE_ID ?? `${hostname()}-${process.pid}`,
  }));

export type RouterConfig = StageConfig & z.infer<typeof extra>;

export function loadRouterConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): RouterConfig {
  return loadStageConfig('router', defaultPort('router'), extra, env, [RULES_FILE_REQUIREMENT]);
}
