import * as http from 'node:http';
import autocannon from 'autocannon';
import { formLeads } from './lead.generator';
import { percentile } from './proc.stats';

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

export interface PacedFigures {
  offeredPerSec: number;
  seconds: number;
  sent: number;
  accepted: number;
  non2xx: number;
  errors: number;
  /** the 202's latency seen by the client, ms */
  ackP50: number;
  ackP99: number;
}

/**
 * Open-model load: requests leave on a fixed schedule whether or not earlier ones were answered,
 * so a slow server sees its queue grow instead of the generator slowing down with it.
 */
export async function pacedLoad(
  url: string,
  apiKey: string,
  opts: { rate: number; seconds: number; seed: number },
): Promise<PacedFigures> {
  const next = formLeads(opts.seed);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const target = new URL('/v1/leads', url);
  const latencies: number[] = [];
  let sent = 0;
  let accepted = 0;
  let non2xx = 0;
  let errors = 0;
  const pending = new Set<Promise<void>>();
  const post = (): void => {
    const body = JSON.stringify(next());
    const t = performance.now();
    const done = new Promise<void>((resolve) => {
      const req = http.request(
        target,
        {
          method: 'POST',
          agent,
          headers: {
            authorization: `Bearer ${apiKey}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode === 202) {
              accepted++;
              latencies.push(performance.now() - t);
            } else non2xx++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
    pending.add(done);
    void done.then(() => pending.delete(done));
  };
  const total = Math.round(opts.rate * opts.seconds);
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * opts.rate));
      while (sent < due) {
        sent++;
        post();
      }
      if (sent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 1);
  });
  await Promise.all(pending);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    offeredPerSec: opts.rate,
    seconds: opts.seconds,
    sent,
    accepted,
    non2xx,
    errors,
    ackP50: percentile(latencies, 50),
    ackP99: percentile(latencies, 99),
  };
}
