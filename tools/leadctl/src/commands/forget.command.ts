import { userInfo } from 'node:os';
import { ensureTopics } from '@lead-router/kafka';
import {
  InvalidErasureRequestError,
  SuppressionList,
  erasureRequestFor,
} from '@lead-router/privacy';
import type { ErasureRequest } from '@lead-router/schemas';
import type { Command } from 'commander';
import { UsageError } from '../cli.errors';
import { write, type CliContext } from '../cli.context';

interface ForgetOptions {
  email?: string;
  lead?: string;
  reason?: string;
  requestedBy?: string;
  list?: boolean;
  json?: boolean;
}

/** The operator's login, as who asked, when no --requested-by is given. */
function operator(): string | null {
  try {
    return userInfo().username || null;
  } catch {
    return null;
  }
}

/** What each part does with a request, printed after it is published. */
const CONSEQUENCES = [
  "every stage skips the person's records from now on, on any replay too, the DLQ replay included",
  "the trace index and sink-postgres delete the lead's rows; the enricher's duplicate store drops the contact",
  'the CRM sinks write an ERASURE_REQUESTED outcome: deleting the lead in the CRM is yours to do',
  'the raw lead topics keep the bytes until their retention (7 days) expires; every stage skips them',
];

/** The request as the operator reads it: never an email, only its digest. */
function describe(r: ErasureRequest): string {
  return (
    `${r.subject_key}  requested ${new Date(r.requested_at).toISOString()}` +
    `${r.requested_by === null ? '' : ` by ${r.requested_by}`}` +
    `${r.reason === null ? '' : `  reason: ${r.reason}`}`
  );
}

export function forgetCommand(program: Command, context: (cmd: Command) => CliContext): void {
  program
    .command('forget')
    .option('--email <address>', 'the person by email: only its SHA-256 is published')
    .option('--lead <id>', 'the person by lead id')
    .option('--reason <text>', 'why (the request reference); must not hold the email')
    .option('--requested-by <who>', 'who asked (default: your login)')
    .option('--list', 'list the erasure requests in force instead')
    .option('--json', 'with --list: one JSON object per line')
    .description(
      'right to erasure: publish a request to privacy.erasures that every stage and store honours; --email applies to the leads received up to now, --lead to that lead',
    )
    .action(async (opts: ForgetOptions, cmd: Command) => {
      const ctx = context(cmd);
      const { topics, declarations } = ctx.topics;
      const topic = declarations.find((d) => d.name === topics.erasures)!;
      if (opts.list) {
        if (opts.email !== undefined || opts.lead !== undefined) {
          throw new UsageError('--list takes neither --email nor --lead');
        }
        const list = await SuppressionList.snapshot({
          kafka: ctx.kafka,
          codec: ctx.codec,
          topic,
        });
        const requests = list.list().sort((a, b) => a.requested_at - b.requested_at);
        for (const r of requests) write(opts.json ? JSON.stringify(r) : describe(r));
        if (!opts.json) {
          write(`${requests.length} erasure request${requests.length === 1 ? '' : 's'}`);
        }
        return;
      }
      if ((opts.email === undefined) === (opts.lead === undefined)) {
        throw new UsageError('give exactly one of --email <address> or --lead <id>');
      }
      if (
        opts.email !== undefined &&
        opts.reason !== undefined &&
        opts.reason.toLowerCase().includes(opts.email.trim().toLowerCase())
      ) {
        throw new UsageError('--reason holds the email: give a reference, not the address');
      }
      let request: ErasureRequest;
      try {
        request = erasureRequestFor({
          email: opts.email ?? null,
          leadId: opts.lead ?? null,
          reason: opts.reason ?? null,
          requestedBy: opts.requestedBy ?? operator(),
          now: Date.now(),
        });
      } catch (err) {
        if (err instanceof InvalidErasureRequestError) {
          throw new UsageError(opts.email !== undefined ? `--email: ${err.message}` : err.message);
        }
        throw err;
      }
      await ensureTopics(ctx.kafka, [topic]);
      await ctx.codec.register([topic]);
      const producer = await ctx.producer();
      await producer.sendAll([
        {
          topic: topic.name,
          key: request.subject_key,
          value: ctx.codec.encode(topic.name, request),
        },
      ]);
      write(`forget ${describe(request)}: published to ${topic.name}`);
      if (request.email_sha256 !== null) {
        write(
          `  applies to the leads with this email received up to ${new Date(request.requested_at).toISOString()}; a later submission is a new lead with new consent`,
        );
      }
      for (const line of CONSEQUENCES) write(`  ${line}`);
    });
}
