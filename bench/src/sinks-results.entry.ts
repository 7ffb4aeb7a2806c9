import type { Machine } from './proc.stats';
import type { CrmSink, SinkType } from './sinks.part';

export interface Speed {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface Check {
  what: string;
  ok: boolean;
  detail: string;
}

export interface FaultRun {
  sink: CrmSink;
  leads: number;
  instances: number;
  producedSeconds: number;
  drainedSeconds: number;
  drained: boolean;
  /** [start, end] in ms since the first lead was produced. */
  windows: { burst: [number, number]; outage: [number, number] };
  crm: {
    outcomes: Record<string, number>;
    missing: number;
    duplicateOutcomes: number;
    records: number;
    leadsWithRecord: number;
    distinctRecordIds: number;
    rightOwner: number;
    rewritten: number;
    outcomeNamesRecord: number;
    violations: string[];
    apiRequests: number;
    requestsByStatus: Record<string, number>;
    tokenRequests: number;
    peakPer10s: number;
    leadsPerSecond: number;
    speed: Speed;
    cpuSeconds: number[];
    cpuUsPerLead: number;
    retried: { attempt: number; circuit: number; quota: number; budget: number };
    maxAttempts: number;
  };
  webhook: {
    outcomes: Record<string, number>;
    missing: number;
    duplicateOutcomes: number;
    posts: number;
    warmup: Speed;
    before: Speed;
    during: Speed;
    after: Speed;
    outside: Speed;
    ratio: number;
    cpuSeconds: number;
    cpuUsPerLead: number;
  };
  /** CPU-s used so far, sampled every 5 s: the CRM sink's instances summed, the webhook, the broker. */
  cpuSamples: { t: number; crm: number; webhook: number; broker: number }[];
  /** Cores kept busy (CPU-s per s) before (after the warm-up), during and after the outage. */
  coresBusy: Record<
    'before' | 'during' | 'after',
    { crm: number; webhook: number; broker: number }
  >;
  /** Per 5 s of production time: the webhook's speed-to-lead and the CRM's deliveries. */
  series: { t: number; webhookP99: number; webhookP50: number; crmDelivered: number }[];
  checks: Check[];
}

export interface ThroughputFigures {
  leads: number;
  sinks: {
    type: SinkType;
    drained: boolean;
    delivered: number;
    fromSpawnSeconds: number;
    firstToLastSeconds: number;
    leadsPerSecond: number;
    requests: number;
    requestsSource: string;
    requestsPer1000: number;
    cpuSeconds: number;
    cpuUsPerLead: number;
    peakPer10s?: number;
  }[];
  checks: Check[];
}

export interface SinksResult {
  config: {
    leads: number;
    rate: number;
    outageSeconds: number;
    burstSeconds: number;
    warmupSeconds: number;
    errorRate: number;
    instances: number;
    throughputLeads: number;
    sinks: CrmSink[];
    retryDelays: string[];
    halfOpenAfter?: string;
    shamOutage: boolean;
  };
  external: boolean;
  machine: Machine;
  machineAfter: Machine;
  seconds: number;
  faults: FaultRun[];
  throughput?: ThroughputFigures;
  checks: Check[];
}

const n0 = (v: number): string =>
  Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a';
const n1 = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');
const n2 = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const s = (v: number): string => (Number.isFinite(v) ? `${Math.round(v / 1000)} s` : 'n/a');
const ms = (v: number): string => (Number.isFinite(v) ? `${n0(v)} ms` : 'n/a');
const counts = (c: Record<string, number>): string =>
  Object.entries(c)
    .map(([k, v]) => `${k} ${n0(v)}`)
    .join(', ') || 'none';

const VENDOR: Readonly<Record<CrmSink, string>> = {
  salesforce: 'sink-salesforce',
  hubspot: 'sink-hubspot',
};

export function renderSinksEntry(r: SinksResult): string {
  const m = r.machine;
  const c = r.config;
  const lines: string[] = [];
  const full = c.leads >= 10_000 && c.outageSeconds >= 120;
  lines.push(
    `## Sink benchmark (issue 10)${full ? '' : ' — short run, not the acceptance sizes'}`,
    '',
    `- **Date:** ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}, ${n0(r.seconds)} s for the whole session`,
    `- **Machine:** \`nproc\` = ${m.nproc}, ${m.cpuModel}, ${m.memoryGb.toFixed(1)} GB RAM, Node ${m.node}; load average at start ${m.loadAverage.map((v) => v.toFixed(2)).join(' / ')}, at end ${r.machineAfter.loadAverage.map((v) => v.toFixed(2)).join(' / ')} (shared machine)`,
    `- **Commit:** \`${m.commit}\`${m.dirty ? ' with uncommitted changes' : ''}`,
    `- **Kafka:** ${r.external ? 'a local stack (single KRaft broker + Apicurio) started beforehand, on the same cores' : 'the local stack, started by the bench on the same cores'}; Redis and PostgreSQL shared with the other engineers on the machine`,
    `- **Reproduce:** \`BENCH_SINK_LEADS=${c.leads} BENCH_SINK_RATE=${c.rate} BENCH_SINK_OUTAGE_S=${c.outageSeconds} BENCH_SINK_BURST_S=${c.burstSeconds} BENCH_THROUGHPUT_LEADS=${c.throughputLeads} npm run bench:sinks -- --record\` (these are the defaults; smaller values give a short run)`,
    '',
  );
  if (r.faults.length > 0) {
    lines.push(
      '### 1. Each CRM sink through faults, beside sink-webhook',
      '',
      `Per CRM sink: ${n0(c.leads)} RoutedLeads produced straight to \`leads.routed\` at a steady ${c.rate}/s (open model), each routed to the CRM destination (owner one of 37, rotating) and to a webhook destination (the bench receiver, \`allow_private: true\`); ${c.instances} instances of the CRM sink and one sink-webhook as processes. The fake answers ${c.errorRate * 100}% of API requests 503 (seeded) all along; a ${c.burstSeconds} s rate-limit burst at a tenth of the way (HubSpot: \`429\` \`policyName: TEN_SECONDLY_ROLLING\`; Salesforce: \`403 REQUEST_LIMIT_EXCEEDED\` for concurrent long requests, its only per-moment limit, since it answers no 429); ${c.shamOutage ? `**no outage** (a control: the ${c.outageSeconds} s window centred on the middle of production is measured, the fake stays up)` : `a total outage of ${c.outageSeconds} s (every connection reset) centred on the middle of production`}. Budgets are the vendor defaults, HubSpot 100 per 10 s (what the fake enforces, so the budget is what keeps it at zero violations across the three instances) and Salesforce 100,000 per 24 h with 25 concurrent long requests (not binding at these volumes). \`retry.delays\`: [${c.retryDelays.join(', ')}]; breaker ${c.halfOpenAfter ? `half-open after ${c.halfOpenAfter}, else at its defaults (5 failures)` : 'at its defaults (5 failures, half-open after 30 s)'}. Speed-to-lead is \`speed_to_lead_ms\` of each outcome on \`leads.delivered\` (sink ack − \`received_at\`, set when the lead was produced), put in a window by the lead's capture time; the first ${c.warmupSeconds} s are left out of the windows (start-up; their figures are in their own row).`,
      '',
      '| | ' + r.faults.map((f) => f.sink).join(' | ') + ' |',
      '| --- | ' + r.faults.map(() => '---').join(' | ') + ' |',
    );
    const row = (label: string, f: (x: FaultRun) => string) =>
      lines.push(`| ${label} | ${r.faults.map(f).join(' | ')} |`);
    row(
      'production / all outcomes in',
      (f) => `${s(f.producedSeconds * 1000)} / ${s(f.drainedSeconds * 1000)}`,
    );
    row(
      'burst / outage window (s after start)',
      (f) =>
        `${s(f.windows.burst[0])}–${s(f.windows.burst[1])} / ${s(f.windows.outage[0])}–${s(f.windows.outage[1])}`,
    );
    row(
      'CRM outcomes',
      (f) =>
        `${counts(f.crm.outcomes)}; missing ${f.crm.missing}, duplicated ${f.crm.duplicateOutcomes}`,
    );
    row(
      'records in the fake / leads with a record / distinct ids',
      (f) => `${n0(f.crm.records)} / ${n0(f.crm.leadsWithRecord)} / ${n0(f.crm.distinctRecordIds)}`,
    );
    row('record with the router’s owner', (f) => `${n0(f.crm.rightOwner)} of ${n0(f.leads)}`);
    row('outcome names the record', (f) => `${n0(f.crm.outcomeNamesRecord)}`);
    row('records written more than once (retried after a lost answer)', (f) => n0(f.crm.rewritten));
    row('violations counted by the fake', (f) =>
      f.crm.violations.length === 0
        ? '**0**'
        : `**${f.crm.violations.length}**: ${f.crm.violations.slice(0, 3).join('; ')}`,
    );
    row(
      'API requests the fake logged, by status (0 = cut mid-request by the outage; connections reset on arrival are not logged)',
      (f) => counts(f.crm.requestsByStatus),
    );
    row(
      'requests per 1,000 leads (all answers) / token requests',
      (f) => `${n1((f.crm.apiRequests / f.leads) * 1000)} / ${f.crm.tokenRequests}`,
    );
    row('most requests in any 10 s', (f) => n0(f.crm.peakPer10s));
    row(
      'retry-tier moves, instance 1 (attempt / circuit / quota / budget)',
      (f) =>
        `${n0(f.crm.retried.attempt)} / ${n0(f.crm.retried.circuit)} / ${n0(f.crm.retried.quota)} / ${n0(f.crm.retried.budget)}`,
    );
    row('most attempts of one lead', (f) => String(f.crm.maxAttempts));
    row(
      'CRM speed-to-lead p50 / p99 / max',
      (f) => `${ms(f.crm.speed.p50)} / ${ms(f.crm.speed.p99)} / ${ms(f.crm.speed.max)}`,
    );
    row(
      'CRM completion rate (leads / first produce → last CRM outcome)',
      (f) => `${n1(f.crm.leadsPerSecond)} leads/s (offered ${c.rate}/s)`,
    );
    row(
      'webhook outcomes / receiver POSTs',
      (f) =>
        `${counts(f.webhook.outcomes)}; missing ${f.webhook.missing}, duplicated ${f.webhook.duplicateOutcomes} / ${n0(f.webhook.posts)}`,
    );
    row(
      `webhook speed-to-lead p50 / p99, leads captured in the first ${c.warmupSeconds} s (left out below)`,
      (f) =>
        `${ms(f.webhook.warmup.p50)} / ${ms(f.webhook.warmup.p99)} (${n0(f.webhook.warmup.count)})`,
    );
    row(
      'webhook speed-to-lead p50 / p99, leads captured before the outage',
      (f) =>
        `${ms(f.webhook.before.p50)} / ${ms(f.webhook.before.p99)} (${n0(f.webhook.before.count)})`,
    );
    row(
      '… during the outage',
      (f) =>
        `${ms(f.webhook.during.p50)} / ${ms(f.webhook.during.p99)} (${n0(f.webhook.during.count)})`,
    );
    row(
      '… after it',
      (f) =>
        `${ms(f.webhook.after.p50)} / ${ms(f.webhook.after.p99)} (${n0(f.webhook.after.count)})`,
    );
    row(
      '… outside it (before + after)',
      (f) => `${ms(f.webhook.outside.p50)} / ${ms(f.webhook.outside.p99)}`,
    );
    row(
      'cores busy before / during / after the outage: CRM sink (3 instances), sink-webhook, broker',
      (f) =>
        (['before', 'during', 'after'] as const)
          .map(
            (w) =>
              `${n2(f.coresBusy[w].crm)}, ${n2(f.coresBusy[w].webhook)}, ${n2(f.coresBusy[w].broker)}`,
          )
          .join(' / '),
    );
    row('**webhook p99 during / outside** (≤ 1.20)', (f) => `**${n2(f.webhook.ratio)}**`);
    row('webhook p99 during / before (stricter: the recovery after the outage left out)', (f) =>
      n2(f.webhook.during.p99 / f.webhook.before.p99),
    );
    row(
      'CPU per lead, CRM sink (each instance’s CPU-s)',
      (f) => `${n0(f.crm.cpuUsPerLead)} µs (${f.crm.cpuSeconds.map(n1).join(' + ')} s)`,
    );
    row(
      'CPU per lead, sink-webhook',
      (f) => `${n0(f.webhook.cpuUsPerLead)} µs (${n1(f.webhook.cpuSeconds)} s)`,
    );
    lines.push('');
  }
  if (r.throughput) {
    const t = r.throughput;
    lines.push(
      '### 2. Throughput, fault-free, the four sinks side by side',
      '',
      `${n0(t.leads)} leads, each routed to all four destinations, produced before any sink starts; then each sink alone, one instance, timed from its first outcome to its last (the next sink starts after it stops; CPU from its /health answering to its last outcome), against healthy fakes, a table of the run's own and the receiver. Budgets at the vendor defaults: HubSpot's 100 per 10 s is sliced to 9 a second, so sink-hubspot is budget-bound here by design.`,
      '',
      '| sink | leads/s (first → last outcome) | first → last outcome | spawn → last outcome | requests per 1,000 leads | CPU µs per lead | CPU-s | delivered |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const x of t.sinks) {
      lines.push(
        `| sink-${x.type} | ${n0(x.leadsPerSecond)} | ${n1(x.firstToLastSeconds)} s | ${n1(x.fromSpawnSeconds)} s | ${n1(x.requestsPer1000)} (${x.requestsSource}) | ${n0(x.cpuUsPerLead)} | ${n1(x.cpuSeconds)} | ${n0(x.delivered)} of ${n0(t.leads)} |`,
      );
    }
    const webhook = t.sinks.find((x) => x.type === 'webhook');
    if (webhook) {
      lines.push(
        '',
        'Ratio to sink-webhook (leads/s, CPU per lead): ' +
          t.sinks
            .filter((x) => x.type !== 'webhook')
            .map(
              (x) =>
                `sink-${x.type} ${n2(x.leadsPerSecond / webhook.leadsPerSecond)}× / ${n2(x.cpuUsPerLead / webhook.cpuUsPerLead)}×`,
            )
            .join('; ') +
          '.',
      );
    }
    lines.push('');
  }
  lines.push('### Checks', '', '| check | result | |', '| --- | --- | --- |');
  for (const check of r.checks) {
    lines.push(`| ${check.what} | ${check.ok ? '**met**' : '**missed**'} | ${check.detail} |`);
  }
  lines.push('');
  for (const f of r.faults) {
    lines.push(
      `Webhook speed-to-lead over time, ${VENDOR[f.sink]} run (outage shaded): [sinks-speed-${f.sink}.svg](sinks-speed-${f.sink}.svg)`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
