/**
 * Local Kafka + Apicurio Registry without Docker.
 *
 *   stack.cli start [--data-dir D] [--kafka-port N] [--controller-port N] [--registry-port N] [--no-registry]
 *       runs in the foreground until SIGINT/SIGTERM, then stops both JVMs
 *   stack.cli fetch
 *       only fetches the artifacts into the cache
 *
 * Env: KAFKA_VERSION, APICURIO_VERSION, LEAD_ROUTER_CACHE, KAFKA_PORT, REGISTRY_PORT (flags win).
 */
import * as path from 'node:path';

import { DEFAULT_APICURIO_VERSION, DEFAULT_KAFKA_VERSION, ensureArtifacts } from './artifacts';
import { LocalStack, startStack } from './stack';
import { defaultCacheDir } from './util';

const USAGE = `usage: stack.cli start [--data-dir D] [--kafka-port N] [--controller-port N] [--registry-port N] [--no-registry]
       stack.cli fetch
env: KAFKA_VERSION (default ${DEFAULT_KAFKA_VERSION}), APICURIO_VERSION (default ${DEFAULT_APICURIO_VERSION}),
     LEAD_ROUTER_CACHE (default ~/.cache/lead-router), KAFKA_PORT, REGISTRY_PORT`;

interface Args {
  command: string;
  dataDir?: string;
  kafkaPort?: number | undefined;
  controllerPort?: number | undefined;
  registryPort?: number | undefined;
  registry: boolean;
}

function parsePort(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${name}: not a port: ${value}`);
  return n;
}

function parseArgs(argv: string[]): Args {
  const [command = 'help', ...rest] = argv;
  const args: Args = { command, registry: true };
  const kafkaPort = parsePort('KAFKA_PORT', process.env['KAFKA_PORT']);
  const registryPort = parsePort('REGISTRY_PORT', process.env['REGISTRY_PORT']);
  if (kafkaPort !== undefined) args.kafkaPort = kafkaPort;
  if (registryPort !== undefined) args.registryPort = registryPort;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? '';
    const [flag = '', inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = rest[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--data-dir':
        args.dataDir = value();
        break;
      case '--kafka-port':
        args.kafkaPort = parsePort(flag, value());
        break;
      case '--controller-port':
        args.controllerPort = parsePort(flag, value());
        break;
      case '--registry-port':
        args.registryPort = parsePort(flag, value());
        break;
      case '--no-registry':
        args.registry = false;
        break;
      default:
        throw new Error(`unknown argument ${arg}\n${USAGE}`);
    }
  }
  return args;
}

const log = (msg: string): void => {
  process.stderr.write(`[local-stack] ${msg}\n`);
};

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const cacheDir = defaultCacheDir();
  const versions = {
    kafkaVersion: process.env['KAFKA_VERSION'] || DEFAULT_KAFKA_VERSION,
    apicurioVersion: process.env['APICURIO_VERSION'] || DEFAULT_APICURIO_VERSION,
  };

  if (args.command === 'fetch') {
    const a = await ensureArtifacts({ cacheDir, ...versions, log });
    process.stdout.write(`kafka libs:   ${a.kafkaLibs}\napicurio dir: ${a.apicurioDir}\n`);
    return 0;
  }
  if (args.command !== 'start') {
    process.stdout.write(`${USAGE}\n`);
    return args.command === 'help' || args.command === '--help' ? 0 : 2;
  }

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
    log,
    ...(args.kafkaPort !== undefined ? { kafkaPort: args.kafkaPort } : {}),
    ...(args.controllerPort !== undefined ? { controllerPort: args.controllerPort } : {}),
    ...(args.registryPort !== undefined ? { registryPort: args.registryPort } : {}),
  });
  if (stopping) {
    // a signal arrived while starting: the handler saw no stack yet
    await stack.stop();
    return 0;
  }
  process.stdout.write(
    [
      `local stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s (data: ${dataDir})`,
      `KAFKA_BROKERS=${stack.brokers}`,
      ...(stack.registryUrl !== '' ? [`SCHEMA_REGISTRY_URL=${stack.registryUrl}`] : []),
      `logs: ${path.dirname(stack.logs.broker)}`,
      'Ctrl-C to stop',
      '',
    ].join('\n'),
  );
  // stay in the foreground; the signal handlers end the process
  setInterval(() => undefined, 1 << 30);
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    log(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
