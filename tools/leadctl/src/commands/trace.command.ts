import { findTrace, formatTrace } from '@lead-router/trace';
import type { Command } from 'commander';
import { CliFailure } from '../cli.errors';
import { write, type CliContext } from '../cli.context';

export function traceCommand(program: Command, context: (cmd: Command) => CliContext): void {
  program
    .command('trace')
    .argument('<lead_id>', 'the lead id ingest answered with')
    .description("the lead's path through every stage, from the trace index")
    .action(async (leadId: string, _opts: unknown, cmd: Command) => {
      const ctx = context(cmd);
      const events = await findTrace(ctx.pool, ctx.options.table, leadId);
      if (events.length === 0) {
        throw new CliFailure(
          `lead ${leadId} is not in the trace index (${ctx.options.table}); is the indexer running?`,
          'lead_not_traced',
          { context: { leadId } },
        );
      }
      write(formatTrace(leadId, events));
    });
}
