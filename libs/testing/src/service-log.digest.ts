import { readFileSync } from 'node:fs';
import { latestCounts } from './latest.counts';

/** A service's log file, as `startService` wrote it. */
export interface ServiceLog {
  name: string;
  logFile: string;
}

interface LogLine {
  level?: string;
  time?: string;
  msg?: string;
  err?: { message?: string };
  error?: string;
}

const NOTABLE = new Set(['warn', 'error', 'fatal']);

/**
 * What each service logged at warn or above, for a failure message: how many such lines, when it
 * last wrote any line at all (a service that fell silent shows), and its last `distinct` distinct
 * messages with how often each came. The log lines are pino's JSON; a line that is not is skipped.
 */
export function serviceLogDigest(logs: readonly ServiceLog[], distinct = 3): string {
  return logs
    .map(({ name, logFile }) => {
      let text: string;
      try {
        text = readFileSync(logFile, 'utf8');
      } catch (err) {
        return `${name}: log not read (${(err as Error).message})`;
      }
      let lastTime = '';
      const notable: string[] = [];
      for (const raw of text.split('\n')) {
        if (!raw.startsWith('{')) continue;
        let line: LogLine;
        try {
          line = JSON.parse(raw) as LogLine;
        } catch {
          continue;
        }
        if (line.time) lastTime = line.time;
        if (!line.level || !NOTABLE.has(line.level)) continue;
        const why = line.err?.message ?? line.error;
        notable.push(`${line.level} "${line.msg ?? ''}"${why ? ` (${why})` : ''}`);
      }
      const recent = latestCounts(notable, distinct);
      const head = `${name}: ${notable.length} warn/error lines, last line at ${lastTime || 'none'}`;
      return recent.length > 0 ? `${head}; latest: ${recent.join('; ')}` : head;
    })
    .join('\n');
}
