import 'reflect-metadata';
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { TerminusModule } from '@nestjs/terminus';
import { AckTimeoutError, type AvroCodec, type OutgoingRecord } from '@lead-router/kafka';
import {
  createIngestMetrics,
  createLogger,
  createRegistry,
  createStageMetrics,
} from '@lead-router/observability';
import { allSchemas, prefixedTopics, type RawLead } from '@lead-router/schemas';
import {
  CODEC,
  HEALTH_PROBES,
  HealthController,
  LOGGER,
  METRICS_REGISTRY,
  MetricsController,
  PRODUCER,
  STAGE_METRICS,
  TOPICS,
} from '@lead-router/service-kit';
import { Type } from 'avsc';
import { ApiKeyGuard } from './api-key.guard';
import { HttpExceptionFilter } from './http-exception.filter';
import { INGEST_CONFIG, loadIngestConfig } from './ingest.config';
import { LeadPublisher } from './lead.publisher';
import { LeadsController } from './leads.controller';
import { LoadGate } from './load-gate';
import { registerLoadShedding } from './load-shedding';
import { INGEST_METRICS, ingestMetricsProvider } from './sources/ingest-metrics.provider';
import { DEMO_MODE_ENV } from '@lead-router/config';

const rawLead = Type.forSchema(allSchemas.RawLead as never);

/**
 * A stand-in for the BatchingProducer: it keeps every record it was handed (what reached
 * leads.raw) and acknowledges at once, or holds the acknowledgements until released, or fails
 * them the way the producer does when the broker does not answer in time.
 */
class StandInProducer {
  readonly records: OutgoingRecord[] = [];
  isConnected = true;
  mode: 'ack' | 'hold' | 'fail' = 'ack';
  private held: (() => void)[] = [];

  send(record: OutgoingRecord): Promise<void> {
    return this.sendAll([record]);
  }

  sendAll(records: readonly OutgoingRecord[]): Promise<void> {
    if (this.mode === 'fail') return Promise.reject(new AckTimeoutError(5000));
    this.records.push(...records);
    if (this.mode === 'ack') return Promise.resolve();
    return new Promise((resolve) => this.held.push(resolve));
  }

  release(): void {
    this.mode = 'ack';
    this.held.splice(0).forEach((resolve) => resolve());
  }

  /** The lead ids of what reached leads.raw, read from the Avro values. */
  leadIds(): string[] {
    return this.records.map((r) => {
      assert.ok(r.value, 'ingest writes no tombstones');
      return (rawLead.fromBuffer(r.value) as RawLead).lead_id;
    });
  }
}

