import { Partitioners, type Kafka, type Offsets, type Producer } from 'kafkajs';
import type { Logger } from '@lead-router/observability';
import { groupByTopic, type OutgoingRecord } from './batching.producer';
import type { ProducerPair, TransactionPhase } from './partition.transactions';
import { splitRequests } from './request.split';
import type { TopicLimits } from './topic.limits';
import { retryWhile, type RetryOptions } from './retry';

/** One TxnOffsetCommit of a transaction: a group's offsets, with its member's place (v2) or not (v1). */
export type TransactionOffsetsCommit = Offsets & {
  consumerGroupId: string;
  consumerGroupMetadata?: { generationId: number; memberId: string };
};

/** An id's last transaction still being completed (CONCURRENT_TRANSACTIONS): worth another try. */
const OFFSETS_RETRY: RetryOptions = {
  worthRetrying: (err) => (err as { type?: string }).type === 'CONCURRENT_TRANSACTIONS',
  timeoutMs: 5_000,
  initialDelayMs: 20,
  maxDelayMs: 1_000,
};

/**
 * One transaction on `producer`: the records (in requests of at most `MAX_REQUEST_BYTES`, and of
 * no more than a topic's `max.message.bytes`) and, at the same time, each group's offsets; then
 * the commit once both are done. On any failure the transaction is aborted, after both have
 * settled, and the error rethrown (the caller drops its producers: whether it took effect is
 * unknown).
 *
 * The offsets do not wait for the records' acknowledgement, as in Kafka's Java producer (whose
 * `sendOffsetsToTransaction` runs while its sender thread is still producing): both belong to
 * the transaction, and EndTxn, which makes them visible together, goes only after both. The
 * coordinator would refuse AddOffsetsToTxn while it was still writing the AddPartitionsToTxn to
 * its log (CONCURRENT_TRANSACTIONS), but both go to the coordinator over the producer's one
 * connection to it, which holds one request at a time (`maxInFlightRequests: 1`), and a broker
 * answers each only once it is written; a partition leader's check of a produce against the
 * coordinator (AddPartitionsToTxnVerification) does not look at a pending state. The coordinator
 * also refuses an id's next transaction until it has written the last one's markers: kafkajs
 * retries an AddPartitionsToTxn so refused, not an AddOffsetsToTxn, which may now come first, so
 * the offsets are tried again on that refusal, from 20 ms, as kafkajs does for the records.
 *
 * Phases, each in seconds: `send` from the start until the records are acknowledged, `offsets`
 * from the start until the last TxnOffsetCommit is answered (the two overlap), `commit` the
 * EndTxn after both.
 */
export async function runTransaction(
  producer: Producer,
  records: readonly OutgoingRecord[],
  offsets: readonly TransactionOffsetsCommit[],
  {
    onCommitted,
    limits,
  }: {
    onCommitted?: (seconds: Readonly<Record<TransactionPhase, number>>) => void;
    /** each topic's `max.message.bytes`, read first: the records' requests are cut to it */
    limits?: TopicLimits;
  } = {},
): Promise<void> {
  const loading = limits?.load(records.map((r) => r.topic));
  if (loading) await loading;
  const transaction = await producer.transaction();
  const seconds: Record<TransactionPhase, number> = { send: 0, offsets: 0, commit: 0 };
  const start = performance.now();
  const since = (from: number): number => (performance.now() - from) / 1000;
  const sent = (async () => {
    for (const part of splitRequests(records, limits?.maxMessageBytes)) {
      await transaction.sendBatch({ acks: -1, topicMessages: groupByTopic(part) });
    }
    seconds.send = since(start);
  })();
  const offsetsSent = (async () => {
    for (const commit of offsets) {
      await retryWhile(() => transaction.sendOffsets(commit), OFFSETS_RETRY);
    }
    seconds.offsets = since(start);
  })();
  try {
    const failed = (await Promise.allSettled([sent, offsetsSent])).find(
      (s): s is PromiseRejectedResult => s.status === 'rejected',
    );
    if (failed) throw failed.reason;
    const ending = performance.now();
    await transaction.commit();
    seconds.commit = since(ending);
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
