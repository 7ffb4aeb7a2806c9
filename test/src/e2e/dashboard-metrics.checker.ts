import { parseExposition } from '@lead-router/observability';
import { parser } from '@prometheus-io/lezer-promql';
import { parse as parseYaml } from 'yaml';

/**
 * Checks the PromQL of a Grafana dashboard and of Prometheus rule files against the metrics the
 * services really export: every metric a selector names must be a series name of some service's
 * `/metrics` exposition (histograms' `_bucket`/`_sum`/`_count` and counters' `_total` exactly as
 * scraped), and every label a matcher, a grouping (`by`, `without`, `on`, `ignoring`,
 * `group_left`, `group_right`), a label function, a legend or an alert template names must be one
 * that metric's series carry or that Prometheus adds at scrape time.
 */

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

/** One series name of the exposition and what was seen of it. */
export interface ExportedMetric {
  name: string;
  /** The family's `# TYPE`, if it had one. */
  type: string | undefined;
  /** Every label name seen on its series (scrape-time labels not included). */
  labels: Set<string>;
  /** The services whose exposition has it. */
  services: Set<string>;
  /** Series seen; 0 when a service only declared the family (`# TYPE`) with no sample yet. */
  series: number;
}

export interface Catalogue {
  metrics: Map<string, ExportedMetric>;
  /** Labels Prometheus adds to every scraped series: job, instance and the scrape configs' own. */
  scrapeLabels: Set<string>;
}

export function emptyCatalogue(scrapeLabels: Iterable<string> = ['job', 'instance']): Catalogue {
  return { metrics: new Map(), scrapeLabels: new Set(scrapeLabels) };
}

// ---------------------------------------------------------------------------------------------
// The Prometheus text exposition (what prom-client writes)
// ---------------------------------------------------------------------------------------------

/** The series names a family of this type exposes. */
function seriesNamesOf(family: string, type: string): string[] {
  if (type === 'histogram') return [`${family}_bucket`, `${family}_sum`, `${family}_count`];
  if (type === 'summary') return [family, `${family}_sum`, `${family}_count`];
  return [family];
}

/** Adds one service's scraped exposition to the catalogue. */
export function addExposition(catalogue: Catalogue, service: string, text: string): void {
  const { types, samples } = parseExposition(text);
  const entry = (name: string, type: string | undefined): ExportedMetric => {
    let m = catalogue.metrics.get(name);
    if (!m) {
      m = { name, type, labels: new Set(), services: new Set(), series: 0 };
      catalogue.metrics.set(name, m);
    }
    m.services.add(service);
    return m;
  };
  for (const [family, type] of types) {
    for (const name of seriesNamesOf(family, type)) entry(name, type);
  }
  for (const sample of samples) {
    const m = entry(sample.name, catalogue.metrics.get(sample.name)?.type);
    m.series++;
    for (const label of Object.keys(sample.labels)) m.labels.add(label);
  }
}

/**
 * Series Prometheus writes itself for every target (`up`, `scrape_*`) and for its alerting rules
 * (`ALERTS`, `ALERTS_FOR_STATE`), with the labels they carry.
 */
export function addPrometheusSeries(catalogue: Catalogue, alertLabels: Iterable<string>): void {
  const add = (name: string, labels: Iterable<string>) =>
    catalogue.metrics.set(name, {
      name,
      type: 'gauge',
      labels: new Set(labels),
      services: new Set(['prometheus']),
      series: 1,
    });
  for (const name of [
    'up',
    'scrape_duration_seconds',
    'scrape_samples_scraped',
    'scrape_samples_post_metric_relabeling',
    'scrape_series_added',
  ]) {
    add(name, []);
  }
  add('ALERTS', ['alertname', 'alertstate', ...alertLabels]);
  add('ALERTS_FOR_STATE', ['alertname', ...alertLabels]);
}

