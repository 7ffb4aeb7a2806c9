#!/usr/bin/env node
// Renders a Grafana dashboard JSON as a static HTML page of SVG charts, each panel's queries
// evaluated by a Prometheus over its HTTP API (query_range): what tools/dashboard-render/
// screenshot.sh turns into docs/dashboard.png with headless Chromium. It is not Grafana: it lays
// out the panels by their gridPos, draws each target's series (legendFormat, unit, min/max of the
// panel's field config) as lines, a stat panel as its last value, and a row as a header.
//
//   node tools/dashboard-render/render.mjs html --dashboard deploy/grafana/dashboards/lead-router.json \
//     --prometheus http://127.0.0.1:29630 --minutes 10 --out /tmp/dashboard.html
//   node tools/dashboard-render/render.mjs prometheus-config --from deploy/prometheus/prometheus.yml \
//     --targets ingest=localhost:29610,normalizer=localhost:29612 --rules-dir deploy/prometheus --interval 5s
/* global fetch */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { URLSearchParams } from 'node:url';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';

/**
 * The compose Prometheus configuration with every job's targets replaced by this machine's
 * addresses (its scrape configs, job names and rule files otherwise as they are).
 */
function prometheusConfig(args) {
  const { values } = parseArgs({
    args,
    options: {
      from: { type: 'string' },
      targets: { type: 'string' },
      'rules-dir': { type: 'string' },
      'no-rules': { type: 'boolean', default: false },
      interval: { type: 'string' },
    },
  });
  const config = parse(readFileSync(values.from, 'utf8'));
  const targets = Object.fromEntries(values.targets.split(',').map((t) => t.split('=')));
  config.scrape_configs = (config.scrape_configs ?? [])
    .filter((s) => targets[s.job_name])
    .map((s) => {
      const copy = { ...s };
      if (values.interval) {
        delete copy.scrape_interval;
        delete copy.scrape_timeout;
      }
      for (const key of Object.keys(copy)) if (key.endsWith('_sd_configs')) delete copy[key];
      const labels = (s.static_configs ?? []).flatMap((c) => (c.labels ? [c.labels] : []))[0];
      copy.static_configs = [{ targets: [targets[s.job_name]], ...(labels ? { labels } : {}) }];
      return copy;
    });
  // The rule files the configuration names, read from this directory (compose mounts it).
  if (values['no-rules']) delete config.rule_files;
  else if (values['rules-dir']) {
    config.rule_files = (config.rule_files ?? []).map((f) =>
      resolve(values['rules-dir'], basename(f)),
    );
  }
  if (values.interval) {
    config.global = {
      ...config.global,
      scrape_interval: values.interval,
      scrape_timeout: values.interval,
      evaluation_interval: values.interval,
    };
  }
  process.stdout.write(stringify(config));
}

