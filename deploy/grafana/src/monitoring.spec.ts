import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MetricNames, createRegistry, createSpeedToLead } from '@lead-router/observability';
import { optionalServices, serviceManifest } from '@lead-router/schemas';
import { parser } from '@prometheus-io/lezer-promql';
import { parse as parseYaml } from 'yaml';
import { MonitoringFiles, headingAnchor } from './index';

const repoRoot = join(__dirname, '..', '..', '..');
const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

interface Target {
  expr: string;
  refId: string;
  legendFormat?: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; query: { query: string } }[] };
}
interface Rule {
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const dashboard = JSON.parse(read(MonitoringFiles.dashboard)) as Dashboard;
const rules = (
  parseYaml(read(MonitoringFiles.alerts)) as { groups: { rules: Rule[] }[] }
).groups.flatMap((g) => g.rules);
const prometheus = parseYaml(read(MonitoringFiles.prometheus)) as {
  rule_files: string[];
  scrape_configs: {
    job_name: string;
    metrics_path: string;
    dns_sd_configs: { names: string[]; type: string; port: number }[];
  }[];
};
const compose = parseYaml(read('docker-compose.yml'), { merge: true }) as {
  services: Record<
    string,
    { image?: string; volumes?: string[]; environment?: Record<string, unknown> }
  >;
};
const panels = dashboard.panels.filter((p) => p.type !== 'row');

/** Grafana's variables replaced by what they stand for, so the text is PromQL. */
function withoutVariables(expr: string): string {
  return expr.replace(/\$__rate_interval|\$__interval/g, '5m').replace(/\$\w+/g, '.*');
}

/** The syntax errors lezer-promql (Prometheus' own grammar) finds in `expr`, with where. */
function syntaxErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) {
        errors.push(`at ${node.from}: …${expr.slice(Math.max(0, node.from - 20), node.to + 20)}…`);
      }
    },
  });
  return errors;
}

/** The metric names `expr` selects (VectorSelector's identifier), by lezer-promql's tree. */
function metricNames(expr: string): string[] {
  const names: string[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.name === 'VectorSelector') {
        const id = node.node.getChild('Identifier');
        if (id) names.push(expr.slice(id.from, id.to));
      }
    },
  });
  return names;
}

/** Every PromQL expression of the dashboard and the alerts, with where it is. */
const expressions: { where: string; expr: string }[] = [
  ...panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({
      where: `panel "${p.title}" ${t.refId}`,
      expr: withoutVariables(t.expr),
    })),
  ),
  ...dashboard.templating.list.map((v) => {
    const m = /^label_values\((.+),\s*\w+\)$/.exec(v.query.query);
    return { where: `variable ${v.name}`, expr: m ? m[1]! : `(${v.query.query}` };
  }),
  ...rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
];

/** The metrics lead-router's code names, with the series names a histogram adds. */
const ourMetrics = new Set(
  Object.values(MetricNames).flatMap((n) => [n, `${n}_bucket`, `${n}_count`, `${n}_sum`]),
);

describe('the PromQL of the dashboard and the alerts', () => {
  it('covers every panel target, variable and alert', () => {
    assert.ok(panels.length >= 20, `${panels.length} panels`);
    assert.ok(rules.length >= 10, `${rules.length} rules`);
    assert.equal(
      expressions.length,
      panels.reduce((n, p) => n + (p.targets?.length ?? 0), 0) +
        dashboard.templating.list.length +
        rules.length,
    );
  });

  it('parses without a syntax error (lezer-promql)', () => {
    const broken = expressions
      .map(({ where, expr }) => ({ where, errors: syntaxErrors(expr) }))
      .filter((e) => e.errors.length > 0);
    assert.deepEqual(broken, []);
  });

  it('the check finds a broken expression (it can fail)', () => {
    assert.deepEqual(syntaxErrors('sum by (stage) (rate(lead_router_records_total[5m]))'), []);
    assert.notDeepEqual(syntaxErrors('sum by (stage) (rate(lead_router_records_total[5m])'), []);
    assert.notDeepEqual(syntaxErrors('histogram_quantile(0.99, sum by (le) (x{le="60"))'), []);
  });

  it("names only lead-router's metrics (metric-names.ts) and prom-client's default ones", async () => {
    const registry = createRegistry('spec');
    const defaults = new Set(
      (await registry.getMetricsAsJSON()).flatMap((m) =>
        String(m.type) === 'histogram'
          ? [`${m.name}_bucket`, `${m.name}_count`, `${m.name}_sum`]
          : m.name,
      ),
    );
    const unknown = expressions.flatMap(({ where, expr }) =>
      metricNames(expr)
        .filter((n) => !ourMetrics.has(n) && !defaults.has(n))
        .map((n) => `${where}: ${n}`),
    );
    assert.deepEqual(unknown, []);
    assert.deepEqual(
      metricNames('rate(lead_router_records_total[5m]) / nodejs_eventloop_lag_p99_seconds'),
      ['lead_router_records_total', 'nodejs_eventloop_lag_p99_seconds'],
    );
  });

  it('the SLO threshold of 60 s is a bucket of the speed-to-lead histogram', async () => {
    const sloRules = rules.filter((r) => r.alert?.startsWith('LeadRouterSpeedToLeadSLOBurn'));
    assert.equal(sloRules.length, 2);
    for (const r of sloRules)
      assert.match(r.expr, /lead_router_speed_to_lead_seconds_bucket\{le="60"\}/);
    const registry = createRegistry('spec');
    createSpeedToLead(registry).observe({ source: 's', destination: 'd' }, 59);
    assert.match(
      await registry.metrics(),
      /lead_router_speed_to_lead_seconds_bucket\{le="60",service="spec",source="s",destination="d"\} 1/,
    );
  });
});

