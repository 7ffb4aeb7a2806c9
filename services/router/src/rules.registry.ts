import { randomBytes } from 'node:crypto';
import { type AvroCodec, ensureTopics } from '@lead-router/kafka';
import type { Logger } from '@lead-router/observability';
import { compileRuleSet, parseRuleSet, type CompiledRuleSet } from '@lead-router/routing';
import type { RuleSetVersion, TopicDeclaration } from '@lead-router/schemas';
import type { Consumer, Kafka } from 'kafkajs';

const key = (id: string, version: string) => `${id}@${version}`;

/**
 * Every rule-set version this router knows: the file it started with, then every version
 * published to the compacted routing.rules topic, which each router instance reads in full
 * (its own throwaway group, nothing committed) and follows, so a publish reaches every instance
 * within a fetch and no restart is needed. The newest version of the active rule set routes
 * new leads; older versions stay known, so a lead matched under one is assigned under the same.
 */
export class RulesRegistry {
  private readonly versions = new Map<string, CompiledRuleSet>();
  private active: CompiledRuleSet;
  private consumer: Consumer | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(
    initial: CompiledRuleSet,
    private readonly deps: {
      kafka: Kafka;
      codec: AvroCodec;
      logger: Logger;
      topic: TopicDeclaration;
      groupPrefix: string;
    },
  ) {
    this.active = initial;
    this.versions.set(key(initial.id, initial.version), initial);
  }

  get current(): CompiledRuleSet {
    return this.active;
  }

  /** Reads the published versions up to now, then keeps following the topic. */
  async start(): Promise<void> {
    const { kafka, topic, groupPrefix } = this.deps;
    await ensureTopics(kafka, [topic]);
    const admin = kafka.admin();
    await admin.connect();
    const [end] = await admin.fetchTopicOffsets(topic.name).finally(() => admin.disconnect());
    const last = BigInt(end?.high ?? '0') - 1n;
    this.consumer = kafka.consumer({
      groupId: `${groupPrefix}.rules.${randomBytes(6).toString('hex')}`,
      maxWaitTimeInMs: 250,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: topic.name, fromBeginning: true });
    let caughtUp: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (caughtUp = resolve));
    if (last < 0n) caughtUp();
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        await this.accept(message.value);
        if (BigInt(message.offset) >= last) caughtUp();
      },
    });
    await ready;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }

  /** Nest calls this after the stages have drained. */
  onApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  /** The compiled version, waiting a while for it to arrive when another instance saw it first. */
  async version(id: string, version: string, timeoutMs = 30_000): Promise<CompiledRuleSet | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.versions.get(key(id, version));
      if (found || Date.now() >= deadline) return found ?? null;
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          resolve();
        };
        this.waiters.add(wake);
        setTimeout(wake, 500);
      });
    }
  }

  private async accept(value: Buffer | null): Promise<void> {
    const { codec, logger } = this.deps;
    let published: RuleSetVersion;
    try {
      published = await codec.decode<RuleSetVersion>(value, 'RuleSetVersion');
    } catch (err) {
      logger.error({ err }, 'unreadable record on the rules topic, ignored');
      return;
    }
    const parsed = parseRuleSet(published.yaml);
    if (!parsed.ok) {
      // leadctl validates before publishing; a record written around it must not stop routing.
      logger.error(
        { ruleSet: published.rule_set_id, version: published.version, issues: parsed.error },
        'published rule set is invalid, ignored',
      );
      return;
    }
    const compiled = compileRuleSet(parsed.value);
    this.versions.set(key(compiled.id, compiled.version), compiled);
    if (compiled.id === this.active.id && compiled.version !== this.active.version) {
      logger.info(
        { ruleSet: compiled.id, from: this.active.version, to: compiled.version },
        'routing with a newly published rule-set version',
      );
      this.active = compiled;
    }
    for (const wake of [...this.waiters]) wake();
  }
}
