import type { Provider } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { ConfigError, type StageConfig } from '@lead-router/config';
import type { StageSettings } from '@lead-router/kafka';
import { createLogger } from '@lead-router/observability';
import { bootstrap } from './bootstrap';
import { serviceModule } from './service.module';

@Module({})
class StageServiceModule {}

/**
 * Runs a consuming stage as a service: the platform providers, `/health`, `/metrics`, and the
 * stage definitions built by `stages` (a factory provider for the STAGES token).
 */
export function runStageService<C extends StageConfig>(
  service: string,
  loadConfig: () => C,
  stages: (config: C) => Provider,
  providers: (config: C) => Provider[] = () => [],
): void {
  const start = async () => {
    const config = loadConfig();
    await bootstrap(
      serviceModule(StageServiceModule, {
        service,
        config: config.platform,
        stages: stages(config),
        providers: providers(config),
      }),
      { service, config: config.platform },
    );
  };
  start().catch((err: unknown) => exitOnStartFailure(service, err));
}

/**
 * Logs why a service could not start and exits 1 at once (no retry: a configuration does not mend
 * itself). A ConfigError's lines, which name keys and never values, also go to stderr as plain
 * text for whoever started the service by hand.
 */
export function exitOnStartFailure(service: string, err: unknown): never {
  createLogger(service).fatal({ err }, `${service} failed to start`);
  if (err instanceof ConfigError) process.stderr.write(`${service}: ${err.message}\n`);
  process.exit(1);
}

/** The StageDefinition fields that come from configuration rather than from the stage. */
export function stageSettings(config: StageConfig): StageSettings {
  return {
    groupId: config.groupId,
    exactlyOnceVersion: config.exactlyOnceVersion,
    fetch: { minBytes: 1, maxWaitMs: config.fetchMaxWaitMs },
    concurrency: config.concurrency,
    ...(config.partitionsConcurrently !== undefined
      ? { partitionsConcurrently: config.partitionsConcurrently }
      : {}),
    sessionTimeoutMs: config.sessionTimeoutMs,
  };
}
