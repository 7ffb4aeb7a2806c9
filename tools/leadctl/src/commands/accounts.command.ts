import { createReadStream, createWriteStream, statSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { ensureTopics } from '@lead-router/kafka';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { CliFailure } from '../cli.errors';
import { write, type CliContext } from '../cli.context';
import { formatRowReport, importAccounts } from './accounts.import';

interface ImportOptions {
  report: string;
  progress: boolean;
}

export function accountsCommand(program: Command, context: (cmd: Command) => CliContext): void {
  const accounts = program
    .command('accounts')
    .description('the accounts leads are matched to (the compacted accounts topic)');

  accounts
    .command('import')
    .argument(
      '<file.csv>',
      'columns: account_id, name, domains, owner, owner.<destination>, updated_at',
    )
    .option('--report <file>', 'write the per-row report to this file instead of stdout', '-')
    .option('--no-progress', 'no progress bar (there is none when stderr is not a terminal)')
    .description(
      'import accounts from a CSV: every row validated on its own, a bad one reported and skipped; exit 1 when any row was refused',
    )
    .action(async (file: string, opts: ImportOptions, cmd: Command) => {
      const ctx = context(cmd);
      let size: number;
      try {
        size = statSync(file).size;
      } catch {
        throw new CliFailure(`cannot read ${file}`);
      }
      const { topics, declarations } = ctx.topics;
      const topic = declarations.find((d) => d.name === topics.accounts)!;
      await ensureTopics(ctx.kafka, [topic]);
      await ctx.codec.register([topic]);
      const producer = await ctx.producer();

      const out: WriteStream | null = opts.report === '-' ? null : createWriteStream(opts.report);
      const bar = new SingleBar(
        { format: 'importing |{bar}| {percentage}% {value}/{total} bytes', stream: process.stderr },
        Presets.shades_classic,
      );
      if (opts.progress) bar.start(size, 0);
      try {
        const summary = await importAccounts(
          createReadStream(file),
          {
            send: (batch) =>
              producer.sendAll(
                batch.map((account) => ({
                  topic: topic.name,
                  key: account.account_id,
                  value: ctx.codec.encode(topic.name, account),
                })),
              ),
            report: (row) => {
              const line = formatRowReport(row);
              if (out === null) write(line);
              else out.write(`${line}\n`);
            },
            progress: (bytes) => bar.update(Math.min(bytes, size)),
          },
          Date.now(),
        );
        bar.stop();
        process.stderr.write(
          `imported ${summary.imported} account${summary.imported === 1 ? '' : 's'} to ${topic.name}, refused ${summary.refused} row${summary.refused === 1 ? '' : 's'}${out === null ? '' : ` (report in ${opts.report})`}\n`,
        );
        if (summary.refused > 0) {
          throw new CliFailure(`${summary.refused} row(s) refused; the others were imported`);
        }
      } finally {
        bar.stop();
        if (out !== null) {
          out.end();
          await once(out, 'close');
        }
      }
    });

  accounts
    .command('delete')
    .argument('<account_id...>', 'the accounts to delete')
    .description(
      'delete accounts: a tombstone per id on the accounts topic, which every enricher follows',
    )
    .action(async (ids: string[], _opts: unknown, cmd: Command) => {
      const ctx = context(cmd);
      const { topics, declarations } = ctx.topics;
      const topic = declarations.find((d) => d.name === topics.accounts)!;
      await ensureTopics(ctx.kafka, [topic]);
      // A tombstone is a record with a null value, which compaction keeps for a day and then
      // removes with every earlier record of its key.
      const producer = ctx.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      try {
        await producer.send({
          topic: topic.name,
          acks: -1,
          messages: ids.map((id) => ({ key: id, value: null })),
        });
      } finally {
        await producer.disconnect();
      }
      for (const id of ids) write(`${id}: deleted`);
    });
}
