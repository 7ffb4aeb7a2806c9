import { SuppressionList } from '@lead-router/privacy';
import type { Command } from 'commander';
import { CliFailure, UsageError } from '../cli.errors';
import { write, type CliContext } from '../cli.context';
import { parseTime } from '../time.parser';

interface ReplayOptions {
  group: string;
  topic: string;
  toEarliest?: boolean;
  toTime?: string;
}

export function replayCommand(program: Command, context: (cmd: Command) => CliContext): void {
  program
    .command('replay')
    .requiredOption('--group <groupId>', 'the consumer group, as the service names it')
    .requiredOption('--topic <topic>', 'the topic (the prefix is added when missing)')
    .option('--to-earliest', 'from the first record still kept')
    .option('--to-time <time>', 'from the first record at or after: ISO-8601 or -1h, -7d, ...')
    .description("move a stopped consumer group's offsets back, so the stage processes again")
    .action(async (opts: ReplayOptions, cmd: Command) => {
      if (Boolean(opts.toEarliest) === (opts.toTime !== undefined)) {
        throw new UsageError('give exactly one of --to-earliest or --to-time <time>');
      }
      const ctx = context(cmd);
      const prefix = ctx.options.prefix;
      const topic = opts.topic.startsWith(prefix) ? opts.topic : `${prefix}${opts.topic}`;
      const at = opts.toTime !== undefined ? parseTime(opts.toTime) : undefined;
      const admin = ctx.kafka.admin();
      await admin.connect();
      try {
        const { groups } = await admin.describeGroups([opts.group]);
        const group = groups[0];
        if (group !== undefined && group.members.length > 0) {
          throw new CliFailure(
            `group ${opts.group} has ${group.members.length} active member${group.members.length === 1 ? '' : 's'} ` +
              `(${group.members.map((m) => m.clientId).join(', ')}; state ${group.state}); ` +
              'stop its consumers first: Kafka only moves the offsets of an empty group',
            'group_not_empty',
            { context: { group: opts.group } },
          );
        }
        if (at === undefined) {
          await admin.resetOffsets({ groupId: opts.group, topic, earliest: true });
          const low = await admin.fetchTopicOffsets(topic);
          for (const p of low) write(`${topic}[${p.partition}] -> ${p.low}`);
        } else {
          const partitions = await admin.fetchTopicOffsetsByTimestamp(topic, at.getTime());
          await admin.setOffsets({ groupId: opts.group, topic, partitions });
          for (const p of partitions) write(`${topic}[${p.partition}] -> ${p.offset}`);
        }
        write(
          `group ${opts.group} will resume ${topic} from ${at === undefined ? 'the earliest offsets' : at.toISOString()}`,
        );
        const suppression = await SuppressionList.snapshot({
          kafka: ctx.kafka,
          codec: ctx.codec,
          topic: ctx.topics.topics.erasures,
        });
        if (suppression.size > 0) {
          write(
            `${suppression.size} erasure request${suppression.size === 1 ? '' : 's'} in force (leadctl forget --list): ` +
              "the stage skips those people's records (counted with outcome erased), producing nothing for them",
          );
        }
      } finally {
        await admin.disconnect();
      }
    });
}
