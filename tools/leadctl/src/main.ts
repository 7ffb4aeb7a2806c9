#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { errorMessage } from '@lead-router/errors';
import { CliContext, globalDefaults, type GlobalOptions } from './cli.context';
import { CliFailure } from './cli.errors';
import { accountsCommand } from './commands/accounts.command';
import { dlqCommand } from './commands/dlq.command';
import { forgetCommand } from './commands/forget.command';
import { importCommand } from './commands/import.command';
import { replayCommand } from './commands/replay.command';
import { rulesCommand } from './commands/rules.command';
import { topCommand } from './commands/top.command';
import { topicsCommand } from './commands/topics.command';
import { traceCommand } from './commands/trace.command';

const defaults = globalDefaults();
const program = new Command('leadctl')
  .description(
    'operate lead-router: rules, dead letters, replays, topics, accounts, partner-file imports, lead traces, erasure requests and a live view of the running services',
  )
  .addOption(
    new Option('--brokers <list>', 'Kafka brokers').env('KAFKA_BROKERS').default(defaults.brokers),
  )
  .addOption(
    new Option('--registry <url>', 'schema registry URL')
      .env('SCHEMA_REGISTRY_URL')
      .default(defaults.registry),
  )
  .addOption(
    new Option('--prefix <prefix>', 'topic and group prefix')
      .env('TOPIC_PREFIX')
      .default(defaults.prefix),
  )
  .addOption(
    new Option('--pg <url>', 'PostgreSQL of the trace index').env('PG_URL').default(defaults.pg),
  )
  .addOption(
    new Option('--table <name>', 'trace index table').env('INDEX_TABLE').default(defaults.table),
  )
  .addHelpText(
    'after',
    '\nTLS, SASL and registry auth come from the environment, as for the services: ' +
      'KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD(_FILE), ' +
      'KAFKA_SSL_CA_FILE, KAFKA_SSL_CERT_FILE, KAFKA_SSL_KEY_FILE, SCHEMA_REGISTRY_USERNAME, ' +
      'SCHEMA_REGISTRY_PASSWORD(_FILE), SCHEMA_REGISTRY_CA_FILE (docs/security.md).',
  )
  .exitOverride()
  .showHelpAfterError();

let context: CliContext | null = null;
const contextOf = (cmd: Command): CliContext => {
  context ??= new CliContext(cmd.optsWithGlobals<GlobalOptions>());
  return context;
};

rulesCommand(program, contextOf);
dlqCommand(program, contextOf);
replayCommand(program, contextOf);
topicsCommand(program, contextOf);
accountsCommand(program, contextOf);
importCommand(program);
traceCommand(program, contextOf);
topCommand(program);
forgetCommand(program, contextOf);

async function main(): Promise<number> {
  try {
    await program.parseAsync(process.argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander printed the problem; help and --version end here too, successfully.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof CliFailure) {
      process.stderr.write(`leadctl: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`leadctl: ${errorMessage(err)}\n`);
    return 1;
  } finally {
    await context?.close().catch(() => undefined);
  }
}

void main().then((code) => process.exit(code));
