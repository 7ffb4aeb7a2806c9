import type { Frame } from './top.frame';

/** Clears the terminal and puts the cursor home, so each frame is drawn in place. */
export const CLEAR_SCREEN = '\u001b[H\u001b[2J';

const dash = '-';

/** A rate: one decimal below 100 a second, whole above. */
export function formatRate(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return dash;
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1);
}

export function formatCount(value: number | null): string {
  return value === null || !Number.isFinite(value)
    ? dash
    : Math.round(value).toLocaleString('en-US');
}

/** Seconds as milliseconds below one second, else seconds with two decimals. */
export function formatSeconds(value: number | null): string {
  if (value === null || Number.isNaN(value)) return dash;
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return value < 1 ? `${Math.round(value * 1000)} ms` : `${value.toFixed(2)} s`;
}

const signed = (value: number | null): string =>
  value === null ? dash : `${value > 0 ? '+' : ''}${formatRate(value)}/s`;

/** Columns padded to their widest cell; the first `left` columns left-aligned, the rest right. */
function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  left: number,
): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i < left ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/**
 * The frame as text: the services (down ones with why), each stage's leads a second, dead letters
 * a second and lag, the lag by topic, speed-to-lead p50/p99 by source and destination over the
 * window, and the dead letters by stage and code.
 */
export function renderFrame(frame: Frame): string {
  const up = frame.services.filter((s) => s.up).length;
  const out: string[] = [
    `leadctl top  ${new Date(frame.at).toISOString()}  window ${frame.windowSeconds.toFixed(1)} s  ` +
      `${up} of ${frame.services.length} services up`,
    '',
  ];

  const stageRows: string[][] = [];
  for (const service of frame.services) {
    if (!service.up) {
      stageRows.push([service.name, 'DOWN', service.error ?? 'no answer', '', '', '', '']);
      continue;
    }
    const stages = frame.stages.filter((s) => s.service === service.name);
    if (stages.length === 0)
      stageRows.push([service.name, 'up', '(no records yet)', '', '', '', '']);
    for (const s of stages) {
      stageRows.push([
        service.name,
        'up',
        s.stage,
        formatRate(s.perSecond),
        formatRate(s.dlqPerSecond),
        formatCount(s.lag),
        s.lagSeconds === null ? dash : `${s.lagSeconds.toFixed(1)} s`,
      ]);
    }
  }
  out.push(
    ...table(['SERVICE', 'STATE', 'STAGE', 'LEADS/S', 'DLQ/S', 'LAG', 'LAG TIME'], stageRows, 3),
  );

  if (frame.lag.length > 0) {
    out.push('', 'CONSUMER LAG (records behind, summed over partitions)');
    out.push(
      ...table(
        ['SERVICE', 'STAGE', 'TOPIC', 'LAG', 'CHANGE'],
        frame.lag.map((l) => [l.service, l.stage, l.topic, formatCount(l.lag), signed(l.change)]),
        3,
      ),
    );
  }

  out.push(
    '',
    `SPEED-TO-LEAD (capture to acknowledgement, the last ${frame.windowSeconds.toFixed(1)} s)`,
  );
  if (frame.speedToLead.length === 0) out.push('no deliveries in the window');
  else {
    out.push(
      ...table(
        ['SOURCE', 'DESTINATION', 'DELIVERED/S', 'P50', 'P99'],
        frame.speedToLead.map((s) => [
          s.source,
          s.destination,
          formatRate(s.perSecond),
          formatSeconds(s.p50),
          formatSeconds(s.p99),
        ]),
        2,
      ),
    );
  }

  out.push(
    '',
    `DEAD LETTERS (written to leads.dlq: ${formatCount(frame.dlqWritten.total)} since start, ` +
      `${formatRate(frame.dlqWritten.perSecond)}/s)`,
  );
  if (frame.deadLetters.length === 0) out.push('none');
  else {
    out.push(
      ...table(
        ['SERVICE', 'STAGE', 'CODE', 'TOTAL', 'PER S'],
        frame.deadLetters.map((d) => [
          d.service,
          d.stage,
          d.code,
          formatCount(d.total),
          formatRate(d.perSecond),
        ]),
        3,
      ),
    );
  }
  return `${out.join('\n')}\n`;
}
