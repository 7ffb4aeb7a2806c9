/**
 * Speed-to-lead alone, for tuning (issue 15): the pipeline's services as processes (ingest,
 * normalizer, enricher, router, sink-webhook) and the receiver, then open-model runs at the rates
 * named, each lead from its scheduled slot to the receiver's arrival stamp, with the per-hop
 * table of `npm run bench` (from the records' CreateTimes) for every rate and the CPU each
 * process spent per accepted lead. Nothing is recorded: `npm run bench` makes the entry.
 *
 *   npm run bench:latency                              # 250, 500 and 1,000 leads/s, 15 s each
 *   npm run bench:latency -- --rates 250,950 --seconds 20 --runs 2
 *   npm run bench:latency -- --env sink-webhook:SINK_COALESCE_MS=0 --env router:STAGE_CHUNK_SIZE=100
 *   npm run bench:latency -- --raw-chain     # then the raw kafkajs chain at the same rates
 *   npm run bench:latency -- --deployment split,fused,split,fused   # both deployments, alternated
 *
 * The stages are warmed with 2,000 leads from Kafka, and ingest, started after them, with 500
 * leads/s through the whole path for `--ingest-warmup` seconds (20; 0 for none), not recorded
 * (`INGEST_WARMUP`).
 *
 * `--deployment` names the deployments to run the rates on, in order (`split`, the default: a
 * process per stage; `fused`: `pipeline-fused` with the router beside it on its assign step, as
 * the manifest declares it). Between two, the stages of the first stop (SIGTERM: they drain and
 * commit) and the other's start on the same consumer groups, then the ingest warm-up runs again
 * so the new processes are warm too.
 *
 * With `--raw-chain`, once the pipeline's runs are done and its services stopped, the pipeline's
 * Kafka hops with nothing but kafkajs in them (`rawChainLatency`, on records sampled from the
 * run's topics) take the same rates: the physical limit of speed-to-lead on this host, and the
 * pipeline's p50 and p99 as ratios to it.
 *
 * Uses KAFKA_BROKERS and SCHEMA_REGISTRY_URL when both are set, else starts a local stack.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import type { ServiceProcess } from '@lead-router/local-stack';
import { alongsideEnv, serviceEntry, type ServiceName } from '@lead-router/schemas';
import { benchStack } from './bench.stack';
import {
  BrokerRequests,
  compilerShare,
  describeRequests,
  describeThreads,
} from './broker-requests.part';
import { pacedLoad } from './ingest.part';
import {
  INGEST_WARMUP,
  STAGES,
  benchEnvFor,
  dropPrefix,
  hopLatency,
  latencyRun,
  startBenchService,
  startReceiver,
  throughputRun,
  warmIngest,
  warmTransactions,
  type LatencyPath,
  type StageName,
} from './pipeline.part';
import {
  coresBusy,
  cpuBetween,
  cpuTotal,
  describeEventLoops,
  describeSinkRequests,
  describeTransactions,
  readCpu,
  readStackPids,
  sleep,
} from './proc.stats';
import { rawChainLatency, sampleChainPools } from './raw-chain.part';

const repoRoot = resolve(__dirname, '..', '..');

const { values: args } = parseArgs({
  options: {
    rates: { type: 'string', default: '250,500,1000' },
    seconds: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '3' },
    runs: { type: 'string', default: '1' },
    sample: { type: 'string', default: '1000' },
    env: { type: 'string', multiple: true, default: [] },
    idle: { type: 'string', default: '10' },
    'ingest-warmup': { type: 'string', default: String(INGEST_WARMUP.seconds) },
    'raw-chain': { type: 'boolean', default: false },
    deployment: { type: 'string', default: 'split' },
  },
});

type Deployment = 'split' | 'fused';

/** The processes between ingest and the sink in each deployment (the sink stays up throughout). */
const MIDDLE: Record<Deployment, readonly ServiceName[]> = {
  split: ['normalizer', 'enricher', 'router'],
  fused: ['pipeline-fused', 'router'],
};

const FUSED = serviceEntry('pipeline-fused');

