import 'reflect-metadata';
import { createHttpMetrics, createLogger } from '@lead-router/observability';
import { bootstrap, exitOnStartFailure, METRICS_REGISTRY } from '@lead-router/service-kit';
import type { Registry } from 'prom-client';
import type { AuthenticatedRequest } from './api-key.guard';
import { AppModule } from './app.module';
import { registerCsvBodyParser } from './csv-body.parser';
import { HttpExceptionFilter } from './http-exception.filter';
import { loadIngestConfig } from './ingest.config';
import { LoadGate } from './load-gate';
import { registerLoadShedding } from './load-shedding';
import { registerRateLimits, requestSource } from './rate-limit';
import { registerRequestTracing } from './request.trace';
import { INGEST_METRICS, type IngestMetrics } from './sources/ingest-metrics.provider';

async function main(): Promise<void> {
  const config = loadIngestConfig();
  const logger = createLogger('ingest', config.platform.logLevel);
  await bootstrap(AppModule.forRoot(config), {
    service: 'ingest',
    config: config.platform,
    bodyLimit: config.bodyLimit,
    // Webhook signatures (Meta, LinkedIn) are checked over the body's bytes as sent.
    rawBody: true,
    configure: async (app) => {
      app.useGlobalFilters(new HttpExceptionFilter(logger));
      const fastify = app.getHttpAdapter().getInstance();
      // Only JSON and form bodies are leads; Nest adds those two parsers back at init, so any
      // other content type (text/plain, which Fastify parses by default) is refused with 415.
      fastify.removeAllContentTypeParsers();
      registerCsvBodyParser(fastify);
      const perSource = app.get<IngestMetrics>(INGEST_METRICS);
      await registerLoadShedding(fastify, app.get(LoadGate), perSource.shed);
      await registerRateLimits(fastify, config);
      registerRequestTracing(fastify);
      const http = createHttpMetrics(app.get<Registry>(METRICS_REGISTRY));
      fastify.addHook('onResponse', (request, reply, done) => {
        const route = request.routeOptions.url ?? 'unmatched';
        const status = String(reply.statusCode);
        http.requests.inc({ route, status });
        const source = requestSource(request as AuthenticatedRequest, config);
        perSource.requests.inc({ source, route, status });
        http.duration.observe({ route }, reply.elapsedTime / 1000);
        done();
      });
    },
  });
}

main().catch((err: unknown) => exitOnStartFailure('ingest', err));