async function html(args) {
  const { values } = parseArgs({
    args,
    options: {
      dashboard: { type: 'string' },
      prometheus: { type: 'string' },
      minutes: { type: 'string', default: '10' },
      // The window's end (ISO 8601 or Unix seconds; default now), to draw a stored run again.
      end: { type: 'string' },
      width: { type: 'string', default: '1600' },
      out: { type: 'string' },
      note: { type: 'string', default: '' },
    },
  });
  const dashboard = JSON.parse(readFileSync(values.dashboard, 'utf8'));
  const end = Math.floor(
    values.end === undefined
      ? Date.now() / 1000
      : /^\d+$/.test(values.end)
        ? Number(values.end)
        : Date.parse(values.end) / 1000,
  );
  const start = end - Number(values.minutes) * 60;
  const step = Math.max(5, Math.round((end - start) / 240));
  const width = Number(values.width);
  const col = (width - 16) / 24;
  const unitH = 30;
  const variables = dashboard.templating?.list ?? [];

  const panels = [];
  const walk = (list) => {
    for (const p of list ?? []) {
      panels.push(p);
      if (p.type === 'row' && p.collapsed) walk(p.panels);
    }
  };
  walk(dashboard.panels);

  const blocks = [];
  let empty = 0;
  for (const panel of panels) {
    const g = panel.gridPos ?? { x: 0, y: 0, w: 12, h: 8 };
    const box = {
      left: g.x * col,
      top: g.y * unitH,
      width: g.w * col - 8,
      height: g.h * unitH - 8,
    };
    if (panel.type === 'row') {
      blocks.push(
        `<div class="row" style="left:${box.left}px;top:${box.top}px;width:${width - 24}px">${esc(panel.title ?? '')}</div>`,
      );
      continue;
    }
    const series = [];
    for (const target of panel.targets ?? []) {
      if (!target.expr || target.hide) continue;
      const expr = interpolate(target.expr, variables, step);
      const result = await queryRange(values.prometheus, expr, start, end, step);
      for (const s of result) {
        series.push({
          name: legend(target.legendFormat, s.metric, expr),
          points: s.values
            .map(([t, v]) => [Number(t), Number(v)])
            .filter(([, v]) => Number.isFinite(v)),
        });
      }
    }
    const withData = series.filter((s) => s.points.length > 0);
    if (withData.length === 0) empty++;
    const unit = panel.fieldConfig?.defaults?.unit ?? 'short';
    const body =
      panel.type === 'stat' || panel.type === 'gauge'
        ? stat(withData, unit, box)
        : chart(withData, unit, box, start, end, panel.fieldConfig?.defaults ?? {});
    blocks.push(
      `<div class="panel" style="left:${box.left}px;top:${box.top}px;width:${box.width}px;height:${box.height}px">` +
        `<div class="title">${esc(panel.title ?? '')}</div>${body}</div>`,
    );
  }
  const bottom = Math.max(
    ...panels.map((p) => ((p.gridPos?.y ?? 0) + (p.gridPos?.h ?? 8)) * unitH),
  );
  const when = `${new Date(start * 1000).toISOString().slice(11, 16)}–${new Date(end * 1000).toISOString().slice(11, 16)} UTC`;
  const page = `<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0;background:#111217;color:#ccccdc;font:13px 'DejaVu Sans',Arial,sans-serif}
header{padding:10px 12px;font-size:18px;color:#fff;display:flex;justify-content:space-between;align-items:baseline}
header small{font-size:12px;color:#8e8e9e}
main{position:relative;margin:0 8px;height:${bottom}px}
.panel{position:absolute;background:#181b1f;border:1px solid #2c3235;border-radius:3px;overflow:hidden}
.title{font-weight:600;color:#d8d9da;padding:6px 8px 2px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.row{position:absolute;height:22px;font-size:15px;font-weight:600;color:#fff;border-bottom:1px solid #2c3235;padding-top:4px}
.legend{position:absolute;left:8px;right:8px;bottom:4px;font-size:11px;line-height:14px;max-height:44px;overflow:hidden}
.legend span{display:inline-block;margin-right:12px;white-space:nowrap}
.legend i{display:inline-block;width:12px;height:3px;margin-right:4px;vertical-align:middle}
.nodata{position:absolute;top:45%;width:100%;text-align:center;color:#8e8e9e}
.stat{position:absolute;top:38%;width:100%;text-align:center;font-size:44px;font-weight:600;color:#73bf69}
footer{padding:8px 12px 12px;color:#8e8e9e;font-size:12px}
svg text{fill:#8e8e9e;font-size:10px}
</style></head><body>
<header><span>${esc(dashboard.title ?? 'dashboard')}</span><small>${esc(when)} · last ${values.minutes} min · step ${step}s</small></header>
<main>${blocks.join('\n')}</main>
<footer>Rendered by tools/dashboard-render/render.mjs (not Grafana) from ${esc(values.dashboard)}, every query evaluated by a local Prometheus scraping the services of a local run. ${esc(values.note)}</footer>
</body></html>`;
  writeFileSync(values.out, page);
  process.stdout.write(
    `${values.out}: ${panels.filter((p) => p.type !== 'row').length} panels, ${empty} without data\n`,
  );
}

const COLORS = [
  '#73bf69',
  '#f2cc0c',
  '#8ab8ff',
  '#ff780a',
  '#f2495c',
  '#5794f2',
  '#b877d9',
  '#705da0',
  '#37872d',
  '#fade2a',
  '#ca95e5',
  '#6ed0e0',
];

function esc(s) {
  return String(s).replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c],
  );
}

/** Grafana's variables: built-in intervals, and every other one at its "All" value. */
function interpolate(expr, variables, step) {
  const builtins = {
    __rate_interval: `${Math.max(60, 4 * step)}s`,
    __interval: `${step}s`,
    __range: '1h',
    __interval_ms: String(step * 1000),
  };
  return expr.replace(/\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)\]\]|\$(\w+)/g, (m, a, b, c) => {
    const name = a ?? b ?? c;
    if (name in builtins) return builtins[name];
    const v = variables.find((x) => x.name === name);
    if (!v) return m;
    const current = Array.isArray(v.current?.value) ? v.current.value[0] : v.current?.value;
    if (current === undefined || current === '$__all') return v.allValue ?? '.*';
    return current;
  });
}

async function queryRange(base, expr, start, end, step) {
  const url = `${base}/api/v1/query_range?${new URLSearchParams({ query: expr, start, end, step })}`;
  const res = await fetch(url);
  const body = await res.json();
  if (body.status !== 'success') {
    process.stderr.write(`query failed (${body.error ?? res.status}): ${expr}\n`);
    return [];
  }
  return body.data.result;
}