interface Ingest {
  app: NestFastifyApplication;
  producer: StandInProducer;
  registry: ReturnType<typeof createRegistry>;
  post(body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  get(url: string): Promise<number>;
}

interface Answer {
  status: number;
  body: { lead_id?: string; error?: { code: string; message: string } };
  retryAfter: string | undefined;
}

const lead = { email: 'ada@example.com', first_name: 'Ada' };

/** Ingest's HTTP side as main.ts assembles it, over the real LeadPublisher and LoadGate. */
async function startIngest(env: Record<string, string>): Promise<Ingest> {
  const config = loadIngestConfig({
    ...DEMO_MODE_ENV,
    INGEST_API_KEYS: 'key-web:web-form',
    ...env,
  });
  const logger = createLogger('shed-spec', 'silent');
  const registry = createRegistry('shed-spec');
  const producer = new StandInProducer();
  const codec = { encode: (_topic: string, value: unknown) => rawLead.toBuffer(value) };
  @Module({
    imports: [TerminusModule.forRoot({ logger: false })],
    controllers: [LeadsController, HealthController, MetricsController],
    providers: [
      { provide: INGEST_CONFIG, useValue: config },
      { provide: PRODUCER, useValue: producer },
      { provide: CODEC, useValue: codec as unknown as AvroCodec },
      { provide: TOPICS, useValue: prefixedTopics('') },
      { provide: LoadGate, useValue: new LoadGate(config.load, producer) },
      LeadPublisher,
      { provide: LOGGER, useValue: logger },
      { provide: METRICS_REGISTRY, useValue: registry },
      { provide: STAGE_METRICS, useValue: createStageMetrics(registry) },
      ingestMetricsProvider,
      { provide: HEALTH_PROBES, useValue: [{ name: 'kafka-producer', healthy: () => true }] },
      ApiKeyGuard,
    ],
  })
  class SpecModule {}
  const app = await NestFactory.create<NestFastifyApplication>(
    SpecModule,
    new FastifyAdapter({ bodyLimit: config.bodyLimit }),
    { logger: false, abortOnError: false },
  );
  app.useGlobalFilters(new HttpExceptionFilter(logger));
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeAllContentTypeParsers();
  await registerLoadShedding(
    fastify,
    app.get(LoadGate),
    app.get<ReturnType<typeof createIngestMetrics>>(INGEST_METRICS).shed,
  );
  await app.init();
  await fastify.ready();
  return {
    app,
    producer,
    registry,
    post: async (body = lead, headers = {}) => {
      const res = await fastify.inject({
        method: 'POST',
        url: '/v1/leads',
        payload: JSON.stringify(body),
        headers: {
          'content-type': 'application/json',
          authorization: 'Bearer key-web',
          ...headers,
        },
      });
      const retryAfter = res.headers['retry-after'];
      return {
        status: res.statusCode,
        body: JSON.parse(res.body) as Answer['body'],
        retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined,
      };
    },
    get: async (url) => (await fastify.inject({ method: 'GET', url })).statusCode,
  };
}

/** Polls `check` until it is true, failing after `ms`. */
async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function shedCount(registry: Ingest['registry'], reason: string): Promise<number> {
  const metric = await registry.getSingleMetric('lead_router_ingest_shed_total')?.get();
  return metric?.values.find((v) => v.labels['reason'] === reason)?.value ?? 0;
}

/** Limits no test reaches unless it means to. */
const roomy = {
  INGEST_SHED_MAX_OPEN_REQUESTS: '1000',
  INGEST_SHED_MAX_PENDING_LEADS: '1000',
  INGEST_SHED_MAX_EVENT_LOOP_DELAY_MS: '0',
  INGEST_SHED_MAX_HEAP_BYTES: '0',
  INGEST_SHED_RETRY_AFTER_SECONDS: '3',
};

describe('ingest: load shedding at the door', () => {
  let sut: Ingest | undefined;
  afterEach(() => sut?.app.close());

  it('past the leads awaiting Kafka, answers 503 overloaded with Retry-After and produces nothing; 202 again once acked', async () => {
    sut = await startIngest({ ...roomy, INGEST_SHED_MAX_PENDING_LEADS: '2' });
    const { producer } = sut;
    producer.mode = 'hold';
    const first = [sut.post(), sut.post()];
    await until(() => producer.records.length === 2);

    const shed = await sut.post();
    assert.deepEqual(shed, {
      status: 503,
      body: {
        error: {
          code: 'overloaded',
          message:
            "ingest is overloaded (2 leads awaiting Kafka's acknowledgement, the limit is 2); nothing was stored, retry with the same Idempotency-Key in 3 s",
        },
      },
      retryAfter: '3',
    });
    assert.equal(producer.records.length, 2, 'the shed request produced no record');
    assert.equal(await shedCount(sut.registry, 'pending_leads'), 1);
    const metrics = await sut.registry.metrics();
    assert.match(metrics, /lead_router_ingest_held\{kind="pending_leads",service="shed-spec"\} 2/);
    assert.match(metrics, /lead_router_ingest_held\{kind="open_requests",service="shed-spec"\} 2/);

    producer.release();
    for (const answer of await Promise.all(first)) assert.equal(answer.status, 202);
    const after = await sut.post();
    assert.equal(after.status, 202);
    assert.deepEqual(producer.leadIds().slice(2), [after.body.lead_id]);
  });

  it('past the open requests, answers 503 overloaded naming that limit', async () => {
    sut = await startIngest({ ...roomy, INGEST_SHED_MAX_OPEN_REQUESTS: '1' });
    const { producer } = sut;
    producer.mode = 'hold';
    const first = sut.post();
    await until(() => producer.records.length === 1);
    const shed = await sut.post();
    assert.equal(shed.status, 503);
    assert.equal(shed.retryAfter, '3');
    assert.equal(shed.body.error?.code, 'overloaded');
    assert.match(shed.body.error?.message ?? '', /1 requests open, the limit is 1/);
    assert.equal(producer.records.length, 1);
    producer.release();
    assert.equal((await first).status, 202);
    assert.equal((await sut.post()).status, 202, 'the closed request no longer counts');
  });

  it('over the heap limit every lead request is shed, while /health and /metrics still answer', async () => {
    sut = await startIngest({
      ...roomy,
      INGEST_SHED_MAX_HEAP_BYTES: '1',
      INGEST_SHED_SAMPLE_INTERVAL_MS: '10',
    });
    const ingest = sut;
    // The first sample is taken one interval after start; until then nothing is known.
    let shed: Answer | undefined;
    await until(async () => (shed = await ingest.post()).status === 503);
    assert.equal(shed?.body.error?.code, 'overloaded');
    assert.match(shed?.body.error?.message ?? '', /MiB of heap in use, the limit is 0 MiB/);
    assert.equal(shed?.retryAfter, '3');
    assert.equal(await ingest.get('/health'), 200);
    assert.equal(await ingest.get('/metrics'), 200);
    assert.equal((await ingest.post()).status, 503, 'still shed after the health check');
    assert.ok((await shedCount(ingest.registry, 'heap')) >= 2);
    const reachedKafka = ingest.producer.records.length;
    assert.equal((await ingest.post()).status, 503);
    assert.equal(ingest.producer.records.length, reachedKafka);
  });

  it('over the event-loop delay limit a lead request is shed', async () => {
    sut = await startIngest({
      ...roomy,
      INGEST_SHED_MAX_EVENT_LOOP_DELAY_MS: '20',
      INGEST_SHED_SAMPLE_INTERVAL_MS: '50',
    });
    const ingest = sut;
    let shed: Answer | undefined;
    await until(async () => {
      // Hold the loop well past the limit, as a saturated process would.
      const busyUntil = performance.now() + 150;
      while (performance.now() < busyUntil);
      await new Promise((resolve) => setTimeout(resolve, 1));
      shed = await ingest.post();
      return shed.status === 503;
    });
    assert.equal(shed?.body.error?.code, 'overloaded');
    assert.match(
      shed?.body.error?.message ?? '',
      /event loop delay (\d+ ms|longer than the sample), the limit is 20 ms/,
    );
    assert.ok((await shedCount(ingest.registry, 'event_loop_delay')) >= 1);
  });

  it('with INGEST_SHED=off nothing is shed: every request waits for Kafka', async () => {
    sut = await startIngest({
      ...roomy,
      INGEST_SHED: 'off',
      INGEST_SHED_MAX_OPEN_REQUESTS: '1',
      INGEST_SHED_MAX_PENDING_LEADS: '1',
    });
    const { producer } = sut;
    producer.mode = 'hold';
    const answers = [sut.post(), sut.post(), sut.post()];
    await until(() => producer.records.length === 3);
    producer.release();
    assert.deepEqual(
      (await Promise.all(answers)).map((a) => a.status),
      [202, 202, 202],
    );
  });
});

describe('ingest: Kafka unavailable at the door', () => {
  let sut: Ingest | undefined;
  afterEach(() => sut?.app.close());

  it('a disconnected producer is answered 503 kafka_unavailable at once, nothing produced', async () => {
    sut = await startIngest(roomy);
    sut.producer.isConnected = false;
    assert.deepEqual(await sut.post(), {
      status: 503,
      body: {
        error: {
          code: 'kafka_unavailable',
          message: 'the lead could not be stored right now; retry with the same Idempotency-Key',
        },
      },
      retryAfter: '5',
    });
    assert.equal(sut.producer.records.length, 0);
    assert.equal(await shedCount(sut.registry, 'kafka_unavailable'), 1);
    sut.producer.isConnected = true;
    assert.equal((await sut.post()).status, 202);
  });

  it('after an ack timeout one request at a time probes Kafka; the others are refused at once until it acks', async () => {
    sut = await startIngest(roomy);
    const { producer } = sut;
    producer.mode = 'fail';
    const timedOut = await sut.post();
    assert.equal(timedOut.status, 503);
    assert.equal(timedOut.body.error?.code, 'kafka_unavailable');
    assert.equal(timedOut.retryAfter, '5');

    producer.mode = 'hold';
    const probe = sut.post();
    await until(() => producer.records.length === 1);
    const refused = await sut.post();
    assert.equal(refused.status, 503);
    assert.equal(refused.body.error?.code, 'kafka_unavailable');
    assert.equal(refused.retryAfter, '5');
    assert.equal(producer.records.length, 1, 'the refused request never reached the producer');

    producer.release();
    assert.equal((await probe).status, 202);
    assert.equal((await sut.post()).status, 202, 'the acknowledged probe opened the door');
  });
});

describe('ingest: a retry with its Idempotency-Key is never a second lead', () => {
  let sut: Ingest | undefined;
  afterEach(() => sut?.app.close());

  it('shed, then accepted, then retried after a lost 202: one lead id on leads.raw', async () => {
    sut = await startIngest({ ...roomy, INGEST_SHED_MAX_PENDING_LEADS: '1' });
    const { producer } = sut;
    const key = { 'idempotency-key': 'form-7f3a' };

    producer.mode = 'hold';
    const other = sut.post(lead, { 'idempotency-key': 'another-submission' });
    await until(() => producer.records.length === 1);
    const shed = await sut.post(lead, key);
    assert.equal(shed.status, 503);
    assert.equal(shed.body.error?.code, 'overloaded');
    producer.release();
    assert.equal((await other).status, 202);

    const accepted = await sut.post(lead, key);
    const retried = await sut.post(lead, key);
    assert.equal(accepted.status, 202);
    assert.equal(retried.status, 202);
    assert.equal(retried.body.lead_id, accepted.body.lead_id);

    // What reached leads.raw: the other submission once, this one twice (the 503 added nothing)
    // under one lead id, the key every downstream stage and sink deduplicates on.
    const ids = producer.leadIds();
    assert.equal(ids.length, 3);
    assert.deepEqual(new Set(ids), new Set([(await other).body.lead_id, accepted.body.lead_id]));
    assert.equal(ids.filter((id) => id === accepted.body.lead_id).length, 2);
    assert.deepEqual(
      producer.records.map((r) => r.key),
      ids,
      'each record is keyed by its lead id, so the copies share a partition',
    );
  });
});

describe('ingest config: load limits', () => {
  it('sheds by default, with every limit set from the environment', () => {
    const { load } = loadIngestConfig({ ...DEMO_MODE_ENV });
    assert.equal(load.enabled, true);
    assert.equal(load.maxOpenRequests, 500);
    assert.equal(load.maxPendingLeads, 2000);
    assert.equal(load.maxEventLoopDelayMs, 500);
    assert.ok(load.maxHeapUsedBytes > 0, 'a heap limit below V8s own');
    assert.equal(load.maxRssBytes, 0);
    assert.equal(load.retryAfterSeconds, 2);
    const set = loadIngestConfig({
      ...DEMO_MODE_ENV,
      INGEST_SHED: 'off',
      INGEST_SHED_MAX_RSS_BYTES: '1073741824',
      INGEST_SHED_RETRY_AFTER_SECONDS: '7',
    }).load;
    assert.deepEqual([set.enabled, set.maxRssBytes, set.retryAfterSeconds], [false, 1073741824, 7]);
    assert.throws(
      () =>
        loadIngestConfig({
          ...DEMO_MODE_ENV,
          INGEST_SHED: 'maybe',
          INGEST_SHED_MAX_PENDING_LEADS: '0',
        }),
      /INGEST_SHED[\s\S]*INGEST_SHED_MAX_PENDING_LEADS/,
    );
  });
});
