/**
 * The enricher's per-lead latency with the firmographics provider healthy, slow and down
 * (issue 11, acceptance: "with the provider down, leads still flow, marked, and the enricher's
 * p99 grows by no more than the configured timeout"), and its CPU per lead. Every step on, as
 * the enricher service builds them: mail flags, IP geolocation (geoip-lite), firmographics over
 * HTTP against the fake provider on loopback, and a score. Leads are enriched 64 at a time, as
 * the stage does with ENRICH_CONCURRENCY; each lead's time is from its enrich() call to its
 * answer. Prints one JSON line per scenario and a table for people.
 *
 *   npx nx run-many -t build -p bench && node_modules/.bin/node bench/dist/enricher.bench.js
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  FirmographicsStep,
  HttpFirmographicsProvider,
  IpGeoStep,
  LeadEnricher,
  MailFlagsStep,
  ScoreStep,
  enrich,
  loadGeoIpLocator,
  type IpLocator,
} from '@lead-router/enrich';
import type { NormalizedLead } from '@lead-router/schemas';
import { normalizedLeadFixture } from '@lead-router/testing';
import { seeded } from './lead.generator';
import { BENCH_SCORE_RULES } from './bench.score-rules';

const LEADS = Number(process.env['BENCH_LEADS'] ?? 4_000);
const CPU_LEADS = Number(process.env['BENCH_CPU_LEADS'] ?? 50_000);
const IN_FLIGHT = 64;
const TIMEOUT_MS = 300;
const API_KEY = 'sk_bench';

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

const IPS = ['85.214.132.117', '8.8.8.8', '81.2.69.142', '2001:4860:4860::8888', '10.0.0.1'];
const LOCALS = ['ada', 'info', 'sales', 'lin.chen', 'j.smith'];
const DOMAINS = ['gmail.com', 'mailinator.com', 'analytical-engines.com', 'example-works.test'];

/** Leads over `domains` company domains (a warm cache when few, every lead a call when many). */
function leads(count: number, domains: number, seed: number): NormalizedLead[] {
  const next = seeded(seed);
  return Array.from({ length: count }, (_, i) => {
    const domain =
      next() < 0.3
        ? DOMAINS[Math.floor(next() * DOMAINS.length)]!
        : `company-${Math.floor(next() * domains)}.test`;
    return {
      ...normalizedLeadFixture({
        lead_id: `bench-${seed}-${i}`,
        email: `${LOCALS[i % LOCALS.length]}@${domain}`,
        company_domain: domain === 'gmail.com' || domain === 'mailinator.com' ? null : domain,
      }),
      client_ip: IPS[i % IPS.length],
    } as NormalizedLead;
  });
}

interface Provider {
  url: string;
  stop(): Promise<void>;
}

/** The fake provider in a child process, answering after `slowMs`. */
async function startProvider(slowMs: number): Promise<Provider> {
  const child: ChildProcess = spawn(
    process.execPath,
    [join(__dirname, 'firmographics-fake.main.js'), API_KEY, String(slowMs)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  for await (const chunk of child.stdout!) {
    out += String(chunk);
    if (out.includes('\n')) break;
  }
  const url = /URL=(\S+)/.exec(out)?.[1];
  assert.ok(url, `the fake provider did not start: ${out}`);
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

/** A loopback URL where nothing listens: a provider that is down refuses the connection. */
async function downProvider(): Promise<Provider> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  server.close();
  await once(server, 'close');
  return { url: `http://127.0.0.1:${port}`, stop: async () => undefined };
}

function enricher(locate: IpLocator, provider: Provider): LeadEnricher {
  return new LeadEnricher([
    new MailFlagsStep(),
    new IpGeoStep(locate),
    new FirmographicsStep(
      new HttpFirmographicsProvider({ baseUrl: provider.url, apiKey: API_KEY }),
      {
        timeoutMs: TIMEOUT_MS,
        cacheSize: 10_000,
        cacheTtlMs: 3_600_000,
        breakerFailures: 5,
        breakerHalfOpenAfterMs: 30_000,
      },
    ),
    new ScoreStep(BENCH_SCORE_RULES),
  ]);
}

interface Scenario {
  scenario: string;
  leads: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  /** How late the event loop ran timers meanwhile (a loaded machine's share of the latency). */
  loop_delay_p99_ms: number;
  loop_delay_max_ms: number;
  firmographics: Record<string, number>;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** Each lead's latency, IN_FLIGHT leads at a time. */
async function run(name: string, sut: LeadEnricher, input: NormalizedLead[]): Promise<Scenario> {
  const latencies: number[] = [];
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const statuses: Record<string, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < input.length) {
        const lead = input[next++]!;
        const started = performance.now();
        const out = await sut.enrich(lead, Date.now());
        latencies.push(performance.now() - started);
        const status = out.enrichment.enrichment_status['firmographics'] ?? '-';
        statuses[status] = (statuses[status] ?? 0) + 1;
        // Leads arrive over time, as from Kafka, not in one burst: without this turn a worker
        // whose leads skip an open circuit would enrich all the rest in one run of microtasks,
        // holding back the timers of the leads in flight (the bench's delay, not the enricher's).
        await nextTurn();
      }
    }),
  );
  loop.disable();
  latencies.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    scenario: name,
    leads: input.length,
    p50_ms: round(percentile(latencies, 50)),
    p99_ms: round(percentile(latencies, 99)),
    max_ms: round(latencies.at(-1) ?? 0),
    loop_delay_p99_ms: round(loop.percentile(99) / 1e6),
    loop_delay_max_ms: round(loop.max / 1e6),
    firmographics: statuses,
  };
}

