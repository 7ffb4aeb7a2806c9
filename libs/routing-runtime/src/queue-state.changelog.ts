import { type AvroCodec, readToEnd } from '@lead-router/kafka';
import type { QueueStateSnapshot } from '@lead-router/schemas';
import type { Kafka } from 'kafkajs';
import type { QueueStateChangelogReader } from './queue-state.store';

/** Reads the router.queue-state changelog from its earliest offset to its end, decoded. */
export function queueStateChangelog(
  kafka: Kafka,
  codec: AvroCodec,
  topic: string,
): QueueStateChangelogReader {
  return async () => {
    const snapshots: QueueStateSnapshot[] = [];
    for (const record of await readToEnd(kafka, topic)) {
      snapshots.push(
        await codec.decode<QueueStateSnapshot>(record.message.value, 'QueueStateSnapshot'),
      );
    }
    return snapshots;
  };
}
