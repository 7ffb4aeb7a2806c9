import { Pool } from 'undici';
import { formLeads } from './lead.generator';
import { percentile } from './proc.stats';

export interface OpenLoadFigures {
  offeredPerSec: number;
  seconds: number;
  sent: number;
  accepted: number;
  /** 503 overloaded (shed at the door) */
  shed: number;
  /** 503 kafka_unavailable */
  kafkaUnavailable: number;
  /** any other status */
  other: number;
  /** connection errors, and requests still unanswered after the client's timeout */
  errors: number;
  /** a 202's latency from its scheduled send time, ms */
  ackP50: number;
  ackP99: number;
  /** a 503's latency from its scheduled send time, ms */
  shedP50: number;
  shedP99: number;
  /** how late the generator put requests on the wire against their schedule, ms */
  sendLateP99: number;
  /** from the first scheduled send to the last answer, s */
  drainSeconds: number;
  /** the most requests waiting in the client for a free connection (all connections busy), sampled each 100 ms */
  clientQueuedMax: number;
}

/**
 * Open-model load on POST /v1/leads: request i is due at t0 + i/rate and leaves then whether or
 * not earlier ones were answered, and every latency counts from that scheduled time, so a server
 * (or a generator) that falls behind shows it instead of slowing the offered load down. Each
 * request is a distinct lead.
 */
/** Connections the generator opens at most (`--connections`). */
export const CONNECTIONS = 4096;

export async function openLoad(
  url: string,
  apiKey: string,
  opts: { rate: number; seconds: number; seed: number; timeoutMs: number; connections?: number },
): Promise<OpenLoadFigures> {
  const next = formLeads(opts.seed);
  const pool = new Pool(url, {
    // Many independent senders, as on the internet: with few connections the excess would queue
    // in this client, where no server can refuse it, and the bench would measure that queue.
    connections: opts.connections ?? CONNECTIONS,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    keepAliveTimeout: 60_000,
  });
  const acks: number[] = [];
  const sheds: number[] = [];
  const late: number[] = [];
  const counts = { accepted: 0, shed: 0, kafkaUnavailable: 0, other: 0, errors: 0 };
  const total = Math.round(opts.rate * opts.seconds);
  const answers: Promise<void>[] = [];
  const t0 = performance.now();
  const post = (due: number): Promise<void> => {
    late.push(performance.now() - due);
    return pool
      .request({
        method: 'POST',
        path: '/v1/leads',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(next()),
      })
      .then(async (res) => {
        const text = await res.body.text();
        const ms = performance.now() - due;
        if (res.statusCode === 202) {
          counts.accepted++;
          acks.push(ms);
        } else if (res.statusCode === 503 && text.includes('"overloaded"')) {
          counts.shed++;
          sheds.push(ms);
        } else if (res.statusCode === 503 && text.includes('"kafka_unavailable"')) {
          counts.kafkaUnavailable++;
          sheds.push(ms);
        } else counts.other++;
      })
      .catch(() => {
        counts.errors++;
      });
  };
  let sent = 0;
  let clientQueuedMax = 0;
  const watch = setInterval(() => {
    clientQueuedMax = Math.max(clientQueuedMax, pool.stats.queued);
  }, 100);
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * opts.rate));
      while (sent < due) {
        answers.push(post(t0 + (sent * 1000) / opts.rate));
        sent++;
      }
      if (sent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 1);
  });
  await Promise.all(answers);
  clearInterval(watch);
  const drainSeconds = (performance.now() - t0) / 1000;
  await pool.close();
  for (const list of [acks, sheds, late]) list.sort((a, b) => a - b);
  return {
    offeredPerSec: opts.rate,
    seconds: opts.seconds,
    sent,
    ...counts,
    ackP50: percentile(acks, 50),
    ackP99: percentile(acks, 99),
    shedP50: percentile(sheds, 50),
    shedP99: percentile(sheds, 99),
    sendLateP99: percentile(late, 99),
    drainSeconds,
    clientQueuedMax,
  };
}
