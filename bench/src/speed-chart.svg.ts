import type { FaultRun } from './sinks-results.entry';

const W = 760;
const H = 300;
const PAD = { left: 60, right: 60, top: 30, bottom: 40 };

/**
 * The webhook's speed-to-lead (p50 and p99 per 5 s of capture time) through one fault run, with
 * the rate-limit burst and the outage shaded and the CRM's deliveries per 5 s as bars: a plain
 * SVG, so RESULTS.md can link it without a plotting library.
 */
export function speedChartSvg(
  series: FaultRun['series'],
  windows: FaultRun['windows'],
  sink: string,
): string {
  const points = series.filter((p) => Number.isFinite(p.t));
  const maxT = Math.max(1, ...points.map((p) => p.t + 5), windows.outage[1] / 1000);
  const maxMs = Math.max(
    1,
    ...points.map((p) => (Number.isFinite(p.webhookP99) ? p.webhookP99 : 0)),
  );
  const maxBar = Math.max(1, ...points.map((p) => p.crmDelivered));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (t: number) => PAD.left + (t / maxT) * plotW;
  const y = (v: number) => PAD.top + plotH - (v / maxMs) * plotH;
  const yBar = (v: number) => (v / maxBar) * plotH;
  const line = (pick: (p: FaultRun['series'][number]) => number) =>
    points
      .filter((p) => Number.isFinite(pick(p)))
      .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t + 2.5).toFixed(1)},${y(pick(p)).toFixed(1)}`)
      .join(' ');
  const shade = ([a, b]: [number, number], fill: string, label: string) =>
    Number.isFinite(a) && Number.isFinite(b)
      ? `<rect x="${x(a / 1000).toFixed(1)}" y="${PAD.top}" width="${(x(b / 1000) - x(a / 1000)).toFixed(1)}" height="${plotH}" fill="${fill}"/>` +
        `<text x="${(x(a / 1000) + 4).toFixed(1)}" y="${PAD.top + 14}" font-size="11" fill="#555">${label}</text>`
      : '';
  const bars = points
    .map((p) => {
      const h = yBar(p.crmDelivered);
      return `<rect x="${x(p.t).toFixed(1)}" y="${(PAD.top + plotH - h).toFixed(1)}" width="${Math.max(1, x(5) - x(0) - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="#c9d7ea"/>`;
    })
    .join('');
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const v = maxMs * f;
      return `<text x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" font-size="11" text-anchor="end">${Math.round(v)}</text>`;
    })
    .join('');
  const tTicks = Array.from({ length: 6 }, (_, i) => (maxT * i) / 5)
    .map(
      (t) =>
        `<text x="${x(t).toFixed(1)}" y="${H - PAD.bottom + 16}" font-size="11" text-anchor="middle">${Math.round(t)}</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${PAD.left}" y="18" font-size="13">sink-webhook speed-to-lead during the ${sink} fault run (ms, by capture time)</text>
${shade(windows.burst, '#fde8c8', 'rate-limit burst')}
${shade(windows.outage, '#f6d0d0', `${sink} outage`)}
${bars}
<path d="${line((p) => p.webhookP99)}" fill="none" stroke="#b2182b" stroke-width="1.5"/>
<path d="${line((p) => p.webhookP50)}" fill="none" stroke="#2166ac" stroke-width="1.5"/>
<line x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${W - PAD.right}" y2="${PAD.top + plotH}" stroke="#333"/>
<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${PAD.top + plotH}" stroke="#333"/>
${ticks}${tTicks}
<text x="${PAD.left + plotW / 2}" y="${H - 8}" font-size="11" text-anchor="middle">seconds since the first lead</text>
<text x="${W - PAD.right + 6}" y="${PAD.top + 12}" font-size="11" fill="#b2182b">p99</text>
<text x="${W - PAD.right + 6}" y="${PAD.top + 26}" font-size="11" fill="#2166ac">p50</text>
<text x="${W - PAD.right + 6}" y="${PAD.top + 40}" font-size="11" fill="#7a93b5">${sink}</text>
<text x="${W - PAD.right + 6}" y="${PAD.top + 52}" font-size="11" fill="#7a93b5">delivered</text>
<text x="${W - PAD.right + 6}" y="${PAD.top + 64}" font-size="11" fill="#7a93b5">per 5 s</text>
</svg>
`;
}
