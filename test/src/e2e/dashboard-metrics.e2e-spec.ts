import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '@lead-router/local-stack';
import { parseExposition } from '@lead-router/observability';
import { serviceEntry, type ServiceName } from '@lead-router/schemas';
import {
  DEMO_MODE_ENV,
  startService,
  testStack,
  waitFor,
  type ServiceProcess,
} from '@lead-router/testing';
import { Pool } from 'pg';
import {
  fourDestinationsYaml,
  postLead,
  startAllSinks,
  type AllSinksPipeline,
  type Receivers,
} from './all-sinks.fixture';
import {
  addExposition,
  addPrometheusSeries,
  alertRuleLabels,
  checkDashboard,
  checkRules,
  emptyCatalogue,
  parseRuleFile,
  ruleFilesOf,
  scrapeLabelsOf,
  type Catalogue,
  type GrafanaDashboard,
  type RuleFile,
} from './dashboard-metrics.checker';

/**
 * The dashboard and the alert rules against what the services really export: the whole pipeline
 * (every service of the manifest, the indexer included, each its own process) runs leads that are
 * delivered to each type of destination, retried, dead-lettered, held and parked on a quota; every
 * service's /metrics is scraped through the run; then every PromQL expression of the dashboard
 * and of the rule files must name only metrics and labels found there (or added by Prometheus at
 * scrape time, per deploy/prometheus/prometheus.yml).
 */

