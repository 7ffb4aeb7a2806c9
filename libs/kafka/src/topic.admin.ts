import { isRetriable } from '@lead-router/errors';
import type { TopicDeclaration } from '@lead-router/schemas';
import type { Admin, Kafka } from 'kafkajs';
import { TopicSetupError } from './errors';
import { retryWhile } from './retry';

/**
 * Creates every declared topic that does not exist yet, with its partitions and configs, and
 * fails loudly when an existing topic has fewer partitions than declared (the keyed order of a
 * lead's events depends on the partition count, so we never change it silently).
 */
export async function ensureTopics(
  kafka: Kafka,
  declarations: readonly TopicDeclaration[],
  replicationFactor = 1,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = declarations.filter((d) => !existing.has(d.name));
    if (missing.length > 0) {
      await createIgnoringRaces(admin, {
        waitForLeaders: false,
        topics: missing.map((d) => ({
          topic: d.name,
          numPartitions: d.partitions,
          replicationFactor,
          configEntries: Object.entries(d.config).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    if (missing.length > 0)
      await waitForLeaders(
        admin,
        missing.map((d) => d.name),
      );
    const present = declarations.filter((d) => existing.has(d.name));
    if (present.length > 0) {
      const meta = await admin.fetchTopicMetadata({ topics: present.map((d) => d.name) });
      for (const t of meta.topics) {
        const declared = present.find((d) => d.name === t.name);
        if (declared && t.partitions.length < declared.partitions) {
          throw new TopicSetupError(
            `topic ${t.name} has ${t.partitions.length} partitions, ${declared.partitions} declared; ` +
              'add partitions with kafka-topics --alter before starting',
            'topic_partitions_too_few',
            [t.name],
          );
        }
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/** Services start together: a topic another one created a moment ago is not an error. */
async function createIgnoringRaces(
  admin: Admin,
  options: Parameters<Admin['createTopics']>[0],
): Promise<void> {
  try {
    await admin.createTopics(options);
  } catch (err) {
    const errors = (err as { errors?: { type?: string }[] }).errors;
    if (!errors?.length || !errors.every((e) => e.type === 'TOPIC_ALREADY_EXISTS')) throw err;
  }
}

/**
 * Waits until every partition of the topics has a leader. kafkajs' own wait gives up when the
 * metadata request reaches the broker before the new topic does (UNKNOWN_TOPIC_OR_PARTITION),
 * which happens on a busy machine; this one asks again until the deadline.
 */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics });
      const ready = meta.every(
        (t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0),
      );
      if (ready) return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) {
      throw new TopicSetupError(
        `no leaders for ${topics.join(', ')} after ${timeoutMs} ms`,
        'topic_leaders_timeout',
        topics,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * `admin.fetchTopicOffsets`, asked again while the broker's answer is retriable. Services start
 * together: a topic another one created a moment ago has its leader in the metadata before that
 * broker serves it, and kafkajs gives up at once on the NOT_LEADER_OR_FOLLOWER it answers then.
 */
export function topicOffsets(
  admin: Admin,
  topic: string,
  timeoutMs?: number,
): ReturnType<Admin['fetchTopicOffsets']> {
  return askWhileRetriable(() => admin.fetchTopicOffsets(topic), timeoutMs);
}

/** Calls `ask` again (100 ms, then up to 1 s apart) while it fails with a retriable error. */
export function askWhileRetriable<T>(ask: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  return retryWhile(ask, {
    worthRetrying: isRetriable,
    timeoutMs,
    initialDelayMs: 100,
    maxDelayMs: 1_000,
  });
}
