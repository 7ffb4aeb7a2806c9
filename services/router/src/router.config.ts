import { loadStageConfig, type StageConfig } from '@lead-router/config';
import { defaultPort } from '@lead-router/schemas';
import { z } from 'zod';

const extra = z
  .object({
    ROUTING_RULES_FILE: z.string().min(1).default('deploy/local/rules/demo.yaml'),
  })
  .transform((e) => ({ rulesFile: e.ROUTING_RULES_FILE }));

export type RouterConfig = StageConfig & z.infer<typeof extra>;

export function loadRouterConfig(): RouterConfig {
  return loadStageConfig('router', defaultPort('router'), extra);
}
