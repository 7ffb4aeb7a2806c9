/** Local Kafka + Apicurio Registry without Docker: `stack.cli start|fetch --help`. */
import * as path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';

import { DEFAULT_APICURIO_VERSION, DEFAULT_KAFKA_VERSION, ensureArtifacts } from './artifacts';
import { LocalStack, startStack } from './stack';
import { defaultCacheDir } from './util';

const port = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new InvalidArgumentError(`not a port: ${value}`);
  }
  return n;
};

interface StartOptions {
  dataDir?: string;
  kafkaPort?: number;
  controllerPort?: number;
  registryPort?: number;
  registry: boolean;
  security: 'plaintext' | 'sasl_ssl';
}

const log = (msg: string): void => {
  process.stderr.write(`[local-stack] ${msg}\n`);
};

const cacheDir = defaultCacheDir();
const versions = {
  kafkaVersion: process.env['KAFKA_VERSION'] || DEFAULT_KAFKA_VERSION,
  apicurioVersion: process.env['APICURIO_VERSION'] || DEFAULT_APICURIO_VERSION,
};

async function fetchArtifacts(): Promise<void> {
  const a = await ensureArtifacts({ cacheDir, ...versions, log });
  process.stdout.write(`kafka libs:   ${a.kafkaLibs}\napicurio dir: ${a.apicurioDir}\n`);
  process.exit(0);
}

async function start(args: StartOptions): Promise<void> {
  const dataDir = path.resolve(args.dataDir ?? path.join(cacheDir, 'stack-data'));
  let stack: LocalStack | undefined = undefined;
  let stopping = false;
  const shutdown = (sig: string): void => {
    if (stopping) return;
    stopping = true;
    log(`${sig}: stopping`);
    const done = stack === undefined ? Promise.resolve() : stack.stop();
    void done.then(
      () => {
        log('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log(`stop failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  // Our own handlers: the library then leaves the signals to us and we stop gracefully.
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGHUP', () => shutdown('SIGHUP'));

  const t0 = Date.now();
  stack = await startStack({
    dataDir,
    cacheDir,
    ...versions,
    registry: args.registry,
    security: args.security,
    log,
    ...(args.kafkaPort !== undefined ? { kafkaPort: args.kafkaPort } : {}),
    ...(args.controllerPort !== undefined ? { controllerPort: args.controllerPort } : {}),
    ...(args.registryPort !== undefined ? { registryPort: args.registryPort } : {}),
  });
  if (stopping) {
    // a signal arrived while starting: the handler saw no stack yet
    await stack.stop();
    process.exit(0);
  }
  process.stdout.write(
    [
      `local stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s (data: ${dataDir})`,
      // what a client sets (passwords by file; the files are under <data-dir>/tls)
      ...Object.entries(stack.clientEnv).map(([k, v]) => `${k}=${v}`),
      `logs: ${path.dirname(stack.logs.broker)}`,
      'Ctrl-C to stop',
      '',
    ].join('\n'),
  );
  // stay in the foreground; the signal handlers end the process
  setInterval(() => undefined, 1 << 30);
}

const fail = (err: unknown): never => {
  log(err instanceof Error ? err.message : String(err));
  process.exit(1);
};

const program = new Command('stack.cli').description(
  'Local Kafka + Apicurio Registry without Docker. Env: KAFKA_VERSION, APICURIO_VERSION, ' +
    'LEAD_ROUTER_CACHE (default ~/.cache/lead-router), KAFKA_PORT, REGISTRY_PORT.',
);
program
  .command('start')
  .description('run both in the foreground until SIGINT/SIGTERM, then stop both JVMs')
  .option('--data-dir <dir>', 'topics, schemas and logs live here; reuse it to keep them')
  .addOption(new Option('--kafka-port <port>').argParser(port).env('KAFKA_PORT'))
  .option('--controller-port <port>', 'the KRaft controller listener', port)
  .addOption(new Option('--registry-port <port>').argParser(port).env('REGISTRY_PORT'))
  .option('--no-registry', 'the broker alone')
  .addOption(
    new Option(
      '--security <mode>',
      'sasl_ssl: clients only over TLS with SCRAM, the registry over https with basic auth ' +
        '(a CA, certificates and passwords are made under <data-dir>/tls); prints the env a client sets',
    )
      .choices(['plaintext', 'sasl_ssl'])
      .default('plaintext'),
  )
  .action((options: StartOptions) => start(options).catch(fail));
program
  .command('fetch')
  .description('only fetch the artifacts into the cache')
  .action(() => fetchArtifacts().catch(fail));
program.parseAsync(process.argv).catch(fail);
