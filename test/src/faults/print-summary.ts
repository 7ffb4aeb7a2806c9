import { rmSync } from 'node:fs';
import { faultSummaryFile, formatFaultSummary, readFaults } from './fault-summary';

/**
 * The fault suite's summary table (test/run-all.sh and `npm run test:faults` run it after the
 * suite); `--clear` deletes the results file first, so a run shows only its own faults.
 */
if (process.argv.includes('--clear')) {
  rmSync(faultSummaryFile(), { force: true });
} else {
  const faults = readFaults();
  process.stdout.write(
    faults.length === 0
      ? `no fault recorded in ${faultSummaryFile()}\n`
      : `fault summary\n${formatFaultSummary(faults)}\n`,
  );
}
