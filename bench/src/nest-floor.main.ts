/**
 * The framework's part of ingest's limit (issue 15): the HTTP server the design gives every
 * service (NestJS on Fastify, as service-kit's `bootstrap` builds it: the same adapter, body limit
 * and raw-body setting), with one controller that does for a lead what `http-floor.main.ts` does
 * and nothing else: `POST /v1/leads` answered 202 with the lead's id; no guard, hook, rate limit,
 * validation or Avro. Given a topic, it also does the one thing no ingest may skip: it writes the
 * body's bytes to Kafka (keyed by the lead's id, through the runtime's `BatchingProducer` with
 * ingest's linger and acks=all) and answers only once Kafka acknowledged them. Beside the bare
 * `node:http` server, in the same run and under the same load, the two say how much of
 * single-lead ingest's rate the framework, and the framework with the durable write, leave.
 *
 *   node bench/dist/nest-floor.main.js <port> [<topic>]   # prints "nest-floor listening" when ready
 *
 * With a topic, KAFKA_BROKERS names the brokers (and the transport keys the benches read apply).
 * NEST_FLOOR_ROUTE=fastify registers the same handler on the app's Fastify instance instead of in
 * a controller: the app is still NestJS, but a request no longer goes through Nest's router,
 * execution context and response mapping, which tells Nest's share of a request from Fastify's.
 */
import 'reflect-metadata';
import { Body, Controller, Get, HttpCode, Inject, Module, Post, Req } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { BatchingProducer } from '@lead-router/kafka';
import { createLogger } from '@lead-router/observability';
import { benchKafka } from './bench.stack';

const port = Number(process.argv[2] ?? 0);
const topic = process.argv[3];
/** ingest's default INGEST_LINGER_MS and INGEST_ACK_TIMEOUT_MS */
const INGEST_LINGER_MS = 2;
const INGEST_ACK_TIMEOUT_MS = 5_000;

const route = process.env['NEST_FLOOR_ROUTE'] === 'fastify' ? 'fastify' : 'nest';

const PRODUCER = Symbol('producer');

/** What either route does with a lead: its id, after the write to Kafka when there is a topic. */
async function accept(
  producer: BatchingProducer | null,
  lead: unknown,
  rawBody: Buffer | undefined,
): Promise<{ lead_id: string }> {
  const id = (lead as { source_lead_id?: unknown } | null)?.source_lead_id;
  const leadId = typeof id === 'string' ? id : '';
  if (producer !== null && topic !== undefined) {
    await producer.send({ topic, key: leadId, value: rawBody ?? null });
  }
  return { lead_id: leadId };
}

@Controller()
class HealthController {
  @Get('health')
  health(): { status: string } {
    return { status: 'ok' };
  }
}

@Controller()
class FloorController {
  constructor(@Inject(PRODUCER) private readonly producer: BatchingProducer | null) {}

  @Post('v1/leads')
  @HttpCode(202)
  submit(
    @Body() lead: unknown,
    @Req() request: FastifyRequest & { rawBody?: Buffer },
  ): Promise<{ lead_id: string }> {
    return accept(this.producer, lead, request.rawBody);
  }
}

async function main(): Promise<void> {
  let producer: BatchingProducer | null = null;
  if (topic !== undefined) {
    const kafka = benchKafka(
      process.env['KAFKA_BROKERS'] ?? '',
      'bench-nest-floor',
      createLogger('nest-floor', 'warn'),
    );
    producer = BatchingProducer.create(kafka, {
      lingerMs: INGEST_LINGER_MS,
      ackTimeoutMs: INGEST_ACK_TIMEOUT_MS,
    });
    await producer.connect();
  }

  @Module({
    controllers: route === 'nest' ? [HealthController, FloorController] : [HealthController],
    providers: [{ provide: PRODUCER, useValue: producer }],
  })
  class FloorModule {}

  const app = await NestFactory.create<NestFastifyApplication>(
    FloorModule,
    new FastifyAdapter({ bodyLimit: 1_048_576 }),
    { logger: false, rawBody: true },
  );
  if (route === 'fastify') {
    app
      .getHttpAdapter()
      .getInstance()
      .post('/v1/leads', async (request, reply) => {
        const raw = (request as FastifyRequest & { rawBody?: Buffer }).rawBody;
        const answer = await accept(producer, request.body, raw);
        return reply.code(202).send(answer);
      });
  }
  app.getHttpServer().keepAliveTimeout = 60_000;
  await app.listen(port, '127.0.0.1');
  process.stdout.write('nest-floor listening\n');
  process.once('SIGTERM', () => {
    void app
      .close()
      .then(() => producer?.disconnect())
      .then(() => process.exit(0));
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`nest-floor: ${String(err)}\n`);
  process.exit(1);
});
