/**
 * What ingest's HTTP floors cost and hold (issue 15, the single-lead and memory targets), and how
 * Node's settings move both: each server of `HttpFloor` (the bare `node:http` server, NestJS on
 * Fastify with one empty controller, that controller writing each body to Kafka before its 202,
 * and the NestJS app with the same handler on its Fastify instance, outside Nest's router) under
 * the single-lead load `ingestLoad` puts on ingest (64 connections, every body a
 * distinct lead, 3 s of warm-up), with the services' Node flags and then each `--variant`'s
 * settings (`label:--flag;KEY=value`, as `npm run bench:memory` takes them; a later V8 flag wins).
 * For each: requests/s, CPU-µs a request, RSS once listening and peak RSS (VmHWM). Variants
 * alternate by round, so the host's drift falls on each alike. Nothing is recorded.
 *
 *   node bench/dist/http-floor.bench.js [--rounds 2] [--seconds 8] [--servers node:http,nest] \
 *     [--variant 'semi4:--max-semi-space-size=4']...
 *
 * `nest+kafka` among the servers needs Kafka: KAFKA_BROKERS and SCHEMA_REGISTRY_URL, else a
 * local stack is started.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '@lead-router/observability';
import { benchKafka, benchStack } from './bench.stack';
import { floorTopic, httpFloorLoad, type HttpFloor, type HttpFloorFigures } from './ingest.part';
import { machine, percentile } from './proc.stats';
import { parseVariant, type Variant } from './variant.part';

const repoRoot = resolve(__dirname, '..', '..');
const SERVERS: readonly HttpFloor[] = ['node:http', 'nest', 'nest+kafka', 'nest/fastify-route'];

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '8' },
    servers: { type: 'string', default: 'node:http,nest' },
    variant: { type: 'string', multiple: true, default: [] },
  },
});

const say = (msg: string): void => {
  process.stdout.write(`[http-floor ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

interface FloorRun {
  server: HttpFloor;
  variant: string;
  round: number;
  figures: HttpFloorFigures;
}

const fmt = (n: number | undefined): string =>
  n === undefined || !Number.isFinite(n) ? '–' : Math.round(n).toLocaleString('en-US');

function medianOf(runs: readonly FloorRun[], pick: (f: HttpFloorFigures) => number | undefined) {
  const values = runs
    .map((r) => pick(r.figures))
    .filter((v): v is number => v !== undefined && Number.isFinite(v))
    .sort((a, b) => a - b);
  return values.length === 0 ? NaN : percentile(values, 50);
}

async function main(): Promise<void> {
  const rounds = Number(args.rounds);
  const seconds = Number(args.seconds);
  const servers = args.servers.split(',').map((s) => {
    if (!SERVERS.includes(s as HttpFloor))
      throw new RangeError(`--servers: ${s} is none of ${SERVERS.join(', ')}`);
    return s as HttpFloor;
  });
  const variants: Variant[] = [
    { label: 'services', env: {}, nodeFlags: [] },
    ...args.variant.map(parseVariant),
  ];
  const host = machine(repoRoot);
  say(
    `${servers.join(', ')}; variants ${variants.map((v) => v.label).join(', ')}; ${rounds} round(s) of ${seconds} s; ` +
      `${host.nproc} cores, ${host.cpuModel}`,
  );
  const workDir = mkdtempSync(join(tmpdir(), 'lead-router-http-floor-'));
  const kafkaNeeded = servers.includes('nest+kafka');
  const stackInfo = kafkaNeeded ? await benchStack(workDir, say) : undefined;
  const kafka = stackInfo
    ? benchKafka(stackInfo.brokers, 'bench-http-floor', createLogger('bench', 'warn'))
    : undefined;
  const runs: FloorRun[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 === 1 ? variants : [...variants].reverse();
      for (const variant of order) {
        for (const server of servers) {
          const topic =
            server === 'nest+kafka'
              ? await floorTopic(kafka!, `http-floor-${process.pid}-${round}-${variant.label}.`)
              : undefined;
          const figures = await httpFloorLoad(repoRoot, {
            seconds,
            seed: 60 + round,
            server,
            variant,
            ...(topic !== undefined ? { topic } : {}),
          });
          runs.push({ server, variant: variant.label, round, figures });
          say(
            `round ${round} ${server} ${variant.label}: ${fmt(figures.requestsPerSec)} requests/s, ` +
              `${fmt(figures.cpuUsPerRequest)} CPU-µs each, p99 ${figures.p99} ms, non-2xx ${figures.non2xx}; ` +
              `RSS ${fmt(figures.idleRssMb)} MB listening, ${fmt(figures.peakRssMb)} MB at peak`,
          );
        }
      }
    }
  } finally {
    await stackInfo?.stack?.stop();
  }
  const lines = [
    '',
    '| server | variant | requests/s (median) | CPU-µs a request (median) | RSS listening, MB | peak RSS, MB (median, min–max) |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const server of servers) {
    for (const variant of variants) {
      const of = runs.filter((r) => r.server === server && r.variant === variant.label);
      const peaks = of.map((r) => r.figures.peakRssMb ?? NaN).sort((a, b) => a - b);
      lines.push(
        `| ${server} | ${variant.label} | ${fmt(medianOf(of, (f) => f.requestsPerSec))} | ` +
          `${fmt(medianOf(of, (f) => f.cpuUsPerRequest))} | ${fmt(medianOf(of, (f) => f.idleRssMb))} | ` +
          `${fmt(medianOf(of, (f) => f.peakRssMb))} (${fmt(peaks[0])}–${fmt(peaks[peaks.length - 1])}) |`,
      );
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
