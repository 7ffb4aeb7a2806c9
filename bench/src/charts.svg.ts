/**
 * The pipeline bench's charts as plain SVG, so RESULTS.md can link them without a plotting
 * library: the latency curve against offered load, and each run's consumer lag over time.
 */

const COLORS = ['#2166ac', '#b2182b', '#1b7837', '#762a83', '#e08214'];
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const fmt = (v: number): string =>
  v >= 1000 ? `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)}k` : String(Math.round(v));

export interface CurvePoint {
  rate: number;
  /** one value per run of each percentile, ms (Infinity: some leads never arrived) */
  p50: number[];
  p99: number[];
  p999: number[];
}

/** The limits' lines, told apart by their dashes. */
const LIMIT_DASHES = ['2,2', '6,3', '10,3,2,3'];

/**
 * Speed-to-lead p50, p99 and p99.9 (median of the runs, whiskers from the lowest to the highest
 * run) against offered load, both axes logarithmic, with the target, a marked rate (half the
 * sustainable throughput) and the physical limits (the raw chains' p99) drawn in.
 */
export function latencyCurveSvg(
  points: readonly CurvePoint[],
  opts: {
    targetMs: number;
    markRate?: number;
    title: string;
    /**
     * physical limits at some of the rates (a raw chain's p99), each a grey line, dotted then
     * dashed, with its label
     */
    limits?: readonly { label: string; points: readonly { rate: number; p99: number }[] }[];
  },
): string {
  const W = 760;
  const H = 360;
  const pad = { left: 64, right: 124, top: 34, bottom: 46 };
  const plotW = W - pad.left - pad.right;
  const plotH = H - pad.top - pad.bottom;
  const limits = (opts.limits ?? [])
    .map((l) => ({ ...l, points: l.points.filter((pt) => Number.isFinite(pt.p99)) }))
    .filter((l) => l.points.length > 0);
  const finite = [
    ...points.flatMap((p) => [...p.p50, ...p.p99, ...p.p999]),
    ...limits.flatMap((l) => l.points.map((pt) => pt.p99)),
  ].filter(Number.isFinite);
  const rates = points.map((p) => p.rate);
  const xMin = Math.min(...rates, opts.markRate ?? Infinity) / 1.25;
  const xMax = Math.max(...rates, opts.markRate ?? 0) * 1.25;
  const yMin = Math.max(1, Math.min(...finite, opts.targetMs) / 1.5);
  const yMax = Math.max(...finite, opts.targetMs) * 1.5;
  const x = (v: number) => pad.left + (Math.log(v / xMin) / Math.log(xMax / xMin)) * plotW;
  const y = (v: number) =>
    pad.top + plotH - (Math.log(Math.min(v, yMax) / yMin) / Math.log(yMax / yMin)) * plotH;
  const median = (vs: number[]) => [...vs].sort((a, b) => a - b)[Math.floor((vs.length - 1) / 2)]!;
  const series = (['p50', 'p99', 'p999'] as const).map((key, i) => {
    const color = COLORS[i]!;
    const pts = points.filter((p) => p[key].length > 0);
    const path = pts
      .map(
        (p, j) => `${j === 0 ? 'M' : 'L'}${x(p.rate).toFixed(1)},${y(median(p[key])).toFixed(1)}`,
      )
      .join(' ');
    const whiskers = pts
      .map((p) => {
        const lo = Math.min(...p[key]);
        const hi = Math.max(...p[key]);
        const cx = x(p.rate).toFixed(1);
        const open = Number.isFinite(hi) ? '' : ' stroke-dasharray="3,2"';
        return (
          `<line x1="${cx}" x2="${cx}" y1="${y(lo).toFixed(1)}" y2="${y(hi).toFixed(1)}" stroke="${color}"${open}/>` +
          `<circle cx="${cx}" cy="${y(median(p[key])).toFixed(1)}" r="3" fill="${color}"/>`
        );
      })
      .join('');
    const label = key === 'p999' ? 'p99.9' : key;
    return `<path d="${path}" fill="none" stroke="${color}" stroke-width="1.5"/>${whiskers}<text x="${W - pad.right + 10}" y="${pad.top + 14 + i * 16}" font-size="12" fill="${color}">${label}</text>`;
  });
  const limitLines = limits
    .map(
      ({ label, points: pts }, i) =>
        `<path d="${pts
          .map((l, j) => `${j === 0 ? 'M' : 'L'}${x(l.rate).toFixed(1)},${y(l.p99).toFixed(1)}`)
          .join(
            ' ',
          )}" fill="none" stroke="#777" stroke-width="1.5" stroke-dasharray="${LIMIT_DASHES[i % LIMIT_DASHES.length]}"/>` +
        pts
          .map(
            (l) =>
              `<rect x="${(x(l.rate) - 3).toFixed(1)}" y="${(y(l.p99) - 3).toFixed(1)}" width="6" height="6" fill="#777"/>`,
          )
          .join('') +
        `<line x1="${W - pad.right + 10}" x2="${W - pad.right + 22}" y1="${pad.top + 10 + (series.length + i) * 16}" y2="${pad.top + 10 + (series.length + i) * 16}" stroke="#777" stroke-width="1.5" stroke-dasharray="${LIMIT_DASHES[i % LIMIT_DASHES.length]}"/>` +
        `<text x="${W - pad.right + 25}" y="${pad.top + 14 + (series.length + i) * 16}" font-size="12" fill="#777">${esc(label)}</text>`,
    )
    .join('');
  const yTicks: number[] = [];
  for (let v = 10 ** Math.floor(Math.log10(yMin)); v <= yMax; v *= 10)
    for (const m of [1, 2, 5]) if (v * m >= yMin && v * m <= yMax) yTicks.push(v * m);
  const grid = yTicks
    .map(
      (v) =>
        `<line x1="${pad.left}" x2="${pad.left + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/>` +
        `<text x="${pad.left - 6}" y="${(y(v) + 4).toFixed(1)}" font-size="11" text-anchor="end">${fmt(v)}</text>`,
    )
    .join('');
  // The marked rate is named by its marker, not on the axis, where it would sit on a round rate
  // beside it; any other rate too close to the one labelled before it keeps its point only.
  let lastLabelX = -Infinity;
  const xTicks = rates
    .filter((r) => r !== opts.markRate)
    .sort((a, b) => a - b)
    .map((r) => {
      const at = x(r);
      if (at - lastLabelX < 36) return '';
      lastLabelX = at;
      return `<text x="${at.toFixed(1)}" y="${pad.top + plotH + 16}" font-size="11" text-anchor="middle">${fmt(r)}</text>`;
    })
    .join('');
  const target = `<line x1="${pad.left}" x2="${pad.left + plotW}" y1="${y(opts.targetMs).toFixed(1)}" y2="${y(opts.targetMs).toFixed(1)}" stroke="#999" stroke-dasharray="6,3"/><text x="${pad.left + plotW + 4}" y="${(y(opts.targetMs) + 4).toFixed(1)}" font-size="11" fill="#666">${opts.targetMs} ms target</text>`;
  const mark =
    opts.markRate !== undefined && Number.isFinite(opts.markRate)
      ? `<line x1="${x(opts.markRate).toFixed(1)}" x2="${x(opts.markRate).toFixed(1)}" y1="${pad.top}" y2="${pad.top + plotH}" stroke="#e08214" stroke-dasharray="4,3"/><text x="${(x(opts.markRate) + 4).toFixed(1)}" y="${pad.top + 12}" font-size="11" fill="#e08214">half sustainable, ${fmt(opts.markRate)}/s</text>`
      : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${pad.left}" y="20" font-size="13">${esc(opts.title)}</text>
${grid}${target}${mark}
${series.join('\n')}
${limitLines}
<line x1="${pad.left}" y1="${pad.top + plotH}" x2="${pad.left + plotW}" y2="${pad.top + plotH}" stroke="#333"/>
<line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${pad.top + plotH}" stroke="#333"/>
${xTicks}
<text x="${pad.left + plotW / 2}" y="${H - 8}" font-size="11" text-anchor="middle">offered leads/s (log scale); whiskers: lowest to highest of the runs, dashed: some leads never arrived</text>
<text x="14" y="${pad.top + plotH / 2}" font-size="11" transform="rotate(-90 14 ${pad.top + plotH / 2})" text-anchor="middle">ms, sender's slot → receiver (log scale)</text>
</svg>
`;
}

export interface LagPanel {
  title: string;
  /** seconds since the run began, and each series' value then */
  samples: { t: number; values: Record<string, number> }[];
}

/**
 * Small multiples, one panel per run: each stage's consumer lag over time (its own y scale per
 * panel, the highest value written in its corner), three panels to a row.
 */
export function lagPanelsSvg(panels: readonly LagPanel[], series: readonly string[]): string {
  const cols = 3;
  const pw = 250;
  const ph = 130;
  const gap = { x: 16, y: 40 };
  const top = 40;
  const rows = Math.ceil(panels.length / cols);
  const W = cols * pw + (cols + 1) * gap.x;
  const H = top + rows * (ph + gap.y) + 10;
  const legend = series
    .map(
      (s, i) =>
        `<rect x="${gap.x + i * 130}" y="24" width="10" height="3" fill="${COLORS[i % COLORS.length]}"/><text x="${gap.x + i * 130 + 14}" y="30" font-size="11">${esc(s)}</text>`,
    )
    .join('');
  const body = panels
    .map((panel, n) => {
      const ox = gap.x + (n % cols) * (pw + gap.x);
      const oy = top + Math.floor(n / cols) * (ph + gap.y) + 16;
      const maxT = Math.max(1, ...panel.samples.map((s) => s.t));
      const maxV = Math.max(
        1,
        ...panel.samples.flatMap((s) => series.map((k) => s.values[k] ?? 0)),
      );
      const x = (t: number) => ox + (t / maxT) * pw;
      const y = (v: number) => oy + ph - (v / maxV) * ph;
      const lines = series
        .map((k, i) => {
          const d = panel.samples
            .map(
              (s, j) =>
                `${j === 0 ? 'M' : 'L'}${x(s.t).toFixed(1)},${y(s.values[k] ?? 0).toFixed(1)}`,
            )
            .join(' ');
          return `<path d="${d}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.2"/>`;
        })
        .join('');
      return (
        `<text x="${ox}" y="${oy - 6}" font-size="11">${esc(panel.title)}</text>` +
        `<rect x="${ox}" y="${oy}" width="${pw}" height="${ph}" fill="none" stroke="#ccc"/>` +
        `<text x="${ox + pw - 4}" y="${oy + 12}" font-size="10" text-anchor="end" fill="#666">max ${fmt(maxV)}</text>` +
        `<text x="${ox + pw - 4}" y="${oy + ph + 12}" font-size="10" text-anchor="end" fill="#666">${Math.round(maxT)} s</text>` +
        lines
      );
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${gap.x}" y="16" font-size="13">Consumer lag per stage over each run (records, summed over partitions; sampled every second)</text>
${legend}
${body}
</svg>
`;
}