/**
 * The labels a Prometheus configuration adds at scrape time: job and instance, every static
 * config's `labels` and every relabelling's `target_label` (the `__`-prefixed ones are dropped).
 */
export function scrapeLabelsOf(prometheusYaml: string | undefined): Set<string> {
  const labels = new Set(['job', 'instance']);
  if (prometheusYaml === undefined) return labels;
  const config = (parseYaml(prometheusYaml) ?? {}) as {
    scrape_configs?: {
      static_configs?: { labels?: Record<string, string> }[];
      relabel_configs?: { target_label?: string }[];
    }[];
  };
  for (const scrape of config.scrape_configs ?? []) {
    for (const s of scrape.static_configs ?? []) {
      for (const label of Object.keys(s.labels ?? {})) labels.add(label);
    }
    for (const r of scrape.relabel_configs ?? []) {
      if (r.target_label && !r.target_label.startsWith('__')) labels.add(r.target_label);
    }
  }
  return labels;
}

/** The rule files a Prometheus configuration names (`rule_files`), as written. */
export function ruleFilesOf(prometheusYaml: string): string[] {
  const config = (parseYaml(prometheusYaml) ?? {}) as { rule_files?: string[] };
  return config.rule_files ?? [];
}

// ---------------------------------------------------------------------------------------------
// PromQL
// ---------------------------------------------------------------------------------------------

/** The labels an expression's series may carry; `unknown` when a metric had no series to tell. */
interface LabelSet {
  names: Set<string>;
  /** The metrics whose series they come from, for messages. */
  metrics: string[];
  /** Some metric was declared but no series of it was seen, so its labels are not known. */
  unknown: string[];
}

const noLabels = (): LabelSet => ({ names: new Set(), metrics: [], unknown: [] });

function union(...sets: LabelSet[]): LabelSet {
  return {
    names: new Set(sets.flatMap((s) => [...s.names])),
    metrics: [...new Set(sets.flatMap((s) => s.metrics))],
    unknown: [...new Set(sets.flatMap((s) => s.unknown))],
  };
}

/** A PromQL string literal's value. */
function unquote(literal: string): string {
  if (literal.startsWith('`')) return literal.slice(1, -1);
  const body = literal.slice(1, -1);
  return body.replace(/\\(.)/g, (_, c: string) =>
    c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : c,
  );
}

class ExprChecker {
  constructor(
    private readonly catalogue: Catalogue,
    private readonly origin: string,
    private readonly expr: string,
    private readonly findings: string[],
  ) {}

  private text(node: SyntaxNode): string {
    return this.expr.slice(node.from, node.to);
  }

  private report(message: string): void {
    const line = `${this.origin} ${message}`;
    if (!this.findings.includes(line)) this.findings.push(line);
  }

  /** Labels every metric of the catalogue has, for a selector without a metric name. */
  private anyMetricHas(label: string): boolean {
    if (this.catalogue.scrapeLabels.has(label)) return true;
    for (const m of this.catalogue.metrics.values()) if (m.labels.has(label)) return true;
    return false;
  }

  private describe(metric: ExportedMetric): string {
    const has = [...metric.labels, ...this.catalogue.scrapeLabels].sort();
    return `${metric.name} has: ${has.join(', ')}`;
  }

  private suggestions(name: string): string {
    const candidates = [
      `${name}_total`,
      name.replace(/_total$/, ''),
      `${name}_bucket`,
      `${name}_count`,
      `${name}_sum`,
      name.replace(/_(bucket|sum|count)$/, ''),
    ].filter((c) => c !== name && (this.catalogue.metrics.get(c)?.services.size ?? 0) > 0);
    return candidates.length > 0 ? ` (exported: ${[...new Set(candidates)].join(', ')})` : '';
  }

