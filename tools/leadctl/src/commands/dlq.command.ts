import { ATTEMPTS_HEADER, readRanges, wholeTopicRanges } from '@lead-router/kafka';
import { SuppressionList, personOf } from '@lead-router/privacy';
import type { DeadLetter } from '@lead-router/schemas';
import type { Command } from 'commander';
import { UsageError } from '../cli.errors';
import { write, type CliContext } from '../cli.context';

interface DlqFilter {
  stage?: string;
  code?: string;
  lead?: string;
}

interface DlqEntry {
  partition: number;
  offset: string;
  dead: DeadLetter;
}

/** Every dead letter that passes the filter, newest first. */
async function readDeadLetters(ctx: CliContext, filter: DlqFilter): Promise<DlqEntry[]> {
  const topic = ctx.topics.topics.dlq;
  const records = await readRanges(
    ctx.kafka,
    topic,
    await wholeTopicRanges(ctx.kafka, topic),
    ctx.options.prefix,
  );
  const out: DlqEntry[] = [];
  for (const { partition, message } of records) {
    const dead = await ctx.codec.decode<DeadLetter>(message.value, 'DeadLetter');
    if (filter.stage !== undefined && dead.stage !== filter.stage) continue;
    if (filter.code !== undefined && dead.error_code !== filter.code) continue;
    if (filter.lead !== undefined && dead.lead_id !== filter.lead) continue;
    out.push({ partition, offset: message.offset, dead });
  }
  return out.sort(
    (a, b) =>
      b.dead.failed_at - a.dead.failed_at ||
      b.partition - a.partition ||
      Number(BigInt(b.offset) - BigInt(a.offset)),
  );
}

/**
 * Is the dead letter about a person who asked to be forgotten? By its lead id, else by the person
 * its original value names (decoded with its topic's schema; an undecodable value names nobody).
 */
async function forgotten(
  ctx: CliContext,
  suppression: SuppressionList,
  dead: DeadLetter,
): Promise<boolean> {
  if (suppression.size === 0) return false;
  if (suppression.suppresses(personOf(dead))) return true;
  const declaration = ctx.topics.declarations.find((d) => d.name === dead.topic);
  if (declaration === undefined || dead.value === null) return false;
  try {
    const original = await ctx.codec.decode<unknown>(dead.value, declaration.valueSchema);
    return suppression.suppresses(personOf(original));
  } catch {
    return false;
  }
}

const positive = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a positive integer`);
  return n;
};

export function dlqCommand(program: Command, context: (cmd: Command) => CliContext): void {
  const dlq = program.command('dlq').description('inspect and replay dead letters');

  dlq
    .command('inspect')
    .option('--stage <stage>', 'only this stage (normalizer, sink-webhook, ...)')
    .option('--code <code>', 'only this error code (no_contact, decode_failed, ...)')
    .option('--lead <id>', 'only this lead')
    .option('--limit <n>', 'at most this many', positive('--limit'), 50)
    .option('--json', 'one JSON object per line')
    .description('dead letters, newest first')
    .action(async (opts: DlqFilter & { limit: number; json?: boolean }, cmd: Command) => {
      const ctx = context(cmd);
      const entries = (await readDeadLetters(ctx, opts)).slice(0, opts.limit);
      for (const { partition, offset, dead } of entries) {
        if (opts.json) {
          write(
            JSON.stringify({
              dlq: { partition, offset },
              stage: dead.stage,
              code: dead.error_code,
              error: dead.error,
              lead_id: dead.lead_id,
              source: { topic: dead.topic, partition: dead.partition, offset: dead.offset },
              attempts: dead.attempts,
              failed_at: new Date(dead.failed_at).toISOString(),
              headers: dead.headers,
              value_bytes: dead.value?.length ?? 0,
            }),
          );
        } else {
          write(
            `${new Date(dead.failed_at).toISOString()}  ${dead.stage}  ${dead.error_code}  lead ${dead.lead_id ?? '-'}  ` +
              `${dead.topic}[${dead.partition}]@${dead.offset}  attempts ${dead.attempts}: ${dead.error}`,
          );
        }
      }
      if (!opts.json) write(`${entries.length} dead letter${entries.length === 1 ? '' : 's'}`);
    });

  dlq
    .command('replay')
    .option('--stage <stage>', 'only this stage')
    .option('--code <code>', 'only this error code')
    .option('--lead <id>', 'only this lead')
    .option('--dry-run', 'list what would be replayed, produce nothing')
    .description(
      `re-produce each record's original key, value and headers to its topic, with ${ATTEMPTS_HEADER}`,
    )
    .action(async (opts: DlqFilter & { dryRun?: boolean }, cmd: Command) => {
      const ctx = context(cmd);
      const all = await readDeadLetters(ctx, opts);
      // A forgotten person's record is never re-produced: the stages would skip it anyway, and
      // the topic would hold it again for its whole retention.
      const suppression = await SuppressionList.snapshot({
        kafka: ctx.kafka,
        codec: ctx.codec,
        topic: ctx.topics.topics.erasures,
      });
      const entries: DlqEntry[] = [];
      let erased = 0;
      for (const entry of all) {
        if (await forgotten(ctx, suppression, entry.dead)) erased++;
        else entries.push(entry);
      }
      const skippedNote =
        erased === 0
          ? ''
          : `; skipped ${erased} of a person who asked to be forgotten (leadctl forget)`;
      // Oldest first, so one lead's records reach their topic in their original order.
      const records = entries.reverse().map(({ dead }) => ({
        topic: dead.topic,
        key: dead.key,
        value: dead.value ?? Buffer.alloc(0),
        headers: { ...dead.headers, [ATTEMPTS_HEADER]: String(dead.attempts) },
      }));
      if (opts.dryRun) {
        for (const { dead } of entries) {
          write(
            `would replay ${dead.topic}[${dead.partition}]@${dead.offset} lead ${dead.lead_id ?? '-'} (${dead.stage} ${dead.error_code}, attempts ${dead.attempts})`,
          );
        }
        write(
          `${records.length} record${records.length === 1 ? '' : 's'} would be replayed${skippedNote}`,
        );
        return;
      }
      await (await ctx.producer()).sendAll(records);
      write(`replayed ${records.length} record${records.length === 1 ? '' : 's'}${skippedNote}`);
    });
}
