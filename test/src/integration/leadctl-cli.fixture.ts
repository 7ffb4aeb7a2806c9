import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { testStack } from '@lead-router/testing';

const repoRoot = resolve(__dirname, '..', '..', '..');
const leadctl = resolve(repoRoot, 'tools', 'leadctl', 'dist', 'main.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `leadctl` as a child process against the test stack, with the given prefix. */
export async function runLeadctl(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliRun> {
  const stack = await testStack();
  return new Promise((done) => {
    execFile(
      process.execPath,
      [leadctl, ...args],
      {
        cwd: repoRoot,
        env: {
          ...process.env,
          KAFKA_BROKERS: stack.brokers.join(','),
          SCHEMA_REGISTRY_URL: stack.registryUrl,
          ...env,
        },
        timeout: 60_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}