  /** The labels a metric's series carry, checking the metric exists. */
  private metric(name: string): LabelSet {
    const m = this.catalogue.metrics.get(name);
    if (!m) {
      this.report(`names metric ${name} that no service exports${this.suggestions(name)}`);
      return { names: new Set(), metrics: [name], unknown: [name] };
    }
    if (m.series === 0) {
      return {
        names: new Set(this.catalogue.scrapeLabels),
        metrics: [name],
        unknown: [name],
      };
    }
    return {
      names: new Set([...m.labels, ...this.catalogue.scrapeLabels]),
      metrics: [name],
      unknown: [],
    };
  }

  /** Checks that `label` is one the series of `set` carry; `how` says where the label is used. */
  requireLabel(label: string, set: LabelSet, how: string): void {
    if (label === '__name__' || set.names.has(label)) return;
    if (set.metrics.length === 0) {
      if (!this.anyMetricHas(label)) {
        this.report(`${how} label ${label} that no exported metric has`);
      }
      return;
    }
    const known = set.metrics.filter((n) => !set.unknown.includes(n));
    const unseen = set.unknown.filter((n) => this.catalogue.metrics.has(n));
    if (unseen.length > 0 && known.length === 0) {
      this.report(
        `${how} label ${label} of ${unseen.join(', ')}, but no series of ${unseen.length > 1 ? 'them' : 'it'} was exported during the run (declared by ${[...new Set(unseen.flatMap((n) => [...this.catalogue.metrics.get(n)!.services]))].join(', ')} with no sample), so the label cannot be confirmed`,
      );
      return;
    }
    if (set.unknown.length > 0 && unseen.length === 0 && known.length === 0) return; // unknown metric, reported already
    if (set.metrics.length === 1) {
      const m = this.catalogue.metrics.get(set.metrics[0]!)!;
      this.report(`${how} label ${label} that ${m.name} does not have (${this.describe(m)})`);
    } else {
      this.report(
        `${how} label ${label} that none of ${set.metrics.join(', ')} has (they have: ${[...set.names].sort().join(', ')})`,
      );
    }
  }

  check(): LabelSet {
    const tree = parser.parse(this.expr);
    let error: number | undefined;
    tree.iterate({
      enter: (n) => {
        if (n.type.isError && error === undefined) error = n.from;
      },
    });
    if (error !== undefined) {
      this.report(`has an expression that does not parse (at ${error}): ${this.expr}`);
      return noLabels();
    }
    const top = tree.topNode.firstChild;
    return top ? this.labelsOf(top) : noLabels();
  }

  private children(node: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
    return out;
  }

  private labelNames(grouping: SyntaxNode | null): string[] {
    if (!grouping) return [];
    return this.children(grouping)
      .filter((c) => c.name === 'LabelName' || c.name === 'QuotedLabelName')
      .map((c) => (c.name === 'LabelName' ? this.text(c) : unquote(this.text(c))));
  }

  private isExpr(node: SyntaxNode): boolean {
    return [
      'AggregateExpr',
      'BinaryExpr',
      'FunctionCall',
      'MatrixSelector',
      'NumberDurationLiteral',
      'OffsetExpr',
      'ParenExpr',
      'StringLiteral',
      'SubqueryExpr',
      'UnaryExpr',
      'VectorSelector',
      'StepInvariantExpr',
    ].includes(node.name);
  }

  private labelsOf(node: SyntaxNode): LabelSet {
    switch (node.name) {
      case 'VectorSelector':
        return this.selector(node);
      case 'MatrixSelector':
      case 'SubqueryExpr':
      case 'OffsetExpr':
      case 'ParenExpr':
      case 'UnaryExpr':
      case 'StepInvariantExpr': {
        const inner = this.children(node).find((c) => this.isExpr(c));
        return inner ? this.labelsOf(inner) : noLabels();
      }
      case 'AggregateExpr':
        return this.aggregate(node);
      case 'BinaryExpr':
        return this.binary(node);
      case 'FunctionCall':
        return this.call(node);
      default:
        return noLabels();
    }
  }

