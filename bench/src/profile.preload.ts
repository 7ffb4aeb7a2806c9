/**
 * Preloaded (`--require`) into a service to profile it under load only, not while it boots:
 * SIGUSR2 starts V8's sampling profiler, the next SIGUSR2 stops it and writes the `.cpuprofile`
 * (the format `--cpu-prof` writes) to $BENCH_CPU_PROFILE. `--cpu-prof` itself would include the
 * start-up, and writes nothing when Nest's SIGTERM hook ends the process by re-raising the signal.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const out = process.env['BENCH_CPU_PROFILE'];
const session = new Session();
session.connect();
let profiling = false;
process.on('SIGUSR2', () => {
  if (!profiling) {
    profiling = true;
    session.post('Profiler.enable', () => session.post('Profiler.start'));
    return;
  }
  profiling = false;
  session.post('Profiler.stop', (err, result) => {
    if (err || !out) return;
    // written aside and renamed, so a bench waiting for the file never reads half of it
    writeFileSync(`${out}.part`, JSON.stringify(result.profile));
    renameSync(`${out}.part`, out);
  });
});
