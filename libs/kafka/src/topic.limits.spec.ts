import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DescribeConfigResponse, Kafka } from 'kafkajs';
import { DEFAULT_MAX_MESSAGE_BYTES, TopicLimits } from './topic.limits';

/**
 * The part of a Kafka client TopicLimits uses: an admin whose DescribeConfigs answers from
 * `configs` (a topic without an entry is answered with UNKNOWN_TOPIC_OR_PARTITION), or fails
 * while `down` is set; every lookup's topics and every warning are logged.
 */
function kafkaWith(configs: Record<string, string>) {
  const lookups: string[][] = [];
  const warnings: string[] = [];
  const state = { down: false };
  const kafka = {
    admin: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      describeConfigs: async ({
        resources,
      }: {
        resources: { name: string }[];
      }): Promise<DescribeConfigResponse> => {
        lookups.push(resources.map((r) => r.name));
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (state.down) throw new Error('Connection refused');
        return {
          throttleTime: 0,
          resources: resources.map(({ name }) => ({
            resourceType: 2,
            resourceName: name,
            errorCode: name in configs ? 0 : 3,
            errorMessage: name in configs ? null : 'This server does not host this topic',
            configEntries:
              name in configs
                ? [
                    {
                      configName: 'max.message.bytes',
                      configValue: configs[name]!,
                      isDefault: false,
                      configSource: 1,
                      isSensitive: false,
                      readOnly: false,
                      configSynonyms: [],
                    },
                  ]
                : [],
          })),
        } as unknown as DescribeConfigResponse;
      },
    }),
    logger: () => ({ warn: (msg: string) => warnings.push(msg) }),
  } as unknown as Kafka;
  return { kafka, lookups, warnings, state };
}

describe('TopicLimits: each topic’s max.message.bytes', () => {
  it('reads each topic once, the unknown ones together, and answers the rest without a request', async () => {
    const { kafka, lookups } = kafkaWith({ small: '65536', big: '2097152', plain: '1048588' });
    const limits = new TopicLimits(kafka);
    assert.equal(limits.maxMessageBytes('small'), DEFAULT_MAX_MESSAGE_BYTES, 'the default before');
    await limits.load(['small', 'big', 'small']);
    assert.equal(limits.maxMessageBytes('small'), 65_536);
    assert.equal(limits.maxRecordBytes('small'), 65_536 - 61);
    assert.equal(limits.maxMessageBytes('big'), 2_097_152);
    assert.equal(limits.load(['big', 'small']), null, 'known: no promise, no request');
    await limits.load(['big', 'plain']);
    assert.deepEqual(lookups, [['small', 'big'], ['plain']]);
  });

  it('asks once when callers ask for the same topic at the same time', async () => {
    const { kafka, lookups } = kafkaWith({ t: '65536' });
    const limits = new TopicLimits(kafka);
    await Promise.all([limits.load(['t']), limits.load(['t']), limits.load(['t'])]);
    assert.deepEqual(lookups, [['t']]);
    assert.equal(limits.maxMessageBytes('t'), 65_536);
  });

  it('reads a topic again on refresh once its answer is a minute old, and not before', async () => {
    const configs: Record<string, string> = { dlq: '65536' };
    const { kafka, lookups } = kafkaWith(configs);
    let now = 1_000_000;
    const limits = new TopicLimits(kafka, () => now);
    await limits.load(['dlq']);
    configs['dlq'] = '4194304';
    now += 59_000;
    assert.equal(limits.refresh('dlq'), null, 'within the minute: nothing asked');
    assert.equal(limits.maxMessageBytes('dlq'), 65_536);
    now += 1_000;
    await limits.refresh('dlq');
    assert.equal(limits.maxMessageBytes('dlq'), 4_194_304, 'the raised limit');
    assert.equal(limits.refresh('dlq'), null);
    assert.deepEqual(lookups, [['dlq'], ['dlq']]);
  });

  it('takes the broker’s default for a minute after a failed lookup, says so, then asks again', async () => {
    const { kafka, lookups, warnings, state } = kafkaWith({ t: '65536' });
    let now = 1_000_000;
    const limits = new TopicLimits(kafka, () => now);
    state.down = true;
    await limits.load(['t', 'gone']);
    assert.equal(limits.maxMessageBytes('t'), DEFAULT_MAX_MESSAGE_BYTES);
    assert.equal(limits.answered('t'), false, 'the default stands in, not an answer');
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!,
      /could not read max\.message\.bytes of t, gone \(Connection refused\)/,
    );
    now += 59_000;
    assert.equal(limits.load(['t']), null, 'not asked again within the minute');
    state.down = false;
    now += 1_001;
    await limits.load(['t', 'gone']);
    assert.equal(limits.maxMessageBytes('t'), 65_536);
    assert.equal(limits.answered('t'), true);
    // A topic the broker does not know keeps the default, and is said so.
    assert.equal(limits.maxMessageBytes('gone'), DEFAULT_MAX_MESSAGE_BYTES);
    assert.equal(limits.answered('gone'), false);
    assert.match(warnings[1]!, /of gone \(This server does not host this topic\)/);
    assert.deepEqual(lookups, [
      ['t', 'gone'],
      ['t', 'gone'],
    ]);
  });
});