  private selector(node: SyntaxNode): LabelSet {
    const identifier = node.getChild('Identifier');
    const matchers: { label: string; value: string }[] = [];
    let name = identifier ? this.text(identifier) : undefined;
    const list = node.getChild('LabelMatchers');
    for (const m of list ? this.children(list) : []) {
      if (m.name === 'QuotedLabelName') {
        // {"metric.name", …}: a quoted metric name
        name = unquote(this.text(m));
        continue;
      }
      const labelNode = m.getChild('LabelName') ?? m.getChild('QuotedLabelName');
      if (!labelNode) continue;
      const label =
        labelNode.name === 'LabelName' ? this.text(labelNode) : unquote(this.text(labelNode));
      const valueNode = this.children(m).find((c) => c.name === 'StringLiteral');
      const value = valueNode ? unquote(this.text(valueNode)) : '';
      if (label === '__name__' && m.getChild('MatchOp')?.getChild('EqlSingle')) name = value;
      else matchers.push({ label, value });
    }
    if (name === undefined) {
      for (const { label } of matchers) {
        if (label !== '__name__' && !this.anyMetricHas(label)) {
          this.report(`selects by label ${label} that no exported metric has`);
        }
      }
      const all = [...this.catalogue.metrics.values()];
      return {
        names: new Set([...all.flatMap((m) => [...m.labels]), ...this.catalogue.scrapeLabels]),
        metrics: [],
        unknown: [],
      };
    }
    const set = this.metric(name);
    for (const { label } of matchers) this.requireLabel(label, set, 'uses');
    return set;
  }

  private aggregate(node: SyntaxNode): LabelSet {
    const op = this.text(node.getChild('AggregateOp')!);
    const modifier = node.getChild('AggregateModifier');
    const body = node.getChild('FunctionCallBody');
    const args = body ? this.children(body).filter((c) => this.isExpr(c)) : [];
    const argSets = args.map((a) => this.labelsOf(a));
    const input = argSets.length > 0 ? argSets[argSets.length - 1]! : noLabels();
    const grouping = this.labelNames(modifier?.getChild('GroupingLabels') ?? null);
    const without = !!modifier?.getChild('Without');
    for (const label of grouping) {
      this.requireLabel(label, input, without ? `aggregates without` : `groups by`);
    }
    let out: LabelSet;
    if (['topk', 'bottomk', 'limitk', 'limit_ratio'].includes(op)) out = input;
    else if (without) {
      out = { ...input, names: new Set([...input.names].filter((l) => !grouping.includes(l))) };
    } else out = { ...input, names: new Set(grouping) };
    if (op === 'count_values' && args[0]?.name === 'StringLiteral') {
      out = { ...out, names: new Set([...out.names, unquote(this.text(args[0]))]) };
    }
    return out;
  }

  private binary(node: SyntaxNode): LabelSet {
    const sides = this.children(node).filter((c) => this.isExpr(c));
    const [left, right] = sides.map((s) => this.labelsOf(s));
    const both = union(left ?? noLabels(), right ?? noLabels());
    const clause = node.getChild('MatchingModifierClause');
    if (clause) {
      const groups = clause.getChildren('GroupingLabels');
      const matching = this.labelNames(groups[0] ?? null);
      const how = clause.getChild('On') ? 'matches on' : 'ignores';
      for (const label of matching) this.requireLabel(label, both, how);
      // group_left(x) copies x from the right side ("one"), group_right(x) from the left.
      const copied = this.labelNames(groups[1] ?? null);
      const one = clause.getChild('GroupLeft') ? right : left;
      for (const label of copied) {
        this.requireLabel(
          label,
          one ?? noLabels(),
          clause.getChild('GroupLeft') ? 'copies (group_left)' : 'copies (group_right)',
        );
      }
    }
    return both;
  }

