import { Partitioners, type Kafka, type Offsets, type Producer } from 'kafkajs';
import type { Logger } from '@lead-router/observability';
import { groupByTopic, type OutgoingRecord } from './batching.producer';
import type { ProducerPair, TransactionPhase } from './partition.transactions';
import { splitRequests } from './request.split';

/** One TxnOffsetCommit of a transaction: a group's offsets, with its member's place (v2) or not (v1). */
export type TransactionOffsetsCommit = Offsets & {
  consumerGroupId: string;
  consumerGroupMetadata?: { generationId: number; memberId: string };
};

/**
 * One transaction on `producer`: the records (in requests of at most `MAX_REQUEST_BYTES`), then
 * each group's offsets, then the commit, each phase timed. On any failure the transaction is
 * aborted and the error rethrown (the caller drops its producers: whether it took effect is
 * unknown).
 */
export async function runTransaction(
  producer: Producer,
  records: readonly OutgoingRecord[],
  offsets: readonly TransactionOffsetsCommit[],
  onCommitted?: (seconds: Readonly<Record<TransactionPhase, number>>) => void,
): Promise<void> {
  const transaction = await producer.transaction();
  const seconds: Record<TransactionPhase, number> = { send: 0, offsets: 0, commit: 0 };
  let at = performance.now();
  const phaseDone = (phase: TransactionPhase): void => {
    const now = performance.now();
    seconds[phase] = (now - at) / 1000;
    at = now;
  };
  try {
    for (const part of splitRequests(records)) {
      await transaction.sendBatch({ acks: -1, topicMessages: groupByTopic(part) });
    }
    phaseDone('send');
    for (const commit of offsets) await transaction.sendOffsets(commit);
    phaseDone('offsets');
    await transaction.commit();
    phaseDone('commit');
  } catch (err) {
    await transaction.abort().catch(() => undefined);
    throw err;
  }
  onCommitted?.(seconds);
}

/**
 * Starts the two transactional producers of `ids`, or none: a start that failed disconnects the
 * other and throws. Starting one fences every earlier holder of its id and aborts the
 * transaction it left open.
 */
export async function startProducerPair(
  kafka: Kafka,
  ids: readonly [string, string],
  logger: Logger,
  transactionTimeoutMs = 15_000,
): Promise<ProducerPair> {
  const started = await Promise.allSettled(
    ids.map((id) => startTransactional(kafka, id, logger, transactionTimeoutMs)),
  );
  const producers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)));
    throw failed.reason;
  }
  return [producers[0]!, producers[1]!];
}

async function startTransactional(
  kafka: Kafka,
  transactionalId: string,
  logger: Logger,
  transactionTimeoutMs: number,
): Promise<Producer> {
  const producer = kafka.producer({
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: transactionTimeoutMs,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    // As the idempotent producer: sequence numbers make retries safe, and a chunk whose
    // broker is away waits for it (its records wait in Kafka, uncommitted). The first retry
    // comes after 20 ms, as in Kafka's Java producer: should an id's last transaction still be
    // completing when its turn comes again (CONCURRENT_TRANSACTIONS), kafkajs' 100 ms default
    // would add that much to the lead's latency (bench:eos).
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 20, maxRetryTime: 3000 },
  });
  await producer.connect();
  // kafkajs runs InitProducerId for the transactional id at the first transaction, not at
  // connect: begin one and end it empty (no request goes out for that), so the fencing and the
  // abort of what an earlier owner left open happen now, before this owner reads anything.
  await (await producer.transaction()).abort();
  logger.debug({ transactionalId }, 'transactional producer started');
  return producer;
}
