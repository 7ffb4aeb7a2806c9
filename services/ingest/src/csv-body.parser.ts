import type { FastifyInstance } from 'fastify';

/**
 * `text/csv` bodies are not parsed: the handler gets the request stream itself, so a partner file
 * of any size is read as the import consumes it and never buffered. Fastify applies its body
 * limit only when it buffers a body, so INGEST_BODY_LIMIT_BYTES does not bound a file.
 */
export function registerCsvBodyParser(fastify: FastifyInstance): void {
  fastify.addContentTypeParser('text/csv', (_request, payload, done) => done(null, payload));
}
