import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** One fault tried by the fault suite, as its summary table shows it. */
export interface FaultResult {
  /** What was done, e.g. "SIGKILL sink-webhook mid-stream". */
  fault: string;
  /** Leads offered to the pipeline (accepted by ingest, or produced onto the stage's input). */
  sent: number;
  /** Distinct leads that reached the receiver the test watches (CRM, table, topic). */
  delivered: number;
  /** Sent and never delivered. */
  lost: number;
  /** Leads with more than one routing decision (0 where the fault is not about routing). */
  assignedTwice: number;
  /** The proof that the fault landed mid-work and what the restarted process did. */
  proof: string;
}

/** Where every fault spec of one run appends its results: one JSON object per line. */
export function faultSummaryFile(): string {
  return process.env['FAULTS_SUMMARY'] ?? join(__dirname, '..', '..', 'faults-summary.jsonl');
}

export function recordFault(result: FaultResult): void {
  const file = faultSummaryFile();
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify(result)}\n`);
}

export function readFaults(file = faultSummaryFile()): FaultResult[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as FaultResult);
}

/** The summary table printed at the end of the suite, with its totals on the last line. */
export function formatFaultSummary(results: readonly FaultResult[]): string {
  const header = ['fault', 'sent', 'delivered', 'lost', 'assigned twice'];
  const rows = results.map((r) => [
    r.fault,
    String(r.sent),
    String(r.delivered),
    String(r.lost),
    String(r.assignedTwice),
  ]);
  const sum = (pick: (r: FaultResult) => number) => results.reduce((s, r) => s + pick(r), 0);
  rows.push([
    `${results.length} faults`,
    String(sum((r) => r.sent)),
    String(sum((r) => r.delivered)),
    String(sum((r) => r.lost)),
    String(sum((r) => r.assignedTwice)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [
    line(header),
    ...rows.slice(0, -1).map(line),
    line(widths.map((w) => '-'.repeat(w))),
    line(rows[rows.length - 1]!),
    '',
    ...results.map((r) => `- ${r.fault}: ${r.proof}`),
  ].join('\n');
}
