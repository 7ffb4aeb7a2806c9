import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, Option } from 'commander';
import { CliFailure, UsageError } from '../cli.errors';
import type { GlobalOptions } from '../cli.context';
import { buildFrame, type Frame } from './top.frame';
import { CLEAR_SCREEN, renderFrame } from './top.render';
import { scrapeAll } from './top.scrape';
import { manifestTargets, parseTargets } from './top.targets';

interface TopOptions {
  targets?: string;
  host: string;
  interval: number;
  timeout: number;
  once?: boolean;
  iterations?: number;
  json?: boolean;
}

const positiveNumber = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${name} must be a positive number`);
  return n;
};

const positiveInteger = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a positive integer`);
  return n;
};

/** The frame as one JSON line; rates and quantiles are null where the window had none. */
const frameJson = (frame: Frame): string =>
  JSON.stringify({ ...frame, at: new Date(frame.at).toISOString() });

export function topCommand(program: Command): void {
  program
    .command('top')
    .description(
      "live leads/s per stage, consumer lag, speed-to-lead p50/p99 and dead letters, from the services' /metrics",
    )
    .addOption(
      new Option(
        '--targets <list>',
        'services to read, name=url or url, comma-separated (default: every service of the manifest on --host)',
      ).env('LEADCTL_TOP_TARGETS'),
    )
    .option(
      '--host <host>',
      'where the services listen when --targets is not given, each on its npm start port',
      '127.0.0.1',
    )
    .option('--interval <seconds>', 'seconds between reads', positiveNumber('--interval'), 2)
    .option(
      '--timeout <ms>',
      "how long a service's /metrics may take",
      positiveNumber('--timeout'),
      5000,
    )
    .option('--once', 'print one frame (two reads, --interval apart) and exit')
    .option('--iterations <n>', 'print this many frames and exit', positiveInteger('--iterations'))
    .option('--json', 'one JSON object per frame instead of the table')
    .addHelpText(
      'after',
      "\nRates come from the counters' increases between two reads; speed-to-lead quantiles from the " +
        "histogram's bucket increases, as Prometheus' histogram_quantile estimates them. A service " +
        'that does not answer is shown DOWN. On a terminal each frame replaces the last; otherwise ' +
        'frames are printed one after another. With --once or --iterations the exit code is 1 when ' +
        'no service answered the last read.',
    )
    .action(async (opts: TopOptions, cmd: Command) => {
      if (opts.once && opts.iterations !== undefined) {
        throw new UsageError('give --once or --iterations <n>, not both');
      }
      const { prefix } = cmd.optsWithGlobals<GlobalOptions>();
      const targets =
        opts.targets !== undefined ? parseTargets(opts.targets) : manifestTargets(opts.host);
      const frames = opts.once ? 1 : opts.iterations;
      const live = process.stdout.isTTY && !opts.json;
      const intervalMs = opts.interval * 1000;

      let previous = await scrapeAll(targets, opts.timeout);
      for (let n = 0; frames === undefined || n < frames; n++) {
        const elapsed = Date.now() - Math.max(...previous.map((s) => s.at));
        await sleep(Math.max(0, intervalMs - elapsed));
        const current = await scrapeAll(targets, opts.timeout);
        const frame = buildFrame(previous, current, prefix);
        if (opts.json) process.stdout.write(`${frameJson(frame)}\n`);
        else if (live) process.stdout.write(CLEAR_SCREEN + renderFrame(frame));
        else process.stdout.write(`${n > 0 ? '\n' : ''}${renderFrame(frame)}`);
        previous = current;
        if (frames !== undefined && n === frames - 1 && frame.services.every((s) => !s.up)) {
          throw new CliFailure(
            `no service answered at ${targets.map((t) => t.url).join(', ')} (--targets, --host)`,
            'no_target',
          );
        }
      }
    });
}
