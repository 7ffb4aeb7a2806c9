import 'reflect-metadata';
import { createHttpMetrics, createLogger } from '@lead-router/observability';
import { bootstrap, METRICS_REGISTRY } from '@lead-router/service-kit';
import type { Registry } from 'prom-client';
import { AppModule } from './app.module';
import { errorResponse, HttpExceptionFilter } from './http-exception.filter';
import { loadIngestConfig } from './ingest.config';

async function main(): Promise<void> {
  const config = loadIngestConfig();
  const logger = createLogger('ingest', config.platform.logLevel);
  await bootstrap(AppModule.forRoot(config), {
    service: 'ingest',
    config: config.platform,
    bodyLimit: config.bodyLimit,
    configure: (app) => {
      app.useGlobalFilters(new HttpExceptionFilter(logger));
      const fastify = app.getHttpAdapter().getInstance();
      // Errors raised by Fastify itself (content type, body limit, bad JSON) never reach Nest.
      fastify.setErrorHandler((err, _request, reply) => {
        const { status, body, headers } = errorResponse(err);
        void reply.status(status).headers(headers).send(body);
      });
      const http = createHttpMetrics(app.get<Registry>(METRICS_REGISTRY));
      fastify.addHook('onResponse', (request, reply, done) => {
        const route = request.routeOptions.url ?? 'unmatched';
        http.requests.inc({ route, status: String(reply.statusCode) });
        http.duration.observe({ route }, reply.elapsedTime / 1000);
        done();
      });
    },
  });
}

main().catch((err: unknown) => {
  createLogger('ingest').fatal({ err }, 'ingest failed to start');
  process.exit(1);
});