/** CPU microseconds per lead of `work` over `input`, after a warm-up pass. */
async function cpuPerLead(
  work: (lead: NormalizedLead) => unknown,
  input: NormalizedLead[],
): Promise<number> {
  for (const lead of input.slice(0, 2_000)) await work(lead);
  const before = process.cpuUsage();
  for (const lead of input) {
    const out = work(lead);
    if (out instanceof Promise) await out;
  }
  const used = process.cpuUsage(before);
  return Math.round(((used.user + used.system) / input.length) * 100) / 100;
}

async function main(): Promise<void> {
  const locate = await loadGeoIpLocator();
  const results: Scenario[] = [];
  const scenario = async (
    name: string,
    provider: Provider,
    input: NormalizedLead[],
    warm = false,
  ) => {
    try {
      // Keep-alive connections to the provider opened before the measured enricher starts, as
      // in a service that has run a while (and not counted: a throwaway enricher, other domains).
      if (warm) await run('warm-up', enricher(locate, provider), leads(IN_FLIGHT * 2, 1e9, 99));
      results.push(await run(name, enricher(locate, provider), input));
    } finally {
      await provider.stop();
    }
  };
  // Healthy: a warm cache (200 domains, so most leads are hits), then every lead a new domain.
  await scenario('healthy, 200 domains', await startProvider(0), leads(LEADS, 200, 1), true);
  await scenario('healthy, every domain new', await startProvider(0), leads(LEADS, 1e9, 2), true);
  await scenario('slow 150 ms (< timeout)', await startProvider(150), leads(LEADS, 1e9, 3), true);
  await scenario('slow 2 s (> timeout)', await startProvider(2_000), leads(LEADS, 1e9, 4));
  await scenario('down (connection refused)', await downProvider(), leads(LEADS, 1e9, 5));
  const provider = await startProvider(0);
  try {
    // CPU per lead: the enrichment the enricher did before the steps (email domain, free mail,
    // company domain), and every step with the provider's answers cached (no I/O).
    const cpuInput = leads(CPU_LEADS, 200, 7);
    const mailOnly = new LeadEnricher([new MailFlagsStep()]);
    const geoOnly = new LeadEnricher([new IpGeoStep(locate)]);
    const scoreOnly = new LeadEnricher([new ScoreStep(BENCH_SCORE_RULES)]);
    const cached = enricher(locate, provider);
    await run('warm the cache', cached, cpuInput.slice(0, 4_000));
    const cpu = {
      base_enrich_us: await cpuPerLead((lead) => enrich(lead, Date.now()), cpuInput),
      all_steps_cached_us: await cpuPerLead((lead) => cached.enrich(lead, Date.now()), cpuInput),
      mail_flags_us: await cpuPerLead((lead) => mailOnly.enrich(lead, Date.now()), cpuInput),
      ip_geo_us: await cpuPerLead((lead) => geoOnly.enrich(lead, Date.now()), cpuInput),
      score_us: await cpuPerLead((lead) => scoreOnly.enrich(lead, Date.now()), cpuInput),
    };

    for (const r of results) print(JSON.stringify(r));
    print(
      JSON.stringify({ cpu_per_lead: cpu, load_average: os.loadavg(), cpus: os.cpus().length }),
    );
    print(
      '\n| scenario | leads | p50 ms | p99 ms | max ms | event-loop delay p99 / max ms | firmographics status |',
    );
    print('| --- | --- | --- | --- | --- | --- | --- |');
    for (const r of results) {
      const s = Object.entries(r.firmographics)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      print(
        `| ${r.scenario} | ${r.leads} | ${r.p50_ms} | ${r.p99_ms} | ${r.max_ms} | ${r.loop_delay_p99_ms} / ${r.loop_delay_max_ms} | ${s} |`,
      );
    }
    print(
      `\nCPU per lead: base enrich ${cpu.base_enrich_us} µs, every step (firmographics cached) ${cpu.all_steps_cached_us} µs`,
    );

    // The acceptance: against the healthy provider with every lead a call (no cache to hide
    // behind), a provider that is down or slower than the timeout adds at most the timeout.
    const healthy = results[1]!.p99_ms;
    for (const r of results.filter((x) => /^(down|slow 2 s)/.test(x.scenario))) {
      const growth = r.p99_ms - healthy;
      print(
        `${r.scenario}: p99 ${growth >= 0 ? 'grows' : 'shrinks'} by ${Math.abs(growth).toFixed(2)} ms against healthy (timeout ${TIMEOUT_MS} ms)`,
      );
      assert.ok(growth <= TIMEOUT_MS, `${r.scenario}: p99 grew by ${growth} ms > ${TIMEOUT_MS}`);
    }
  } finally {
    await provider.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