function deploymentsOf(spec: string): Deployment[] {
  return spec.split(',').map((d) => {
    if (d !== 'split' && d !== 'fused')
      throw new Error(`--deployment ${d}: expected split or fused`);
    return d;
  });
}

const say = (msg: string): void => {
  process.stdout.write(`[latency ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

/** `--env service:KEY=value`, repeatable: extra environment for one service of the run. */
function serviceEnvOf(specs: readonly string[]): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const spec of specs) {
    const match = /^([a-z-]+):([A-Z0-9_]+)=(.*)$/.exec(spec);
    if (!match) throw new Error(`--env ${spec}: expected service:KEY=value`);
    const [, service, key, value] = match;
    out.set(service!, { ...out.get(service!), [key!]: value! });
  }
  return out;
}

async function main(): Promise<void> {
  const rates = args.rates.split(',').map(Number);
  const seconds = Number(args.seconds);
  const warmupSeconds = Number(args.warmup);
  const runs = Number(args.runs);
  const extraEnv = serviceEnvOf(args.env);
  const workDir = mkdtempSync(join(tmpdir(), 'lead-router-latency-'));
  const { brokers, registryUrl, stack } = await benchStack(workDir, say);
  const stackPids = readStackPids(stack?.dataDir ?? process.env['BENCH_STACK_DIR']);
  const receiver = await startReceiver(repoRoot);
  const env = benchEnvFor({ repoRoot, workDir, brokers, registryUrl, receiver, clientId: 'bench' });
  const run = randomBytes(3).toString('hex');
  const prefix = `bench-${run}-lat.`;
  const chainPrefix = `bench-${run}-chain.`;
  const live: ServiceProcess[] = [];
  let brokerRequests: BrokerRequests | undefined;
  try {
    await warmTransactions(env, prefix);
    say(`starting the stages on ${prefix} (2,000 leads to warm them up)`);
    const warm = await throughputRun(env, receiver, prefix, 2_000, {
      timeoutMs: 180_000,
      say,
      label: 'warm-up',
      serviceEnv: (stage: StageName) => extraEnv.get(stage) ?? {},
    });
    live.push(...warm.services.values());
    const ingest = await startBenchService(env, 'ingest', prefix, extraEnv.get('ingest') ?? {});
    live.push(ingest);
    const services = new Map<string, ServiceProcess>([
      ['ingest', ingest],
      ...STAGES.map((s) => [s, warm.services.get(s)!] as const),
    ]);
    const pids = new Map([
      ...[...stackPids].map(([name, pid]) => [name.split(' ').pop()!, pid] as const),
      ['receiver', receiver.child.pid!] as const,
      ...[...services].map(([name, s]) => [name, s.process.pid!] as const),
    ]);
    const brokerPid = pids.get('broker');
    if (brokerPid !== undefined) brokerRequests = await BrokerRequests.attach(brokerPid, say);
    const lines: string[] = [];
    const idleSeconds = Number(args.idle);
    if (idleSeconds > 0) {
      // What the system costs with no lead in flight: every consumer's fetch loop, heartbeats,
      // metrics; at a low rate this is most of the CPU a lead is charged.
      const cpu0 = readCpu(pids);
      await sleep(idleSeconds * 1000);
      const idle = cpuBetween(cpu0, readCpu(pids));
      const line =
        `idle ${idleSeconds} s, cores busy: ` +
        Object.entries(idle)
          .map(([name, s]) => `${name} ${(s / idleSeconds).toFixed(3)}`)
          .join(', ') +
        `; all ${coresBusy(idle, idleSeconds).toFixed(2)}`;
      say(line);
      lines.push(line);
    }
    const path: LatencyPath = {
      receiver,
      prefix,
      services,
      load: (rt, s, sd) => pacedLoad(ingest.url, 'bench-1k', { rate: rt, seconds: s, seed: sd }),
    };
    const deployments = deploymentsOf(args.deployment);
    const named = deployments.some((d) => d !== 'split');
    let current: Deployment = 'split';
    /** Stops the stages of the deployment running and starts those of `to` on the same groups. */
    const redeploy = async (to: Deployment) => {
      say(`from the ${current} deployment to the ${to} one: ${MIDDLE[current].join(', ')} stop`);
      for (const name of MIDDLE[current]) {
        const service = services.get(name)!;
        await service.stop();
        services.delete(name);
        pids.delete(name);
        live.splice(live.indexOf(service), 1);
      }
      const started = await Promise.all(
        MIDDLE[to].map((name) =>
          startBenchService(env, name, prefix, {
            ...(to === 'fused' ? alongsideEnv(FUSED, name) : {}),
            ...extraEnv.get(name),
          }),
        ),
      );
      for (const service of started) {
        services.set(service.name, service);
        pids.set(service.name, service.process.pid!);
        live.push(service);
      }
      current = to;
      say(`${MIDDLE[to].join(', ')} started`);
    };
    let seed = 500;
    const pipelineRuns: { rate: number; p50: number; p99: number }[] = [];
    for (const [d, deployment] of deployments.entries()) {
      // The ingest warm-up once, and again after a switch: the new processes start cold.
      const switched = deployment !== current;
      if (switched) await redeploy(deployment);
      if (d === 0 || switched)
        await warmIngest(path, {
          rate: INGEST_WARMUP.rate,
          seconds: Number(args['ingest-warmup']),
          pids,
          say,
        });
      for (const rate of rates)
        for (let run = 1; run <= runs; run++) {
          const label = `${named ? `${deployment} ` : ''}${rate}/s run ${run}`;
          const runStartMs = Date.now();
          const { result, arrivals, slots } = await latencyRun(path, {
            rate,
            run,
            seconds,
            warmupSeconds,
            drainMs: 60_000,
            seed: seed++,
            pids,
            say,
            label,
            ...(brokerRequests && { brokerRequests }),
          });
          const after = Math.min(...slots.values()) + warmupSeconds * 1000;
          const joined = arrivals
            .map(([sid, leadId, at]) => ({ leadId, slot: slots.get(sid) ?? NaN, arrival: at }))
            .filter((a) => a.slot >= after);
          const step = Math.max(1, Math.floor(joined.length / Number(args.sample)));
          const hops = await hopLatency(
            env,
            prefix,
            joined.filter((_, j) => j % step === 0),
            runStartMs - 1000,
          );
          const cpu = Object.entries(result.cpu)
            .map(([name, s]) => `${name} ${Math.round((s * 1e6) / Math.max(1, result.accepted))}`)
            .join(', ');
          const summary = [
            `${label}: p50 ${result.p50.toFixed(0)} ms, p99 ${result.p99.toFixed(0)} ms, ` +
              `p99.9 ${result.p999.toFixed(0)} ms, max ${result.max.toFixed(0)} ms; ` +
              `202 p99 ${result.ackP99.toFixed(0)} ms; ${result.accepted} accepted, ${result.undelivered} undelivered`,
            ...hops.hops.map(
              (h) =>
                `   ${h.from} → ${h.to}: p50 ${h.p50.toFixed(1)} ms, p99 ${h.p99.toFixed(1)} ms`,
            ),
            `   the router's transactions, p50 / p99 ms by phase (histogram bucket bounds): ` +
              describeTransactions(result.transactionTimes, (ms) => `≤ ${ms}`),
            `   sink-webhook's requests, p50 / p99 ms by phase (histogram bucket bounds; gate: turn to budget granted, answer: sent to answered): ` +
              describeSinkRequests(result.sinkRequestTimes, (ms) => `≤ ${ms}`),
            `   CPU µs per lead: ${cpu}; all ${Math.round((cpuTotal(result.cpu) * 1e6) / Math.max(1, result.accepted))}, ` +
              `${coresBusy(result.cpu, result.drainSeconds).toFixed(2)} of ${cpus().length} cores busy over the run`,
            `   event loops, s on a CPU / s waiting for one (runnable; the main thread's schedstat) over the run's ${result.drainSeconds.toFixed(0)} s: ` +
              describeEventLoops(result.eventLoops),
            ...(result.brokerRequests
              ? [
                  `   broker: ${describeRequests(result.brokerRequests, result.accepted, result.cpu['broker'])}`,
                  ...(result.brokerRequests.threads
                    ? [
                        `   broker CPU µs a lead by thread: ${describeThreads(result.brokerRequests.threads, result.accepted)}`,
                        ...warmingUp(result.brokerRequests.threads),
                      ]
                    : []),
                ]
              : []),
          ];
          for (const line of summary) say(line);
          lines.push(...summary);
          pipelineRuns.push({ rate, p50: result.p50, p99: result.p99 });
        }
    }
    if (args['raw-chain']) {
      for (const s of live.reverse()) await s.kill();
      live.length = 0;
      say(`the raw kafkajs chain at ${rates.join(', ')} leads/s, on records of ${prefix}`);
      const chainRuns = await rawChainLatency({
        kafka: env.kafka,
        brokers,
        prefix: chainPrefix,
        pools: await sampleChainPools(env.kafka, prefix, 2_000),
        workDir,
        otherPids: Object.fromEntries(
          [...stackPids].map(([name, pid]) => [name.split(' ').pop()!, pid] as const),
        ),
        rates,
        runs,
        seconds,
        warmupSeconds,
        drainMs: 60_000,
        say,
        ...(brokerRequests && { brokerRequests }),
      });
      for (const c of chainRuns) {
        const p = pipelineRuns.find((r) => r.rate === c.rate) ?? { p50: NaN, p99: NaN };
        const cpu = Object.entries(c.cpuMicrosPerLead)
          .map(([name, us]) => `${name} ${Math.round(us)}`)
          .join(', ');
        const brokerMicros = c.cpuMicrosPerLead['broker'];
        lines.push(
          `raw chain ${c.rate}/s run ${c.run}: p50 ${c.p50.toFixed(1)} ms, p99 ${c.p99.toFixed(1)} ms, ` +
            `p99.9 ${c.p999.toFixed(1)} ms, max ${c.max.toFixed(1)} ms; ${c.counted} counted, ` +
            `${c.undelivered} not through; the pipeline's p50 ${(p.p50 / c.p50).toFixed(1)}×, ` +
            `p99 ${(p.p99 / c.p99).toFixed(1)}× this`,
          ...c.hops.map(
            (h) => `   ${h.from} → ${h.to}: p50 ${h.p50.toFixed(1)} ms, p99 ${h.p99.toFixed(1)} ms`,
          ),
          `   the router hops' transactions, p50 / p99 ms by phase: ` +
            describeTransactions(c.transactions, (ms) => ms.toFixed(1)),
          `   CPU µs per lead: ${cpu}`,
          ...(c.brokerRequests
            ? [
                `   broker: ${describeRequests(c.brokerRequests, c.sent, brokerMicros && (brokerMicros * c.sent) / 1e6)}`,
                ...(c.brokerRequests.threads
                  ? [
                      `   broker CPU µs a lead by thread: ${describeThreads(c.brokerRequests.threads, c.sent)}`,
                      ...warmingUp(c.brokerRequests.threads),
                    ]
                  : []),
              ]
            : []),
        );
      }
    }
    process.stdout.write(`\n${lines.join('\n')}\n`);
  } finally {
    brokerRequests?.close();
    for (const s of live.reverse()) await s.kill();
    await receiver.stop();
    if (!stack)
      for (const p of [prefix, chainPrefix])
        await dropPrefix(env, p).catch((err: unknown) =>
          say(`topics of ${p} left: ${String(err)}`),
        );
    await stack?.stop();
    if (stack) rmSync(stack.dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `latency bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});

/** A line saying the broker was still compiling, when its JIT took over a tenth of its CPU. */
function warmingUp(threads: readonly [string, number][]): string[] {
  const share = compilerShare(threads);
  return share > 0.1
    ? [
        `   the broker's JIT compiler took ${Math.round(share * 100)}% of its CPU: it is still warming up ` +
          "(on a new stack, for tens of minutes of load), and the broker's figures of this run read high",
      ]
    : [];
}
