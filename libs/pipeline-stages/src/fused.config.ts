import { ConfigError, loadStageConfig, type StageConfig } from '@lead-router/config';
import { defaultPort } from '@lead-router/schemas';
import { z } from 'zod';
import { type EnricherConfig, loadEnricherConfig } from './enricher.config';
import { type RouterConfig, loadRouterConfig } from './router.config';

/**
 * pipeline-fused's configuration: its own platform (one Kafka client id, one HTTP port for
 * /health and /metrics), and each stage's configuration as its own service would read it from
 * the same environment, so every key of the normalizer, the enricher and the router means here
 * what it means there.
 */
export interface FusedConfig extends StageConfig {
  normalizer: StageConfig;
  enricher: EnricherConfig;
  router: RouterConfig;
}

/** The variable each stage reads its consumer group from here, in place of GROUP_ID. */
export const FUSED_GROUP_KEYS = {
  normalizer: 'NORMALIZER_GROUP_ID',
  enricher: 'ENRICHER_GROUP_ID',
  router: 'ROUTER_GROUP_ID',
} as const;

const own = z.object({
  GROUP_ID: z
    .string()
    .optional()
    .refine((v) => v === undefined, {
      error: `one group per stage here: set ${Object.values(FUSED_GROUP_KEYS).join(', ')}`,
    }),
});

/**
 * Reads the fused process's keys and each stage's, and reports every bad key of all of them in
 * one ConfigError (a key bad for several stages once). Each stage's consumer group defaults to
 * the one its own service uses (`<TOPIC_PREFIX>lead-router.<stage>`), so an installation moves
 * between the split services and the fused process without moving an offset.
 */
export function loadFusedConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): FusedConfig {
  const problems: string[] = [];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const reported = new Set(problems.map((p) => p.split(':')[0]));
      problems.push(...err.problems.filter((p) => !reported.has(p.split(':')[0])));
      return undefined;
    }
  };
  const fused = attempt(() =>
    loadStageConfig('pipeline-fused', defaultPort('pipeline-fused'), own, env),
  );
  // The stages' HTTP settings are the fused process's; only their own keys and groups differ.
  const stageEnv = (stage: keyof typeof FUSED_GROUP_KEYS) => ({
    ...env,
    PORT: String(fused?.platform.http.port ?? defaultPort('pipeline-fused')),
    GROUP_ID: env[FUSED_GROUP_KEYS[stage]],
  });
  const normalizer = attempt(() =>
    loadStageConfig('normalizer', defaultPort('normalizer'), undefined, stageEnv('normalizer')),
  );
  const enricher = attempt(() => loadEnricherConfig(stageEnv('enricher')));
  const router = attempt(() => loadRouterConfig(stageEnv('router')));
  if (problems.length > 0 || !fused || !normalizer || !enricher || !router) {
    throw new ConfigError(problems);
  }
  return Object.freeze({ ...fused, normalizer, enricher, router });
}
