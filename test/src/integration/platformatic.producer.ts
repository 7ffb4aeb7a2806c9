import { EventEmitter } from 'node:events';
import {
  Producer as PlatformaticProducer,
  compatibilityPartitioner,
  type MessageToProduce,
  type ProducerOptions,
} from '@platformatic/kafka';
import {
  CompressionTypes,
  type IHeaders,
  type InstrumentationEvent,
  type ProducerBatch,
  type ProducerEvents,
  type RecordMetadata,
  type RemoveInstrumentationEventListener,
  type ValueOf,
} from 'kafkajs';
import {
  BatchingProducer,
  type BatchingProducerOptions,
  type KafkaOptions,
  type ProducerPort,
} from '@lead-router/kafka';

/** A null value is Kafka's null: a tombstone. */
type Outgoing = MessageToProduce<Buffer, Buffer | null, Buffer, Buffer>;

const producerEvents: ProducerEvents = {
  CONNECT: 'producer.connect',
  DISCONNECT: 'producer.disconnect',
  REQUEST: 'producer.network.request',
  REQUEST_TIMEOUT: 'producer.network.request_timeout',
  REQUEST_QUEUE_SIZE: 'producer.network.request_queue_size',
};

/**
 * An experiment of issue 15 (docs/kafka-client.md), not the default: @platformatic/kafka's
 * idempotent producer behind the part of kafkajs' Producer that BatchingProducer uses, so the
 * runtime's batching, ack timeout and drain on disconnect stay as they are.
 */
export class PlatformaticProducerPort implements ProducerPort {
  readonly events = producerEvents;
  private readonly emitter = new EventEmitter();

  constructor(readonly client: PlatformaticProducer<Buffer, Buffer | null, Buffer, Buffer>) {}

  /** The settings of BatchingProducer.create and createKafka, in @platformatic/kafka's terms. */
  static create({ brokers, clientId, ssl, sasl }: KafkaOptions): PlatformaticProducerPort {
    const options: ProducerOptions<Buffer, Buffer | null, Buffer, Buffer> = {
      clientId,
      bootstrapBrokers: [...brokers],
      idempotent: true,
      acks: -1,
      // Java's murmur2 with its sign bit masked, as kafkajs' DefaultPartitioner: its own
      // `defaultPartitioner` (the murmur2 hash read unsigned) puts many keys elsewhere.
      partitioner: compatibilityPartitioner,
      autocreateTopics: false,
      connectTimeout: 3000,
      timeout: 30_000,
      // The idempotent producer retries without limit (sequence numbers make that safe);
      // BatchingProducer bounds each caller's wait with its ackTimeoutMs.
      retries: true,
      retryDelay: 100,
      ...(ssl !== undefined
        ? {
            tls: {
              rejectUnauthorized: true,
              ...(ssl.ca !== undefined ? { ca: [ssl.ca] } : {}),
              ...(ssl.cert !== undefined ? { cert: ssl.cert } : {}),
              ...(ssl.key !== undefined ? { key: ssl.key } : {}),
            },
          }
        : {}),
      ...(sasl !== undefined
        ? {
            sasl: {
              mechanism: (
                {
                  plain: 'PLAIN',
                  'scram-sha-256': 'SCRAM-SHA-256',
                  'scram-sha-512': 'SCRAM-SHA-512',
                } as const
              )[sasl.mechanism],
              username: sasl.username,
              password: sasl.password,
            },
          }
        : {}),
    };
    return new PlatformaticProducerPort(new PlatformaticProducer(options));
  }

  /** Gets a producer id now (InitProducerId), so a broker that cannot be reached fails here. */
  async connect(): Promise<void> {
    await this.client.initIdempotentProducer({});
    this.emitter.emit(producerEvents.CONNECT, { type: producerEvents.CONNECT });
  }

  async disconnect(): Promise<void> {
    await this.client.close();
    this.emitter.emit(producerEvents.DISCONNECT, { type: producerEvents.DISCONNECT });
  }

  async sendBatch({
    acks,
    compression,
    topicMessages = [],
  }: ProducerBatch): Promise<RecordMetadata[]> {
    if (acks !== undefined && acks !== -1) {
      throw new Error(`the idempotent producer writes with acks=all (-1), not acks=${acks}`);
    }
    if (compression !== undefined && compression !== CompressionTypes.None) {
      throw new Error(
        `compression ${CompressionTypes[compression]} is not mapped onto @platformatic/kafka`,
      );
    }
    const messages: Outgoing[] = [];
    for (const { topic, messages: batch } of topicMessages) {
      for (const m of batch) {
        messages.push({
          topic,
          key: toBuffer(m.key),
          value: m.value === null ? null : toBuffer(m.value)!,
          headers: toHeaders(m.headers),
          ...(m.partition !== undefined ? { partition: m.partition } : {}),
        });
      }
    }
    if (messages.length === 0) return [];
    const { offsets = [] } = await this.client.send({ messages });
    return offsets.map(({ topic, partition, offset }) => ({
      topicName: topic,
      partition,
      errorCode: 0,
      baseOffset: offset.toString(),
    }));
  }

  on(
    eventName: ValueOf<ProducerEvents>,
    listener: (event: InstrumentationEvent<never>) => void,
  ): RemoveInstrumentationEventListener<typeof eventName> {
    this.emitter.on(eventName, listener);
    return () => void this.emitter.off(eventName, listener);
  }
}

/** A BatchingProducer on @platformatic/kafka (the experiment), with the same batching options. */
export function createPlatformaticBatchingProducer(
  kafka: KafkaOptions,
  options?: BatchingProducerOptions,
): BatchingProducer {
  return new BatchingProducer(PlatformaticProducerPort.create(kafka), options);
}

function toBuffer(data: string | Buffer | null | undefined): Buffer | undefined {
  if (data === null || data === undefined) return undefined;
  return typeof data === 'string' ? Buffer.from(data) : data;
}

function toHeaders(headers: IHeaders | undefined): Map<Buffer, Buffer> | undefined {
  if (headers === undefined) return undefined;
  const out = new Map<Buffer, Buffer>();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value])
      out.set(Buffer.from(name), toBuffer(v)!);
  }
  return out;
}