const repoRoot = resolve(__dirname, '..', '..', '..');
const DASHBOARD = 'deploy/grafana/dashboards/lead-router.json';
const PROMETHEUS = 'deploy/prometheus/prometheus.yml';
const ALERTS = 'deploy/prometheus/alerts.yml';
const PG_URL = process.env['PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/test';

const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

/** The rule files to check: alerts.yml and every file prometheus.yml's rule_files names. */
function ruleFiles(): { path: string; rules: RuleFile }[] {
  const paths = new Set<string>([ALERTS]);
  if (existsSync(join(repoRoot, PROMETHEUS))) {
    for (const f of ruleFilesOf(read(PROMETHEUS))) {
      // Compose mounts deploy/prometheus at /etc/prometheus: a file is named by its base name there.
      const local = join(dirname(PROMETHEUS), f.replace(/^\/etc\/prometheus\//, ''));
      if (!f.includes('*') && existsSync(join(repoRoot, local))) paths.add(local);
    }
  }
  return [...paths].map((path) => ({ path, rules: parseRuleFile(read(path)) }));
}

// ------------------------------------------------------------------------------------------------
// The checker catches what it claims to, on an exposition of its own (no pipeline needed)
// ------------------------------------------------------------------------------------------------

const EXPOSITION = `# HELP lead_router_records_total Records consumed by a stage, by outcome
# TYPE lead_router_records_total counter
lead_router_records_total{stage="normalizer",topic="leads.raw",outcome="ok",service="normalizer"} 12
# HELP lead_router_speed_to_lead_seconds Seconds from capture to the destination acknowledging the lead
# TYPE lead_router_speed_to_lead_seconds histogram
lead_router_speed_to_lead_seconds_bucket{le="0.1",source="web-form",destination="inbox",service="sink-webhook"} 3
lead_router_speed_to_lead_seconds_bucket{le="+Inf",source="web-form",destination="inbox",service="sink-webhook"} 4
lead_router_speed_to_lead_seconds_sum{source="web-form",destination="inbox",service="sink-webhook"} 0.9
lead_router_speed_to_lead_seconds_count{source="web-form",destination="inbox",service="sink-webhook"} 4
# HELP lead_router_sink_failed_total Leads that ended FAILED
# TYPE lead_router_sink_failed_total counter
`;

function selfTestCatalogue(): Catalogue {
  const catalogue = emptyCatalogue(
    scrapeLabelsOf(
      'scrape_configs:\n  - job_name: x\n    static_configs:\n      - targets: [a]\n        labels: { env: local }\n',
    ),
  );
  addExposition(catalogue, 'self-test', EXPOSITION);
  addPrometheusSeries(catalogue, []);
  return catalogue;
}

const fragment = (targets: { expr: string; legendFormat?: string }[]): GrafanaDashboard => ({
  panels: [
    {
      type: 'row',
      title: 'A row',
      panels: [{ type: 'timeseries', title: 'Fragment', targets }],
    },
  ],
  templating: {
    list: [
      {
        name: 'source',
        type: 'query',
        query: 'label_values(lead_router_speed_to_lead_seconds_count, source)',
      },
    ],
  },
});

describe('the dashboard-metrics checker', () => {
  it('passes expressions that name only exported metrics and labels, variables and scrape-time labels included', () => {
    const findings = checkDashboard(
      selfTestCatalogue(),
      fragment([
        {
          expr: 'histogram_quantile(0.99, sum by (le, source, destination) (rate(lead_router_speed_to_lead_seconds_bucket{source=~"$source"}[$__rate_interval])))',
          legendFormat: '{{source}} → {{destination}}',
        },
        { expr: 'sum by (stage, job, env) (rate(lead_router_records_total{outcome="ok"}[5m]))' },
        { expr: 'up{job="lead-router"} == 0' },
      ]),
    );
    assert.deepEqual(findings, []);
  });

  it('names an unknown metric, a missing suffix, an unknown label in a matcher, a grouping, a legend and a variable', () => {
    const findings = checkDashboard(
      selfTestCatalogue(),
      {
        ...fragment([
          { expr: 'sum(rate(lead_router_no_such_metric_total[5m]))' },
          { expr: 'rate(lead_router_records[5m])' },
          { expr: 'sum(rate(lead_router_records_total{destination="inbox"}[5m]))' },
          {
            expr: 'sum by (partition) (rate(lead_router_records_total[5m]))',
            legendFormat: '{{queue}}',
          },
          { expr: 'histogram_quantile(0.5, rate(lead_router_speed_to_lead_seconds[5m]))' },
          { expr: 'rate(lead_router_records_total{stage="x"' },
          { expr: 'sum(rate(lead_router_records_total{stage=~"$stages"}[5m]))' },
        ]),
        templating: {
          list: [
            { name: 'code', type: 'query', query: 'label_values(lead_router_records_total, code)' },
          ],
        },
      },
      'fragment.json',
    );
    const expected = [
      "fragment.json: panel 'Fragment' names metric lead_router_no_such_metric_total that no service exports",
      "fragment.json: panel 'Fragment' names metric lead_router_records that no service exports (exported: lead_router_records_total)",
      "fragment.json: panel 'Fragment' uses label destination that lead_router_records_total does not have (lead_router_records_total has: env, instance, job, outcome, service, stage, topic)",
      "fragment.json: panel 'Fragment' groups by label partition that lead_router_records_total does not have (lead_router_records_total has: env, instance, job, outcome, service, stage, topic)",
      "fragment.json: panel 'Fragment' shows in its legend label queue that its expression's result does not carry (it carries: partition)",
      "fragment.json: panel 'Fragment' names metric lead_router_speed_to_lead_seconds that no service exports (exported: lead_router_speed_to_lead_seconds_bucket, lead_router_speed_to_lead_seconds_count, lead_router_speed_to_lead_seconds_sum)",
      'fragment.json: panel \'Fragment\' has an expression that does not parse (at 40): rate(lead_router_records_total{stage="x"',
      "fragment.json: panel 'Fragment' uses variable $stages that the dashboard does not define",
      "fragment.json: variable '$code' lists values of label code that lead_router_records_total does not have (lead_router_records_total has: env, instance, job, outcome, service, stage, topic)",
    ];
    assert.deepEqual(findings, expected);
  });

  it('checks alerts and recording rules: expressions, on/ignoring/group_left, label_replace and the labels their texts show', () => {
    const rules = parseRuleFile(`groups:
  - name: g
    rules:
      - record: stage:lead_router_records:rate5m
        expr: sum by (stage) (rate(lead_router_records_total[5m]))
      - alert: DlqSpike
        expr: stage:lead_router_records:rate5m{outcome="dlq"} > 1
        annotations:
          summary: '{{ $labels.stage }} dead-letters {{ $value }}/s'
      - alert: Ratio
        expr: sum by (destination) (rate(lead_router_sink_failed_total[5m])) / on(destination) group_left(topic) sum by (destination) (rate(lead_router_speed_to_lead_seconds_count[5m]))
        labels: { severity: page }
        annotations:
          summary: '{{ $labels.destination }} via {{ $labels.code }}'
      - alert: Replaced
        expr: label_replace(lead_router_records_total, "step", "$1", "phase", "(.*)") > 0
      - alert: Fine
        expr: label_replace(lead_router_records_total, "step", "$1", "stage", "(.*)") > 0
        annotations: { summary: '{{ $labels.step }} on {{ $labels.instance }}' }
`);
    const findings = checkRules(selfTestCatalogue(), [rules], 'alerts.yml');
    assert.deepEqual(findings, [
      'alerts.yml: alert DlqSpike uses label outcome that stage:lead_router_records:rate5m does not have (stage:lead_router_records:rate5m has: env, instance, job, stage)',
      'alerts.yml: alert Ratio groups by label destination of lead_router_sink_failed_total, but no series of it was exported during the run (declared by self-test with no sample), so the label cannot be confirmed',
      'alerts.yml: alert Ratio copies (group_left) label topic that lead_router_speed_to_lead_seconds_count does not have (lead_router_speed_to_lead_seconds_count has: destination, env, instance, job, service, source)',
      'alerts.yml: alert Ratio shows label code that none of lead_router_sink_failed_total, lead_router_speed_to_lead_seconds_count has (they have: destination)',
      'alerts.yml: alert Replaced replaces from label phase that lead_router_records_total does not have (lead_router_records_total has: env, instance, job, outcome, service, stage, topic)',
    ]);
  });

  it('reads the exposition as prom-client writes it: escaped label values, histogram series by their suffixes', () => {
    const { types, samples } = parseExposition(
      '# TYPE m gauge\nm{a="x\\"y,z}",b="\\\\"} 1\nm 2 1700000000000\n',
    );
    assert.equal(types.get('m'), 'gauge');
    assert.deepEqual(samples, [
      { name: 'm', labels: { a: 'x"y,z}', b: '\\' }, value: 1 },
      { name: 'm', labels: {}, value: 2 },
    ]);
    const catalogue = selfTestCatalogue();
    assert.equal(catalogue.metrics.get('lead_router_speed_to_lead_seconds'), undefined);
    assert.deepEqual(
      [...catalogue.metrics.get('lead_router_speed_to_lead_seconds_bucket')!.labels].sort(),
      ['destination', 'le', 'service', 'source'],
    );
    assert.equal(catalogue.metrics.get('lead_router_sink_failed_total')!.series, 0);
  });
});

// ------------------------------------------------------------------------------------------------
// The real dashboard and rules against the real services
// ------------------------------------------------------------------------------------------------

/** A webhook receiver whose paths answer as told: ok, flaky (503 once per lead), down, reject. */
async function startReceiver(): Promise<{ url: string; server: Server }> {
  const seen = new Set<string>();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const id = String(req.headers['webhook-id'] ?? '');
      let status = 200;
      if (path === '/down') status = 503;
      else if (path === '/reject') status = 400;
      else if (path === '/flaky' && !seen.has(id)) {
        seen.add(id);
        status = 503;
      }
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: status === 200 }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Where each country's leads go. */
const ROUTES: Readonly<Record<string, string>> = {
  DE: 'crm',
  US: 'hub',
  FR: 'warehouse',
  BR: 'inbox',
  GB: 'flaky',
  CA: 'down',
  JP: 'reject',
  MX: 'locked',
  IT: 'metered',
};

function rulesYaml(r: Receivers, receiverUrl: string): string {
  const now = Date.now();
  // Yann is away for two weeks: an NZ lead stays held through the run.
  const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
  const owners = (m: string) =>
    `{ crm: '005000000000${m.toUpperCase().slice(0, 3)}', hub: '10${m.length}', warehouse: pg-${m}, inbox: wh-${m}, flaky: wh-${m}, down: wh-${m}, reject: wh-${m}, locked: wh-${m}, metered: wh-${m} }`;
  const webhook = (path: string, extra = '') => `
    type: webhook
    url: ${receiverUrl}${path}
    allow_private: true${extra}`;
  const rules = Object.entries(ROUTES)
    .map(
      ([country, to]) => `  - name: ${country.toLowerCase()}-leads
    when: { path: lead.country, eq: ${country} }
    queue: sales
    destinations: [${to}]`,
    )
    .join('\n');
  return `id: e2e-dashboard-metrics
version: '2026-12-02.1'
destinations:
${fourDestinationsYaml(r, '\n    retry: { delays: [1s, 1s] }')}
  flaky:${webhook('/flaky', '\n    retry: { delays: [1s, 1s] }')}
  down:${webhook('/down', '\n    retry: { delays: [1s, 1s] }\n    breaker: { failures: 2, half_open_after: 30s, fallback_after: 5m }\n    fallback: inbox')}
  reject:${webhook('/reject')}
  locked:${webhook('/ok', `\n    secret: { file: ${join(tmpdir(), `no-such-secret-${randomBytes(4).toString('hex')}`)} }`)}
  metered:${webhook('/ok', '\n    budget: { requests: 1, per_seconds: 60 }')}
queues:
  sales:
    method: round_robin
    when_unavailable: { hold: true }
    members:
      - { id: alice, owners: ${owners('alice')} }
      - { id: bruno, owners: ${owners('bruno')} }
  away:
    method: round_robin
    when_unavailable: { hold: true }
    members:
      # One lead a minute: the next AU lead is held until the first leaves the window, then released.
      - { id: zoe, owners: ${owners('zoe')}, capacity: { max: 1, window: 1m } }
  gone:
    method: round_robin
    when_unavailable: { hold: true }
    members:
      - id: yann
        owners: ${owners('yann')}
        out_of_office: [{ start: "${iso(now - 3_600_000)}", end: "${iso(now + 14 * 86_400_000)}" }]
rules:
${rules}
  - name: au-leads
    when: { path: lead.country, eq: AU }
    queue: away
    destinations: [inbox]
  - name: nz-leads
    when: { path: lead.country, eq: NZ }
    queue: gone
    destinations: [inbox]
fallback:
  queue: sales
  destinations: [inbox]
`;
}

describe('the dashboard and the alert rules name only what the services export', () => {
  let p: AllSinksPipeline | undefined;
  let indexer: ServiceProcess | undefined;
  let receiver: Server | undefined;
  let pool: Pool | undefined;
  const indexTable = `e2e_dashboard_metrics_${randomBytes(4).toString('hex')}`;
  const catalogue = emptyCatalogue(
    scrapeLabelsOf(existsSync(join(repoRoot, PROMETHEUS)) ? read(PROMETHEUS) : undefined),
  );
  const services = () => [
    ...(p?.services ?? new Map<ServiceName, ServiceProcess>()),
    ...(indexer ? ([['indexer', indexer]] as const) : []),
  ];
  /** Every service's /metrics, added to the catalogue; answers the texts by service. */
  const scrape = async (): Promise<Map<string, string>> => {
    const texts = new Map<string, string>();
    for (const [name, service] of services()) {
      const res = await fetch(`${service.url}/metrics`);
      assert.equal(res.status, 200, `${name} answers /metrics`);
      const text = await res.text();
      addExposition(catalogue, name, text);
      texts.set(name, text);
    }
    return texts;
  };
  /** Scrapes until some service's exposition has a sample matching `pattern`. */
  const seen = (pattern: RegExp, what: string) =>
    waitFor(async () => [...(await scrape()).values()].some((t) => pattern.test(t)), {
      timeoutMs: 180_000,
      intervalMs: 2_000,
      what,
    });

  before(async () => {
    const r = await startReceiver();
    receiver = r.server;
    // Nine processes at once (the indexer after them): generous, a loaded host starts them slowly.
    p = await startAllSinks('e2e-dash-metrics', (receivers) => rulesYaml(receivers, r.url), {
      healthTimeoutMs: 300_000,
    });
    pool = new Pool({ connectionString: PG_URL, max: 1 });
    const stack = await testStack();
    const port = await freePort();
    indexer = await startService(
      'indexer',
      {
        ...DEMO_MODE_ENV,
        KAFKA_BROKERS: stack.brokers.join(','),
        SCHEMA_REGISTRY_URL: stack.registryUrl,
        TOPIC_PREFIX: p.prefix,
        LOG_LEVEL: 'warn',
        HTTP_HOST: '127.0.0.1',
        [serviceEntry('indexer').port.env]: String(port),
        PG_URL,
        INDEX_TABLE: indexTable,
        KAFKA_SESSION_TIMEOUT_MS: '6000',
      },
      {
        port,
        logDir: mkdtempSync(join(tmpdir(), 'lead-router-e2e-dash-indexer-')),
        healthTimeoutMs: 120_000,
      },
    );

    // Leads for every kind of destination, a retry (flaky), a circuit that opens and falls back
    // (down), a refusal dead-lettered by the sink (reject), a destination stopped for want of its
    // secret (locked), one held back by its request budget (metered), leads held (AU beyond one a minute,
    // released as the window frees; NZ for weeks), and one the normalizer dead-letters.
    const run = randomBytes(3).toString('hex');
    const countries = [...Object.keys(ROUTES), 'ES', 'AU', 'NZ'];
    for (let i = 0; i < 36; i++) {
      const country = countries[i % countries.length]!;
      if (['CA', 'JP', 'NZ', 'MX'].includes(country) && i >= countries.length) {
        continue;
      }
      await postLead(p.ingestUrl, {
        email: `lead-${run}-${i}@acme${i % 5}.com`,
        last_name: `Lead ${i}`,
        company: `Acme ${i % 5}`,
        country,
      });
    }
    await postLead(p.ingestUrl, { email: 'not-an-email', country: 'DE', company: 'Nobody' });

    await seen(
      /lead_router_sink_delivered_total\{[^}]*sink="sink-salesforce"/,
      'a Salesforce delivery',
    );
    await seen(/lead_router_sink_delivered_total\{[^}]*sink="sink-postgres"/, 'a row written');
    await seen(
      /lead_router_sink_delivered_total\{[^}]*destination="flaky"/,
      'the flaky webhook delivered after its retry',
    );
    await seen(
      /lead_router_sink_failed_total\{[^}]*destination="reject"/,
      'the refused lead dead-lettered',
    );
    await seen(
      /lead_router_sink_fell_back_total\{[^}]*destination="down"/,
      'the down webhook falling back',
    );
    await seen(
      /lead_router_records_total\{[^}]*stage="normalizer"[^}]*outcome="dlq"/,
      'the normalizer dead-lettering',
    );
    await seen(/lead_router_router_held_leads\{/, 'held leads');
    await seen(
      /lead_router_sink_destination_stopped_total\{[^}]*destination="locked"/,
      'the destination without its secret stopped',
    );
    await seen(
      /lead_router_sink_throttled_total\{[^}]*destination="metered"/,
      'the metered webhook over its budget',
    );
    // HubSpot's daily limit reached: the next US lead parks hubspot on its quota. A limit of
    // 0, not of the 1 already used: the fake, like HubSpot, starts a new day's count at midnight,
    // and a run crossing midnight UTC between the delivery and the next lead found it admitted.
    await seen(/lead_router_sink_delivered_total\{[^}]*sink="sink-hubspot"/, 'a HubSpot delivery');
    p.hubspot.control.setLimits({ daily: 0 });
    await postLead(p.ingestUrl, {
      email: `quota-${run}@acme.com`,
      last_name: 'Quota',
      country: 'US',
    });
    await seen(
      /lead_router_sink_retried_total\{[^}]*reason="quota"/,
      'HubSpot parked on its quota',
    );
    await seen(/lead_router_router_held_released_total\{/, 'a held lead released');
    await scrape();
  });

  after(async () => {
    await indexer?.stop();
    await p?.close();
    await new Promise((r) => receiver?.close(r));
    await pool?.query(`drop table if exists public.${indexTable}`).catch(() => undefined);
    await pool?.end();
    if (process.env['DASHBOARD_METRICS_DUMP']) {
      const dump = Object.fromEntries(
        [...catalogue.metrics.values()].map((m) => [
          m.name,
          { labels: [...m.labels].sort(), services: [...m.services].sort(), series: m.series },
        ]),
      );
      writeFileSync(process.env['DASHBOARD_METRICS_DUMP'], JSON.stringify(dump, null, 2));
    }
  });

  it('every service of the manifest exports its lead_router_ metrics and the process defaults', () => {
    const names = services()
      .map(([n]) => n)
      .sort();
    assert.ok(
      names.includes('indexer') && names.includes('ingest') && names.length >= 10,
      names.join(),
    );
    for (const name of names) {
      const own = [...catalogue.metrics.values()].filter((m) => m.services.has(name));
      assert.ok(
        own.some((m) => m.name === 'process_resident_memory_bytes'),
        `${name}: process metrics`,
      );
      assert.ok(
        own.some((m) => m.name.startsWith('lead_router_') && m.series > 0),
        `${name}: lead_router_ series`,
      );
    }
  });

  it('the checker, on the real exposition, names an unknown metric and an unknown label', () => {
    const findings = checkDashboard(
      catalogue,
      fragment([
        { expr: 'sum by (stage) (rate(lead_router_records_totl[5m]))' },
        { expr: 'sum by (colour) (rate(lead_router_sink_delivered_total[5m]))' },
      ]),
      'fragment.json',
    );
    assert.equal(findings.length, 2, findings.join('\n'));
    assert.match(findings[0]!, /names metric lead_router_records_totl that no service exports/);
    assert.match(
      findings[1]!,
      /groups by label colour that lead_router_sink_delivered_total does not have \(lead_router_sink_delivered_total has: .*destination.*sink/,
    );
  });

  it(`${DASHBOARD}: every panel, variable and legend names only exported metrics and labels`, () => {
    assert.ok(existsSync(join(repoRoot, DASHBOARD)), `${DASHBOARD} exists`);
    const dashboard = JSON.parse(read(DASHBOARD)) as GrafanaDashboard;
    const withRules = structuredClone(catalogue);
    const files = ruleFiles().filter(({ path }) => existsSync(join(repoRoot, path)));
    // The rules' recording rules are series the dashboard may name; their own findings are the next test's.
    checkRules(
      withRules,
      files.map((f) => f.rules),
    );
    addPrometheusSeries(withRules, alertRuleLabels(files.map((f) => f.rules)));
    const findings = checkDashboard(withRules, dashboard, DASHBOARD);
    assert.deepEqual(findings, [], `\n${findings.join('\n')}\n`);
  });

  it(`${ALERTS}: every alert and recording rule names only exported metrics and labels`, () => {
    assert.ok(existsSync(join(repoRoot, ALERTS)), `${ALERTS} exists`);
    const files = ruleFiles();
    const withRules = structuredClone(catalogue);
    addPrometheusSeries(withRules, alertRuleLabels(files.map((f) => f.rules)));
    const findings = files.flatMap(({ path, rules }) => checkRules(withRules, [rules], path));
    const count = files.reduce(
      (n, f) => n + (f.rules.groups ?? []).reduce((m, g) => m + (g.rules ?? []).length, 0),
      0,
    );
    assert.ok(count > 0, `${files.map((f) => f.path).join(', ')} hold rules`);
    assert.deepEqual(findings, [], `\n${findings.join('\n')}\n`);
  });
});
