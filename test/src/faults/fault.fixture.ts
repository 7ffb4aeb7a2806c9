import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startStack, type LocalStack, type StackOptions } from '@lead-router/local-stack';
import { parseExposition, sumSamples } from '@lead-router/observability';
import { serviceEntry, type DeadLetter, type ServiceName } from '@lead-router/schemas';
import {
  DEMO_MODE_ENV,
  committedOffset,
  readTopic,
  startService,
  testStack,
  waitFor,
  type ServiceProcess,
} from '@lead-router/testing';
import type { Admin } from 'kafkajs';
import { kafkaFixture, type KafkaFixture } from '../integration/kafka-fixture';

export interface KillOptions {
  /** How long to wait for the first commit; default 120 s. */
  timeoutMs?: number;
  /** How often the committed offset is read; default 20 ms. */
  intervalMs?: number;
}

/**
 * SIGKILLs `proc` while it is proven to be mid-stream: it polls the group's committed offset
 * (`readCommitted`, summed over partitions) until it is above 0 and below `produced`, kills, and
 * returns the committed offset after the process is gone, once it settles (what a restart resumes from).
 * Throws when the stage committed everything before the window was seen, or when the offset read
 * at the kill is not strictly between 0 and `produced`: the test then failed to prove the crash
 * landed mid-work and must slow the stage (a slow fake, fewer partitions at once, more leads).
 */
export async function killMidStream(
  proc: ServiceProcess,
  readCommitted: () => Promise<number>,
  produced: number,
  options: KillOptions = {},
): Promise<number> {
  let missed: number | undefined;
  await waitFor(
    async () => {
      const committed = await readCommitted();
      if (committed >= produced) {
        missed = committed;
        return true;
      }
      return committed > 0;
    },
    {
      timeoutMs: options.timeoutMs ?? 120_000,
      intervalMs: options.intervalMs ?? 20,
      what: `${proc.name}'s first commit (see ${proc.logFile})`,
    },
  );
  if (missed !== undefined)
    throw new Error(
      `${proc.name} committed ${missed} of ${produced} before the kill: the window was missed`,
    );
  await proc.kill();
  const atKill = await settledCommitted(readCommitted);
  if (!(atKill > 0 && atKill < produced))
    throw new Error(
      `${proc.name} was not killed mid-stream: ${atKill} of ${produced} committed at the kill`,
    );
  return atKill;
}

/**
 * The committed offset once it stops moving. An exactly-once stage killed while the broker was
 * completing its last commit (the transaction's offsets are applied with its markers, after the
 * process is gone) moves its group's offset after the kill: with its partitions' transactions
 * running at once, the first read after the kill can be a few records short of what a restart
 * resumes from. Read until three reads 500 ms apart agree.
 */