  private call(node: SyntaxNode): LabelSet {
    const fn = this.text(node.getChild('FunctionIdentifier')!);
    const body = node.getChild('FunctionCallBody');
    const args = body ? this.children(body).filter((c) => this.isExpr(c)) : [];
    const sets = args.map((a) => (a.name === 'StringLiteral' ? noLabels() : this.labelsOf(a)));
    const strings = args.map((a) => (a.name === 'StringLiteral' ? unquote(this.text(a)) : ''));
    const input = union(...sets);
    switch (fn) {
      case 'label_replace': {
        // label_replace(v, dst, replacement, src, regex)
        if (strings[3]) this.requireLabel(strings[3], sets[0] ?? noLabels(), 'replaces from');
        return { ...input, names: new Set([...input.names, strings[1] ?? '']) };
      }
      case 'label_join': {
        // label_join(v, dst, separator, src…)
        for (const src of strings.slice(3)) {
          if (src) this.requireLabel(src, sets[0] ?? noLabels(), 'joins');
        }
        return { ...input, names: new Set([...input.names, strings[1] ?? '']) };
      }
      case 'sort_by_label':
      case 'sort_by_label_desc':
        for (const label of strings.slice(1)) {
          if (label) this.requireLabel(label, sets[0] ?? noLabels(), 'sorts by');
        }
        return input;
      case 'histogram_quantile':
      case 'histogram_fraction':
        return { ...input, names: new Set([...input.names].filter((l) => l !== 'le')) };
      case 'vector':
      case 'time':
      case 'scalar':
      case 'pi':
        return noLabels();
      default:
        return input;
    }
  }
}

/** Checks one PromQL expression; answers the labels of its result. */
export function checkExpr(
  catalogue: Catalogue,
  origin: string,
  expr: string,
  findings: string[],
): { names: Set<string>; metrics: string[]; unknown: string[] } {
  return new ExprChecker(catalogue, origin, expr, findings).check();
}

// ---------------------------------------------------------------------------------------------
// Grafana dashboards
// ---------------------------------------------------------------------------------------------

interface GrafanaTarget {
  expr?: string;
  legendFormat?: string;
  refId?: string;
  datasource?: { type?: string; uid?: string } | string | null;
}

interface GrafanaPanel {
  title?: string;
  type?: string;
  targets?: GrafanaTarget[];
  panels?: GrafanaPanel[];
}

interface GrafanaVariable {
  name: string;
  type: string;
  query?: string | { query?: string };
  current?: { value?: string | string[]; text?: string | string[] };
  options?: { value?: string }[];
}

export interface GrafanaDashboard {
  title?: string;
  panels?: GrafanaPanel[];
  templating?: { list?: GrafanaVariable[] };
  annotations?: { list?: { name?: string; expr?: string }[] };
}

/** Every panel, those of rows (collapsed rows keep theirs under `panels`) included. */
export function allPanels(dashboard: GrafanaDashboard): GrafanaPanel[] {
  const out: GrafanaPanel[] = [];
  const walk = (panels: GrafanaPanel[] | undefined) => {
    for (const p of panels ?? []) {
      out.push(p);
      walk(p.panels);
    }
  };
  walk(dashboard.panels);
  return out;
}

const BUILTIN_DURATIONS: Record<string, string> = {
  __rate_interval: '5m',
  __interval: '1m',
  __range: '1h',
  __auto: '1m',
  __interval_ms: '60000',
  __range_ms: '3600000',
  __range_s: '3600',
};

/**
 * A dashboard expression as Prometheus receives it: Grafana's built-in intervals given a value,
 * and every other variable (`$source`, `${source:regex}`, `[[source]]`) inside a string literal
 * given a placeholder value (it stands for label values, never for a label). A variable outside a
 * string takes the dashboard's current value; one without a value is reported.
 */
