import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DynamicModule } from '@nestjs/common';
import type { PlatformConfig } from '@lead-router/config';
import { createLogger, startTracing } from '@lead-router/observability';
import { PinoNestLogger } from './pino-nest.logger';

export interface BootstrapOptions {
  service: string;
  config: PlatformConfig;
  /** Fastify's body limit in bytes (requests over it get 413). */
  bodyLimit?: number;
  /**
   * Keep each JSON and form body's bytes as `request.rawBody` (Nest's parsers), for webhooks
   * whose signature is computed over the bytes as sent.
   */
  rawBody?: boolean;
  configure?: (app: NestFastifyApplication) => void | Promise<void>;
}

/**
 * Starts a service: tracing (when the `OTEL_*` variables turn it on), Fastify, JSON logs, shutdown
 * hooks for SIGTERM/SIGINT, then listen.
 */
export async function bootstrap(
  module: DynamicModule,
  options: BootstrapOptions,
): Promise<NestFastifyApplication> {
  const logger = createLogger(options.service, options.config.logLevel);
  // Before Nest builds the providers: each stage runner takes the process's tracer at construction.
  const tracing = startTracing(options.service, { logger });
  const app = await NestFactory.create<NestFastifyApplication>(
    module,
    new FastifyAdapter({ bodyLimit: options.bodyLimit ?? 1_048_576 }),
    { logger: new PinoNestLogger(logger), abortOnError: false, rawBody: options.rawBody ?? false },
  );
  // Nest's own shutdown hooks re-raise the signal after closing; here a clean drain exits 0 and
  // a failed one 1, so whoever stopped the process can tell the two apart.
  const shutdown = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down');
    // The spans of the drain's last chunks are exported after it, before the process exits.
    app.close().then(
      () => tracing.shutdown().then(() => process.exit(0)),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        void tracing.shutdown().then(() => process.exit(1));
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  await options.configure?.(app);
  await app.listen(options.config.http.port, options.config.http.host);
  logger.info({ url: await app.getUrl() }, `${options.service} listening`);
  return app;
}
