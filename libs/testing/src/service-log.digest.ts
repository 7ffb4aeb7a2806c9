import { readFileSync } from 'node:fs';

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
      let notable = 0;
      const counts = new Map<string, number>();
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
        notable++;
        const why = line.err?.message ?? line.error;
        const key = `${line.level} "${line.msg ?? ''}"${why ? ` (${why})` : ''}`;
        // Re-inserted, so the map's order is by each message's last occurrence.
        const seen = counts.get(key) ?? 0;
        counts.delete(key);
        counts.set(key, seen + 1);
      }
      const recent = [...counts].slice(-distinct).map(([key, n]) => `${key} ×${n}`);
      const head = `${name}: ${notable} warn/error lines, last line at ${lastTime || 'none'}`;
      return recent.length > 0 ? `${head}; latest: ${recent.join('; ')}` : head;
    })
    .join('\n');
}
