import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createInterface } from 'node:readline/promises';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { defaultPort } from '@lead-router/schemas';
import { Presets, SingleBar } from 'cli-progress';
import { type Command, Option } from 'commander';
import { CliFailure, UsageError } from '../cli.errors';
import { write } from '../cli.context';
import {
  type DryRunAnswer,
  formatMapping,
  headOf,
  importQuery,
  type MappingOptions,
  UploadMeter,
} from './import.upload';

interface ImportOptions extends MappingOptions {
  url: string;
  apiKey?: string;
  yes: boolean;
  report?: string;
  progress: boolean;
}

/** The summary `POST /v1/leads/import` answers. */
interface ImportSummary {
  import_id: string;
  source: string;
  rows: number;
  accepted: number;
  rejected: number;
  report_url: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

async function refusal(res: Response): Promise<CliFailure> {
  return refusalOf(res.status, await res.text());
}

function refusalOf(status: number, text: string): CliFailure {
  try {
    const body = JSON.parse(text) as {
      error: { code: string; message: string; fields?: { message: string }[] };
    };
    const fields = (body.error.fields ?? []).map((f) => `\n  ${f.message}`).join('');
    return new CliFailure(
      `ingest answered ${status}: ${body.error.message}${fields}`,
      body.error.code,
    );
  } catch {
    return new CliFailure(`ingest answered ${status}: ${text.slice(0, 200)}`);
  }
}

/**
 * POSTs a stream with node:http, piped so that the file is read only as fast as the socket takes
 * it (fetch with a web stream body read the file ahead into memory).
 */
async function upload(
  url: URL,
  headers: Record<string, string>,
  body: Readable,
): Promise<{ status: number; body: string }> {
  const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
    method: 'POST',
    headers,
  });
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    request.once('response', resolve);
    request.once('error', reject);
  });
  await pipeline(body, request);
  const response = await answered;
  return { status: response.statusCode ?? 0, body: await text(response) };
}

async function confirmed(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new UsageError('stdin is not a terminal: pass --yes to import with the mapping shown');
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/**
 * `leadctl import <file.csv>`: sends a partner file to ingest's `POST /v1/leads/import`, which
 * validates, maps and produces every row with the API key's source and writes the per-row report;
 * leadctl shows the mapping first (a dry run on the file's first lines), then streams the file
 * with a progress bar and saves the report. It goes through ingest rather than to Kafka so that a
 * partner's file meets the same key, source, validation and limits as its API calls, and needs
 * no access to the broker.
 */
export function importCommand(program: Command): void {
  program
    .command('import')
    .argument('<file.csv>', 'a CSV with a header row; comma-separated, RFC 4180 quoting')
    .description(
      'import leads from a partner CSV through ingest: the mapping is shown first, every row is reported (row number, lead id or reason); exit 1 when any row was rejected',
    )
    .addOption(
      new Option('--url <url>', 'ingest base URL')
        .env('INGEST_URL')
        .default(`http://localhost:${defaultPort('ingest')}`),
    )
    .addOption(
      new Option('--api-key <key>', "the source's API key; the leads get its source").env(
        'LEAD_ROUTER_API_KEY',
      ),
    )
    .option(
      '--map <column=field>',
      'map a column to a lead field or attribute (- leaves it out); repeatable',
      collect,
      [],
    )
    .option('--mapping <file.json>', 'a mapping file: {"<column>": "<field>" or null, ...}')
    .option('--key-column <column>', "the column holding each row's own id (its idempotency key)")
    .option('--yes', 'import without asking to confirm the mapping', false)
    .option('--report <file>', 'where to save the per-row report (default: <file>.report.csv)')
    .option('--no-progress', 'no progress bar (there is none when stderr is not a terminal)')
    .action(async (file: string, opts: ImportOptions) => {
      if (opts.apiKey === undefined || opts.apiKey === '') {
        throw new UsageError('--api-key (or LEAD_ROUTER_API_KEY) is required');
      }
      let size: number;
      try {
        size = statSync(file).size;
      } catch {
        throw new CliFailure(`cannot read ${file}`);
      }
      const base = opts.url.replace(/\/+$/, '');
      const headers = { authorization: `Bearer ${opts.apiKey}`, 'content-type': 'text/csv' };
      const post = (body: NonNullable<RequestInit['body']>, dryRun: boolean) =>
        fetch(`${base}/v1/leads/import?${importQuery(opts, dryRun).toString()}`, {
          method: 'POST',
          headers,
          body,
          // A stream body is sent as it is read (Node's fetch requires saying so).
          duplex: 'half',
        } as RequestInit);

      const preview = await post(new Uint8Array(await headOf(file)), true);
      if (!preview.ok) throw await refusal(preview);
      process.stderr.write(`${formatMapping((await preview.json()) as DryRunAnswer)}\n`);
      if (
        !opts.yes &&
        !(await confirmed(`import ${file} (${size} bytes) with this mapping? [y/N] `))
      ) {
        throw new CliFailure('not imported');
      }

      const meter = new UploadMeter();
      const bar = new SingleBar(
        {
          format:
            'importing |{bar}| {percentage}% {value}/{total} bytes | {rows} rows | {rate} rows/s',
          stream: process.stderr,
        },
        Presets.shades_classic,
      );
      const started = Date.now();
      const tick = () =>
        bar.update(meter.bytes, {
          rows: meter.rows,
          rate: Math.round(meter.rows / Math.max(0.001, (Date.now() - started) / 1000)),
        });
      if (opts.progress) bar.start(size, 0, { rows: 0, rate: 0 });
      const timer = setInterval(tick, 200);
      let res: { status: number; body: string };
      try {
        res = await upload(
          new URL(`${base}/v1/leads/import?${importQuery(opts, false).toString()}`),
          headers,
          createReadStream(file).pipe(meter),
        );
        tick();
      } finally {
        clearInterval(timer);
        bar.stop();
      }
      if (res.status !== 200) throw refusalOf(res.status, res.body);
      const summary = JSON.parse(res.body) as ImportSummary;

      const reportFile = opts.report ?? `${file}.report.csv`;
      const report = await fetch(`${base}${summary.report_url}`, { headers });
      if (!report.ok || report.body === null) throw await refusal(report);
      await pipeline(
        Readable.fromWeb(report.body as ReadableStream<Uint8Array>),
        createWriteStream(reportFile),
      );
      const seconds = (Date.now() - started) / 1000;
      write(
        `imported ${summary.accepted} of ${summary.rows} rows as "${summary.source}" leads in ${seconds.toFixed(1)} s, rejected ${summary.rejected} (import ${summary.import_id}, report in ${reportFile})`,
      );
      if (summary.rejected > 0) {
        throw new CliFailure(
          `${summary.rejected} row(s) rejected, see ${reportFile}; the others were imported`,
        );
      }
    });
}