function legend(format, metric, expr) {
  if (format && format !== '__auto') {
    return format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, l) => metric[l] ?? '');
  }
  const labels = Object.entries(metric).filter(([k]) => k !== '__name__');
  return labels.length > 0 ? `{${labels.map(([k, v]) => `${k}="${v}"`).join(', ')}}` : expr;
}

function format(v, unit) {
  const abs = Math.abs(v);
  const num = (x, d = 2) => {
    if (Math.abs(x) >= 1000) return `${(x / 1000).toFixed(1)}k`;
    return Number.isInteger(x) ? String(x) : x.toFixed(abs < 0.1 ? 3 : d);
  };
  switch (unit) {
    case 's':
      if (abs === 0) return '0 s';
      if (abs < 1) return `${(v * 1000).toFixed(abs < 0.01 ? 1 : 0)} ms`;
      if (abs < 120) return `${v.toFixed(1)} s`;
      return `${(v / 60).toFixed(1)} min`;
    case 'ms':
      return `${num(v)} ms`;
    case 'bytes':
    case 'decbytes': {
      const units = ['B', 'KiB', 'MiB', 'GiB'];
      let x = v;
      let i = 0;
      while (Math.abs(x) >= 1024 && i < units.length - 1) {
        x /= 1024;
        i++;
      }
      return `${x.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
    }
    case 'percentunit':
      return `${(v * 100).toFixed(1)}%`;
    case 'percent':
      return `${v.toFixed(1)}%`;
    case 'reqps':
      return `${num(v)} req/s`;
    case 'ops':
    case 'rps':
      return `${num(v)}/s`;
    default:
      return num(v);
  }
}

function stat(series, unit, box) {
  if (series.length === 0) return `<div class="nodata">No data</div>`;
  const last = series[0].points[series[0].points.length - 1][1];
  return (
    `<div class="stat" style="font-size:${Math.min(48, box.height / 4)}px">${esc(format(last, unit))}</div>` +
    `<div class="legend"><span>${esc(series[0].name)}</span></div>`
  );
}

function chart(series, unit, box, start, end, defaults) {
  if (series.length === 0) return `<div class="nodata">No data</div>`;
  const legendRows = Math.min(
    3,
    Math.ceil(series.length / Math.max(1, Math.floor(box.width / 190))),
  );
  const w = box.width - 2;
  const h = box.height - 26 - legendRows * 14 - 6;
  const left = 62;
  const right = 10;
  const top = 6;
  const bottom = 18;
  const all = series.flatMap((s) => s.points.map(([, v]) => v));
  let lo = Math.min(0, ...all);
  let hi = Math.max(...all);
  if (typeof defaults.min === 'number') lo = defaults.min;
  if (typeof defaults.max === 'number') hi = defaults.max;
  if (hi <= lo) hi = lo + 1;
  const x = (t) => left + ((t - start) / (end - start)) * (w - left - right);
  const y = (v) => top + (1 - (v - lo) / (hi - lo)) * (h - top - bottom);
  const parts = [];
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    parts.push(
      `<line x1="${left}" x2="${w - right}" y1="${y(v)}" y2="${y(v)}" stroke="#2c3235"/>` +
        `<text x="${left - 4}" y="${y(v) + 3}" text-anchor="end">${esc(format(v, unit))}</text>`,
    );
  }
  for (let i = 0; i <= 4; i++) {
    const t = start + ((end - start) * i) / 4;
    parts.push(
      `<text x="${x(t)}" y="${h - 4}" text-anchor="${i === 0 ? 'start' : i === 4 ? 'end' : 'middle'}">${new Date(t * 1000).toISOString().slice(11, 16)}</text>`,
    );
  }
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    // A gap longer than three steps breaks the line, as Grafana does for missing points.
    let d = '';
    let prev = null;
    for (const [t, v] of s.points) {
      d += `${prev === null || t - prev > 3 * ((end - start) / 240 + 5) ? 'M' : 'L'}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
      prev = t;
    }
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
    if (s.points.length === 1) {
      const [t, v] = s.points[0];
      parts.push(`<circle cx="${x(t)}" cy="${y(v)}" r="2" fill="${color}"/>`);
    }
  });
  const legendHtml = series
    .map(
      (s, i) =>
        `<span><i style="background:${COLORS[i % COLORS.length]}"></i>${esc(s.name)}</span>`,
    )
    .join('');
  return (
    `<svg width="${w}" height="${h}" style="position:absolute;top:24px;left:0">${parts.join('')}</svg>` +
    `<div class="legend">${legendHtml}</div>`
  );
}

// Last, so every constant above is initialised before a command runs.
const [command, ...rest] = process.argv.slice(2);

if (command === 'prometheus-config') prometheusConfig(rest);
else if (command === 'html') await html(rest);
else {
  process.stderr.write('usage: render.mjs html|prometheus-config [options]\n');
  process.exit(2);
}