describe('the dashboard (deploy/grafana/dashboards/lead-router.json)', () => {
  it('reads every panel from the provisioned Prometheus data source, with a description', () => {
    for (const p of panels) {
      assert.deepEqual(p.datasource, { type: 'prometheus', uid: 'prometheus' }, p.title);
      for (const t of p.targets ?? []) assert.equal(t.datasource?.uid, 'prometheus', p.title);
      assert.ok((p.description ?? '').length > 40, `${p.title}: a description`);
    }
  });

  it('has unique panel ids and panels that do not overlap', () => {
    assert.equal(new Set(dashboard.panels.map((p) => p.id)).size, dashboard.panels.length);
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      assert.ok(p.gridPos.x + p.gridPos.w <= 24, p.title);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          assert.ok(!cells.has(`${x},${y}`), `${p.title} overlaps another panel at ${x},${y}`);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('shows what the issue asks for', () => {
    const exprs = (title: RegExp) =>
      panels
        .filter((p) => title.test(p.title))
        .flatMap((p) => (p.targets ?? []).map((t) => t.expr))
        .join('\n');
    assert.match(exprs(/p50/), /histogram_quantile\(0\.5, sum by \(le, source, destination\)/);
    assert.match(exprs(/p99/), /histogram_quantile\(0\.99, sum by \(le, source, destination\)/);
    assert.match(exprs(/per stage/), /sum by \(stage\) \(rate\(lead_router_records_total/);
    assert.match(exprs(/lag per group \(records\)/), /lead_router_consumer_lag/);
    assert.match(exprs(/lag per group \(seconds/), /lead_router_consumer_lag.*\/.*records_total/);
    assert.match(exprs(/Dead letters/), /sum by \(stage, code\) \(rate\(lead_router_errors_total/);
    assert.match(exprs(/Delivery outcomes/), /lead_router_sink_delivered_total/);
    assert.match(exprs(/Rate-limit waits/), /lead_router_sink_throttled_total/);
    assert.match(exprs(/Held leads per/), /lead_router_router_held_leads/);
    assert.match(exprs(/Event-loop/), /max by \(service\) \(nodejs_eventloop_lag_p99_seconds/);
    assert.match(exprs(/memory/), /max by \(service\) \(process_resident_memory_bytes/);
  });
});

describe('the alert rules (deploy/prometheus/alerts.yml)', () => {
  const operations = (() => {
    try {
      return read('docs/operations.md');
    } catch {
      return '';
    }
  })();
  const anchors = new Set(
    [...operations.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => headingAnchor(m[1]!)),
  );

  it('has a name, a duration, a severity, a summary, a description and a runbook per alert', () => {
    const names = rules.map((r) => r.alert);
    assert.equal(new Set(names).size, names.length, 'unique names');
    for (const r of rules) {
      assert.match(r.alert ?? '', /^LeadRouter[A-Za-z]+$/);
      assert.match(r.for ?? '', /^\d+[smh]$/, `${r.alert}: for`);
      assert.ok(['warning', 'critical'].includes(r.labels?.['severity'] ?? ''), r.alert);
      assert.ok(r.annotations?.['summary'], `${r.alert}: summary`);
      assert.ok(r.annotations?.['description'], `${r.alert}: description`);
      assert.equal(
        r.annotations?.['runbook_url'],
        `docs/operations.md#alert-${r.alert!.toLowerCase()}`,
        `${r.alert}: runbook_url`,
      );
    }
  });

  it("each runbook_url is a heading of docs/operations.md ('Alert: <name>')", () => {
    assert.equal(headingAnchor('Alert: LeadRouterCircuitOpen'), 'alert-leadroutercircuitopen');
    const missing = rules
      .map((r) => r.annotations?.['runbook_url']?.split('#')[1] ?? '')
      .filter((a) => !anchors.has(a));
    assert.deepEqual(missing, [], 'docs/operations.md has no heading for these anchors');
  });

  it('alerts on the issue’s five signals', () => {
    const exprOf = (name: string) => rules.find((r) => r.alert === name)?.expr ?? '';
    assert.match(exprOf('LeadRouterConsumerLagGrowing'), /deriv\(/);
    assert.match(exprOf('LeadRouterSpeedToLeadSLOBurnFast'), /\[1h\][\s\S]*\[5m\]/);
    assert.match(exprOf('LeadRouterSpeedToLeadSLOBurnSlow'), /\[6h\][\s\S]*\[30m\]/);
    assert.match(exprOf('LeadRouterDLQSpike'), /outcome="dlq"/);
    assert.match(exprOf('LeadRouterCircuitOpen'), /lead_router_sink_circuit_open/);
    assert.match(
      exprOf('LeadRouterSinkParkedOnQuota'),
      /lead_router_sink_destination_parked_until_timestamp_seconds\{reason="quota"\}/,
    );
  });
});

describe('the alerts on synthetic series (promtool test rules)', () => {
  const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  const skip =
    promtool.status === 0
      ? false
      : 'promtool is not installed (Debian: apt-get install prometheus)';

  it(
    'every alert fires where deploy/prometheus/alerts.test.yml expects it, and only there',
    { skip },
    () => {
      const tests = readFileSync(join(repoRoot, 'deploy/prometheus/alerts.test.yml'), 'utf8');
      for (const r of rules)
        assert.ok(tests.includes(`alertname: ${r.alert}`), `${r.alert} is tested`);
      const run = spawnSync('promtool', ['test', 'rules', 'deploy/prometheus/alerts.test.yml'], {
        cwd: repoRoot,
        encoding: 'utf8',
      });
      assert.equal(run.status, 0, run.stdout + run.stderr);
      assert.match(run.stdout, /SUCCESS/);
    },
  );
});

describe('Prometheus and Grafana in docker-compose.yml', () => {
  const services = [...serviceManifest, ...optionalServices];

  it('scrapes every service at its port, one job named as the service', () => {
    assert.deepEqual(
      prometheus.scrape_configs.map((s) => s.job_name).sort(),
      services.map((s) => s.name).sort(),
    );
    for (const s of services) {
      const job = prometheus.scrape_configs.find((j) => j.job_name === s.name)!;
      assert.equal(job.metrics_path, '/metrics');
      assert.deepEqual(job.dns_sd_configs, [
        { names: [s.name], type: 'A', port: s.port.default, refresh_interval: '30s' },
      ]);
    }
    for (const s of serviceManifest) {
      assert.equal(compose.services[s.name]?.environment?.[s.port.env], s.port.default, s.name);
    }
  });

  it('mounts the rules where prometheus.yml reads them, and the provisioning where Grafana does', () => {
    assert.ok(
      compose.services['prometheus']?.volumes?.includes('./deploy/prometheus:/etc/prometheus:ro'),
    );
    assert.deepEqual(prometheus.rule_files, ['/etc/prometheus/alerts.yml']);
    const grafana = compose.services['grafana']!;
    assert.ok(
      grafana.volumes?.includes('./deploy/grafana/provisioning:/etc/grafana/provisioning:ro'),
    );
    assert.ok(
      grafana.volumes?.includes('./deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro'),
    );
    const providers = parseYaml(read(MonitoringFiles.dashboardProviders)) as {
      providers: { options: { path: string } }[];
    };
    assert.equal(providers.providers[0]?.options.path, '/var/lib/grafana/dashboards');
    assert.equal(
      grafana.environment?.['GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH'],
      '/var/lib/grafana/dashboards/lead-router.json',
    );
    assert.equal(grafana.environment?.['GF_AUTH_ANONYMOUS_ENABLED'], 'true');
    const datasources = parseYaml(read(MonitoringFiles.datasources)) as {
      datasources: { uid: string; type: string; url: string }[];
    };
    assert.deepEqual(
      datasources.datasources.map((d) => [d.uid, d.type, d.url]),
      [['prometheus', 'prometheus', 'http://prometheus:9090']],
    );
  });

  it('pins every image of the monitoring services', () => {
    for (const name of ['prometheus', 'grafana', 'jaeger']) {
      assert.match(compose.services[name]?.image ?? '', /:v?\d+\.\d+\.\d+$/, name);
    }
  });
});
