import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { StackError } from './stack.errors';

const repoRoot = resolve(__dirname, '..', '..', '..');
const leadctl = resolve(repoRoot, 'tools', 'leadctl', 'dist', 'main.js');

export interface StartRulesOptions {
  brokers: string;
  registryUrl: string;
  /** The rule set the router starts with (ROUTING_RULES_FILE). */
  file: string;
  /** As TOPIC_PREFIX does for the services. */
  topicPrefix: string;
}

function run(args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [leadctl, ...args],
      { cwd: repoRoot, env },
      (err, stdout, stderr) => {
        if (err === null) return done(stdout.trim());
        fail(
          new StackError(
            `leadctl ${args.join(' ')} failed:\n${`${stdout}${stderr}`.trim()}`,
            'command_failed',
            { context: { command: `leadctl ${args.join(' ')}` }, cause: err },
          ),
        );
      },
    );
  });
}

/**
 * Publishes the rule set `npm start` runs with, by running the built `leadctl rules publish`
 * (libs/rules-admin's publisher), so `leadctl rules simulate` and `diff published:<id>` find a
 * version from the first start; the same content already published is a no-op. `leadctl topics
 * setup` runs first, so routing.rules is the compacted topic the router follows and not one
 * auto-created by the write. It runs as a process because local-stack may not import
 * rules-admin: Nx counts the routing lib's specs, which use the testing lib, which uses
 * local-stack. Returns what publish printed (`published …` or `unchanged: …`).
 */
export async function publishStartRules(options: StartRulesOptions): Promise<string> {
  const env = {
    ...process.env,
    KAFKA_BROKERS: options.brokers,
    SCHEMA_REGISTRY_URL: options.registryUrl,
    TOPIC_PREFIX: options.topicPrefix,
  };
  await run(['topics', 'setup'], env);
  return run(['rules', 'publish', options.file, '--by', 'npm start'], env);
}
