import { ensureTopics } from '@lead-router/kafka';
import type { Command } from 'commander';
import { write, type CliContext } from '../cli.context';

export function topicsCommand(program: Command, context: (cmd: Command) => CliContext): void {
  program
    .command('topics')
    .description('topics and schemas')
    .command('setup')
    .description('create every topic and register every schema, as the services do at start')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = context(cmd);
      const { declarations } = ctx.topics;
      await ensureTopics(ctx.kafka, declarations);
      await ctx.codec.register(declarations);
      for (const d of declarations) {
        write(
          `${d.name}: ${d.partitions} partitions, ${d.valueSchema} (id ${ctx.codec.schemaId(d.name)})`,
        );
      }
    });
}