export function interpolate(
  expr: string,
  variables: readonly GrafanaVariable[],
  origin: string,
  findings: string[],
): string {
  const pattern = /\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)/g;
  let out = '';
  let last = 0;
  let quote: string | null = null;
  let scanned = 0;
  const inString = (upTo: number) => {
    for (; scanned < upTo; scanned++) {
      const c = expr[scanned];
      if (quote) {
        if (c === '\\' && quote !== '`') scanned++;
        else if (c === quote) quote = null;
      } else if (c === '"' || c === "'" || c === '`') quote = c;
    }
    return quote !== null;
  };
  for (const m of expr.matchAll(pattern)) {
    const name = (m[1] ?? m[2] ?? m[3])!;
    const at = m.index;
    // $1 is a regex group of label_replace's replacement, not a variable.
    if (/^\d+$/.test(name)) continue;
    let value: string;
    if (name in BUILTIN_DURATIONS) value = BUILTIN_DURATIONS[name]!;
    else if (!name.startsWith('__') && !variables.some((v) => v.name === name)) {
      // Grafana leaves an unknown variable as it is: the query matches nothing.
      findings.push(`${origin} uses variable $${name} that the dashboard does not define`);
      value = inString(at) ? 'x' : '1';
    } else if (inString(at)) value = 'x';
    else {
      const v = variables.find((x) => x.name === name);
      const current = v?.current?.value ?? v?.options?.[0]?.value;
      const first = Array.isArray(current) ? current[0] : current;
      if (first === undefined || first === '' || first.startsWith('$')) {
        findings.push(
          `${origin} uses variable $${name} outside a label value, with no value to check`,
        );
        value = '1';
      } else value = first;
    }
    out += expr.slice(last, at) + value;
    last = at + m[0].length;
    inString(last);
  }
  return out + expr.slice(last);
}

/** `{{label}}` of a legend or `{{ $labels.label }}` / `{{ .Labels.label }}` of an alert's text. */
function templateLabels(text: string, legend: boolean): string[] {
  const pattern = legend
    ? /\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g
    : /\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)|\.Labels\.([a-zA-Z_][a-zA-Z0-9_]*)/g;
  return [...text.matchAll(pattern)].map((m) => (m[1] ?? m[2])!);
}

/**
 * A label a legend or an alert's text shows must be on the expression's result: one its metrics
 * carry and its aggregations keep.
 */
function resultLabel(
  checker: ExprChecker,
  result: LabelSet,
  label: string,
  origin: string,
  how: string,
  findings: string[],
): void {
  if (result.names.has(label)) return;
  if (result.unknown.length > 0) {
    checker.requireLabel(label, result, how);
    return;
  }
  const line = `${origin} ${how} label ${label} that its expression's result does not carry (it carries: ${[...result.names].sort().join(', ') || 'no label'})`;
  if (!findings.includes(line)) findings.push(line);
}

/** Checks every query of a dashboard: panels' targets, legends, variables and annotations. */
export function checkDashboard(
  catalogue: Catalogue,
  dashboard: GrafanaDashboard,
  file = 'dashboard',
): string[] {
  const findings: string[] = [];
  const variables = dashboard.templating?.list ?? [];
  for (const panel of allPanels(dashboard)) {
    for (const target of panel.targets ?? []) {
      if (typeof target.expr !== 'string' || target.expr.trim() === '') continue;
      const origin = `panel '${panel.title ?? '(untitled)'}'`;
      const expr = interpolate(target.expr, variables, origin, findings);
      const result = new ExprChecker(catalogue, origin, expr, findings);
      const labels = result.check();
      for (const label of templateLabels(target.legendFormat ?? '', true)) {
        if (label !== '__name__')
          resultLabel(result, labels, label, origin, 'shows in its legend', findings);
      }
    }
  }
  for (const v of variables) {
    if (v.type !== 'query') continue;
    const query = typeof v.query === 'string' ? v.query : v.query?.query;
    if (!query) continue;
    checkVariableQuery(catalogue, `variable '$${v.name}'`, query, variables, findings);
  }
  for (const a of dashboard.annotations?.list ?? []) {
    if (typeof a.expr === 'string' && a.expr.trim() !== '') {
      const origin = `annotation '${a.name ?? '(unnamed)'}'`;
      checkExpr(catalogue, origin, interpolate(a.expr, variables, origin, findings), findings);
    }
  }
  return findings.map((f) => `${file}: ${f}`);
}

