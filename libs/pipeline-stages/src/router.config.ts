import { hostname } from 'node:os';
import { loadStageConfig, type StageConfig } from '@lead-router/config';
import { defaultPort } from '@lead-router/schemas';
import { RULES_FILE_REQUIREMENT } from '@lead-router/sink-kit';
import { z } from 'zod';

/** The router's steps (`routerStages`): match reads leads.enriched, assign reads router.assign. */
export const ROUTER_STEPS = ['match', 'assign'] as const;
export type RouterStep = (typeof ROUTER_STEPS)[number];

const extra = z
  .object({
    ROUTING_RULES_FILE: z.string().min(1),
    /** Recorded on every lead this instance assigns (`lr-assigned-by`); a pod name, say. */
    ROUTER_INSTANCE_ID: z.string().min(1).optional(),
    /**
     * The steps this router runs: both unless told otherwise. `assign` alone is the router beside
     * pipeline-fused, which runs the match step (docs/architecture.md, the fused deployment).
     */
    ROUTER_STEPS: z
      .string()
      .default('match,assign')
      .transform((s) => s.split(',').map((step) => step.trim()))
      .pipe(
        z.array(z.enum(ROUTER_STEPS, { error: 'expected match, assign or match,assign' })).min(1),
      ),
  })
  .transform((e) => ({
    rulesFile: e.ROUTING_RULES_FILE,
    instance: e.ROUTER_INSTANCE_ID ?? `${hostname()}-${process.pid}`,
    steps: [...new Set(e.ROUTER_STEPS)] as readonly RouterStep[],
  }));

export type RouterConfig = StageConfig & z.infer<typeof extra>;

export function loadRouterConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): RouterConfig {
  return loadStageConfig('router', defaultPort('router'), extra, env, [RULES_FILE_REQUIREMENT]);
}
