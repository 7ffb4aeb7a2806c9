import autocannon from 'autocannon';
import { Pool } from 'undici';
import type { Kafka } from 'kafkajs';
import { ensureTopics } from '@lead-router/kafka';
import { SERVICE_NODE_FLAGS } from '@lead-router/local-stack';
import { prefixedTopics } from '@lead-router/schemas';
import { formLeads } from './lead.generator';
import { spawnListening } from './pipeline.part';
import { cpuSeconds, openModel, peakRssMb, percentile, rssMb } from './proc.stats';
import type { Variant } from './variant.part';

export interface IngestFigures {
  endpoint: string;
  connections: number;
  seconds: number;
  leadsPerSec: number;
  requestsPerSec: number;
  p50: number;
  p99: number;
  p999: number;
  ok: number;
  non2xx: number;
  errors: number;
}

/**
 * autocannon at fixed concurrency against one ingest endpoint; every request body is a distinct
 * lead (its own source_lead_id), generated in `setupRequest`.
 */
export async function ingestLoad(
  url: string,
  apiKey: string,
  opts: { batch: number; connections: number; seconds: number; seed: number },
): Promise<IngestFigures> {
  const next = formLeads(opts.seed);
  const path = opts.batch > 1 ? '/v1/leads/batch' : '/v1/leads';
  const result = await autocannon({
    url,
    connections: opts.connections,
    duration: opts.seconds,
    requests: [
      {
        method: 'POST',
        path,
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        setupRequest: (req) => ({
          ...req,
          body:
            opts.batch > 1
              ? JSON.stringify({ leads: Array.from({ length: opts.batch }, next) })
              : JSON.stringify(next()),
        }),
      },
    ],
  });
  const ok = result['2xx'];
  return {
    endpoint: path,
    connections: opts.connections,
    seconds: opts.seconds,
    leadsPerSec: (ok * opts.batch) / opts.seconds,
    requestsPerSec: ok / opts.seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    p999: (result.latency as unknown as Record<string, number>)['p99_9'] ?? NaN,
    ok,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

export interface HttpFloorFigures extends IngestFigures {
  /** the server's CPU per answered request, µs */
  cpuUsPerRequest: number;
  /** its VmHWM after the load, MB (absent in entries before it was read) */
  peakRssMb?: number;
  /** its VmRSS once listening, before any request, MB (absent in entries before it was read) */
  idleRssMb?: number;
}

/**
 * The servers ingest's single-lead rate is read against: `node:http` is HTTP's own limit
 * (`http-floor.main.ts`, a bare server that parses each body and answers 202); `nest` is the
 * framework the design gives every service, with nothing of ingest's in it; `nest+kafka` is that
 * and the body's bytes written to Kafka before the 202; `nest/fastify-route` is the NestJS app
 * with the handler on its Fastify instance, outside Nest's router (`nest-floor.main.ts`, all three).
 */
export type HttpFloor = 'node:http' | 'nest' | 'nest+kafka' | 'nest/fastify-route';

/** A topic shaped as a prefix's leads.raw (its partitions and settings), made if missing. */
export async function floorTopic(kafka: Kafka, prefix: string): Promise<string> {
  const { declarations, topics } = prefixedTopics(prefix);
  await ensureTopics(
    kafka,
    declarations.filter((d) => d.name === topics.raw),
  );
  return topics.raw;
}

/**
 * A floor's rate on this host, in the same run as ingest: the server (with the services' Node
 * flags) under the single-lead load `ingestLoad` puts on ingest, after the same 3 s of warm-up.
 * Single-lead ingest divided by this is the share of that floor it reaches. `nest+kafka` writes
 * to `topic`, which must exist (`floorTopic`).
 */
export async function httpFloorLoad(
  repoRoot: string,
  opts: {
    seconds: number;
    seed: number;
    connections?: number;
    server?: HttpFloor;
    topic?: string;
    /** Node flags after the services' own (a later V8 flag wins) and environment of its own */
    variant?: Variant;
  },
): Promise<HttpFloorFigures> {
  const server = opts.server ?? 'node:http';
  if (server === 'nest+kafka' && opts.topic === undefined) {
    throw new RangeError('the nest+kafka floor needs a topic to write to');
  }
  const { child, port } = await spawnListening(
    repoRoot,
    server === 'node:http' ? 'http-floor.main.js' : 'nest-floor.main.js',
    [...SERVICE_NODE_FLAGS, ...(opts.variant?.nodeFlags ?? [])],
    server === 'nest+kafka' ? [opts.topic!] : [],
    {
      ...process.env,
      ...(server === 'nest/fastify-route' ? { NEST_FLOOR_ROUTE: 'fastify' } : {}),
      ...opts.variant?.env,
    },
  );
  const idleRssMb = rssMb(child.pid!) ?? NaN;
  const exited =
    child.exitCode === null && child.signalCode === null
      ? new Promise<void>((done) => child.once('exit', () => done()))
      : Promise.resolve();
  try {
    const url = `http://127.0.0.1:${port}`;
    const connections = opts.connections ?? 64;
    await ingestLoad(url, 'none', { batch: 1, connections, seconds: 3, seed: opts.seed + 1000 });
    const cpu0 = cpuSeconds(child.pid!);
    const figures = await ingestLoad(url, 'none', {
      batch: 1,
      connections,
      seconds: opts.seconds,
      seed: opts.seed,
    });
    const cpu = cpuSeconds(child.pid!) - cpu0;
    return {
      ...figures,
      cpuUsPerRequest: (cpu * 1e6) / Math.max(1, figures.ok),
      peakRssMb: peakRssMb(child.pid!) ?? NaN,
      idleRssMb,
    };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

export interface PacedFigures {
  offeredPerSec: number;
  seconds: number;
  sent: number;
  accepted: number;
  non2xx: number;
  errors: number;
  /** the 202's latency from the request's scheduled send time, ms */
  ackP50: number;
  ackP99: number;
  /** how late the generator put requests on the wire against their schedule, ms */
  sendLateP99: number;
}

export interface PacedLoad extends PacedFigures {
  /** every accepted lead's scheduled send time (epoch ms), by its source_lead_id */
  slots: Map<string, number>;
  /** epoch ms of the first slot */
  startedAt: number;
}

/**
 * Open-model load on POST /v1/leads: request i is due at t0 + i/rate and leaves then whether or
 * not earlier ones were answered, and every latency counts from that scheduled slot (a request
 * the generator sends late still counts from its slot), so a slow server or a slow generator
 * shows instead of slowing the offered load down. Each request is a distinct lead whose
 * source_lead_id is `bench-<seed>-<n>`.
 */
export async function pacedLoad(
  url: string,
  apiKey: string,
  opts: { rate: number; seconds: number; seed: number; connections?: number },
): Promise<PacedLoad> {
  const next = formLeads(opts.seed);
  const pool = new Pool(url, {
    connections: opts.connections ?? 512,
    headersTimeout: 120_000,
    bodyTimeout: 120_000,
    keepAliveTimeout: 60_000,
  });
  const acks: number[] = [];
  const slots = new Map<string, number>();
  const counts = { accepted: 0, non2xx: 0, errors: 0 };
  const answers: Promise<void>[] = [];
  const post = (due: number): Promise<void> => {
    const lead = next();
    return pool
      .request({
        method: 'POST',
        path: '/v1/leads',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(lead),
      })
      .then(async (res) => {
        await res.body.dump();
        if (res.statusCode === 202) {
          counts.accepted++;
          acks.push(performance.now() - due);
          slots.set(lead.source_lead_id, performance.timeOrigin + due);
        } else counts.non2xx++;
      })
      .catch(() => {
        counts.errors++;
      });
  };
  const { startedAt, late } = await openModel(opts, (due) => {
    for (const at of due) answers.push(post(at));
  });
  await Promise.all(answers);
  await pool.close();
  acks.sort((a, b) => a - b);
  return {
    offeredPerSec: opts.rate,
    seconds: opts.seconds,
    sent: answers.length,
    ...counts,
    ackP50: percentile(acks, 50),
    ackP99: percentile(acks, 99),
    sendLateP99: percentile(late, 99),
    slots,
    startedAt,
  };
}