function checkVariableQuery(
  catalogue: Catalogue,
  origin: string,
  query: string,
  variables: readonly GrafanaVariable[],
  findings: string[],
): void {
  const q = interpolate(query.trim(), variables, origin, findings);
  const labelValues = /^label_values\(\s*(?:(.*),\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$/s.exec(q);
  if (labelValues) {
    const [, selector, label] = labelValues;
    const checker = new ExprChecker(catalogue, origin, selector ?? '', findings);
    const set = selector ? checker.check() : noLabels();
    checker.requireLabel(label!, set, 'lists values of');
    return;
  }
  const queryResult = /^query_result\((.*)\)$/s.exec(q);
  if (queryResult) {
    checkExpr(catalogue, origin, queryResult[1]!, findings);
    return;
  }
  const metrics = /^metrics\((.*)\)$/s.exec(q);
  if (metrics) {
    const re = new RegExp(metrics[1]!.trim());
    if (![...catalogue.metrics.keys()].some((n) => re.test(n))) {
      findings.push(`${origin} lists metrics matching ${metrics[1]} and no exported metric does`);
    }
    return;
  }
  if (/^label_names\(/.test(q)) return;
  checkExpr(catalogue, origin, q, findings);
}

// ---------------------------------------------------------------------------------------------
// Prometheus rule files
// ---------------------------------------------------------------------------------------------

interface Rule {
  alert?: string;
  record?: string;
  expr?: string | number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleFile {
  groups?: { name?: string; rules?: Rule[] }[];
}

export function parseRuleFile(yamlText: string): RuleFile {
  return (parseYaml(yamlText) ?? {}) as RuleFile;
}

/** The labels alerting rules add to ALERTS: every rule's own `labels`. */
export function alertRuleLabels(files: readonly RuleFile[]): string[] {
  return files.flatMap((f) =>
    (f.groups ?? []).flatMap((g) =>
      (g.rules ?? []).filter((r) => r.alert).flatMap((r) => Object.keys(r.labels ?? {})),
    ),
  );
}

/**
 * Checks every rule of the files: each expression, and each label an alert's labels and
 * annotations show (`{{ $labels.x }}`). A recording rule's series becomes a metric the rules
 * after it (and the dashboard) may name, with the labels of its expression and its own.
 */
export function checkRules(
  catalogue: Catalogue,
  files: readonly RuleFile[],
  file = 'rules',
): string[] {
  const findings: string[] = [];
  for (const f of files) {
    for (const group of f.groups ?? []) {
      for (const rule of group.rules ?? []) {
        const name = rule.alert ?? rule.record ?? '(unnamed)';
        const origin = rule.alert ? `alert ${name}` : `recording rule ${name}`;
        if (rule.expr === undefined || String(rule.expr).trim() === '') {
          findings.push(`${origin} has no expr`);
          continue;
        }
        const checker = new ExprChecker(catalogue, origin, String(rule.expr), findings);
        const labels = checker.check();
        if (rule.alert) {
          const texts = [
            ...Object.values(rule.labels ?? {}),
            ...Object.values(rule.annotations ?? {}),
          ];
          for (const label of texts.flatMap((t) => templateLabels(String(t), false))) {
            resultLabel(checker, labels, label, origin, 'shows', findings);
          }
        }
        if (rule.record) {
          catalogue.metrics.set(rule.record, {
            name: rule.record,
            type: 'recording rule',
            labels: new Set([...labels.names, ...Object.keys(rule.labels ?? {})]),
            services: new Set([`recording rule of ${file}`]),
            // A rule over a metric no series of which was seen: its labels are not known either.
            series: labels.unknown.length === 0 ? 1 : 0,
          });
        }
      }
    }
  }
  return findings.map((f) => `${file}: ${f}`);
}