async function settledCommitted(readCommitted: () => Promise<number>): Promise<number> {
  let last = await readCommitted();
  for (let same = 0; same < 2;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = await readCommitted();
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}

/**
 * One counter or gauge from a service's /metrics, summed over the series whose labels include
 * `labels` (e.g. `lead_router_records_total` with `{ topic }`); 0 when no series matches.
 */
export async function metricValue(
  url: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const res = await fetch(`${url}/metrics`);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${url}/metrics answered ${res.status}`);
  return sumSamples(parseExposition(text).samples, name, labels);
}

/** Records a stage consumed from `topic` since it started (its `lead_router_records_total`). */
export function recordsConsumed(proc: ServiceProcess, topic: string): Promise<number> {
  return metricValue(proc.url, 'lead_router_records_total', { topic });
}

/** How many of `ids` are distinct and how many arrived more than once. */
export function tally(ids: Iterable<string>): { raw: number; distinct: number; repeated: number } {
  const counts = new Map<string, number>();
  let raw = 0;
  for (const id of ids) {
    raw += 1;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const repeated = [...counts.values()].filter((n) => n > 1).length;
  return { raw, distinct: counts.size, repeated };
}

/** Every dead letter on this test's leads.dlq. */
export async function deadLetters(fx: KafkaFixture): Promise<DeadLetter[]> {
  const records = await readTopic<DeadLetter>(fx.kafka, fx.codec, fx.topics.dlq, 'DeadLetter');
  return records.map((r) => r.value);
}

/** The crash proofs a kill-and-restart fault reports: where the kill landed and what followed. */
export interface CrashProof {
  produced: number;
  committedAtKill: number;
  /** Records the restarted process consumed from the stage's input (its own metrics). */
  restartedConsumed: number;
}

export function crashProof(p: CrashProof, extra = ''): string {
  return (
    `committed at the kill ${p.committedAtKill}/${p.produced} (mid-stream); the restarted ` +
    `process consumed ${p.restartedConsumed} records (>= ${p.produced - p.committedAtKill} ` +
    `uncommitted)${extra ? `; ${extra}` : ''}`
  );
}

export interface StageUnderFault extends KafkaFixture {
  stage: ServiceName;
  /** The stage's input topic (prefixed). */
  input: string;
  groupId: string;
  admin: Admin;
  /** Starts the stage (again) as its own process with the same environment. */
  start(): Promise<ServiceProcess>;
  /** Every process start() started; close() stops those still running. */
  processes: ServiceProcess[];
  /** The stage group's committed offsets on its input, summed over partitions. */
  committed(): Promise<number>;
}

/**
 * One stage as its own process on this test's topics (a unique prefix) and consumer group, fed
 * by the test: for the stages before the router (the sinks have sinkProcessFixture).
 */
export async function stageUnderFault(
  name: string,
  stage: ServiceName,
  options: { input: (topics: KafkaFixture['topics']) => string; env?: Record<string, string> },
): Promise<StageUnderFault> {
  const fx = await kafkaFixture(name);
  const { brokers, registryUrl } = await testStack();
  const dir = mkdtempSync(join(tmpdir(), `lead-router-${name}-`));
  const groupId = `${fx.prefix}lead-router.${stage}`;
  const input = options.input(fx.topics);
  const admin = fx.kafka.admin();
  await admin.connect();
  const processes: ServiceProcess[] = [];
  return {
    ...fx,
    stage,
    input,
    groupId,
    admin,
    processes,
    async start() {
      const port = await freePort();
      const proc = await startService(
        stage,
        {
          ...DEMO_MODE_ENV,
          KAFKA_BROKERS: brokers.join(','),
          SCHEMA_REGISTRY_URL: registryUrl,
          TOPIC_PREFIX: fx.prefix,
          [serviceEntry(stage).port.env]: String(port),
          HTTP_HOST: '127.0.0.1',
          KAFKA_SESSION_TIMEOUT_MS: '6000',
          LOG_LEVEL: 'warn',
          ...options.env,
        },
        { port, logDir: join(dir, 'logs') },
      );
      processes.push(proc);
      return proc;
    },
    committed: () => committedOffset(admin, groupId, input),
    async close() {
      await stopAll(processes);
      await admin.disconnect();
      await fx.close();
    },
  };
}

/** A webhook delivery as a receiver saw it. */
export interface ReceivedWebhook {
  leadId: string;
  webhookId: string;
  headers: IncomingHttpHeaders;
}

export interface WebhookReceiver {
  url: string;
  received(): readonly ReceivedWebhook[];
  /** Every answer waits this long first (a slow endpoint), 0 to answer at once. */
  slow(ms: number): void;
  close(): Promise<void>;
}

/**
 * A webhook endpoint on 127.0.0.1 that keeps every delivery (its lead id and webhook-id) and
 * answers 200, after a delay when told to be slow: what a sink-webhook fault spec counts.
 */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let delayMs = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            data?: { lead_id?: string };
          };
          received.push({
            leadId: String(body.data?.lead_id),
            webhookId: String(req.headers['webhook-id']),
            headers: req.headers,
          });
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } catch {
          res.writeHead(400).end();
        }
      };
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received: () => received,
    slow(ms) {
      delayMs = ms;
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/**
 * A Kafka + registry of the spec's own (deploy/local's startStack on free ports), for a fault
 * that takes the broker or the registry down: the shared stack other specs use stays up.
 * `controller: 'separate'` runs the KRaft controller as a JVM of its own, as production does.
 */
export async function faultStack(
  name: string,
  opts: Pick<StackOptions, 'controller'> = {},
): Promise<LocalStack> {
  return startStack({
    ...opts,
    dataDir: mkdtempSync(join(tmpdir(), `lead-router-${name}-stack-`)),
    // A shared 2-core machine under load has taken over a minute to bring a broker up.
    brokerTimeoutMs: 180_000,
    registryTimeoutMs: 180_000,
  });
}

/** Stops (SIGTERM) every process still running, so a failed test leaves none behind. */
export async function stopAll(processes: readonly ServiceProcess[]): Promise<void> {
  for (const proc of processes)
    if (proc.process.exitCode === null && proc.process.signalCode === null) await proc.stop();
}

/** Polls until the group has committed `produced` offsets on its input (the stage caught up). */
export async function caughtUp(
  readCommitted: () => Promise<number>,
  produced: number,
  what: string,
  timeoutMs = 180_000,
): Promise<void> {
  await waitFor(async () => (await readCommitted()) >= produced, {
    timeoutMs,
    what: `${what}: all ${produced} offsets committed`,
  });
}

/** A service the supervisor restarted, and why. */
export interface SupervisorRestart {
  service: ServiceName;
  at: number;
  /** The last health answer: an HTTP status, or the connection error. */
  health: string;
}

export interface Supervisor {
  restarts: SupervisorRestart[];
  stop(): Promise<void>;
}

/**
 * Does what an orchestrator's liveness probe does: asks each service's health path every
 * `periodMs` and, after `failureThreshold` answers in a row that are not 200 (a stage whose
 * consumer crashed for good reports itself down), kills the process and starts it again with
 * `restart`. The restarts are returned so a spec can report them: a fault that needs one is
 * survived only where something restarts unhealthy services.
 */
export function superviseHealth(
  services: Map<ServiceName, ServiceProcess>,
  restart: (name: ServiceName) => Promise<ServiceProcess>,
  options: { periodMs?: number; failureThreshold?: number } = {},
): Supervisor {
  const restarts: SupervisorRestart[] = [];
  const failures = new Map<ServiceName, number>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      for (const [name, proc] of [...services]) {
        let health: string;
        try {
          const res = await fetch(`${proc.url}${serviceEntry(name).healthPath}`, {
            signal: AbortSignal.timeout(3000),
          });
          await res.arrayBuffer();
          health = String(res.status);
        } catch (err) {
          health = err instanceof Error ? err.message : String(err);
        }
        const count = health === '200' ? 0 : (failures.get(name) ?? 0) + 1;
        failures.set(name, count);
        if (count >= (options.failureThreshold ?? 5) && !stopped) {
          failures.set(name, 0);
          await proc.kill();
          try {
            await restart(name);
            restarts.push({ service: name, at: Date.now(), health });
          } catch (err) {
            // Tried again once its health has failed `failureThreshold` more times.
            const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
            restarts.push({
              service: name,
              at: Date.now(),
              health: `${health}; restart failed: ${why}`,
            });
          }
        }
      }
      await delay(options.periodMs ?? 2000);
    }
  })();
  return {
    restarts,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
