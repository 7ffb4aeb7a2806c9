import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadTransportConfig } from '@lead-router/config';
import { serviceManifest } from '@lead-router/schemas';
import { REPO_ROOT } from './generate';
import { byKind, find, podEnv, podSpecOf, RENDERED } from './k8s.fixture';

/**
 * The paths the final stage of the Dockerfile copies into the image's working directory,
 * relative to it (`COPY --from=build /app/<path> ./<path>`).
 */
export function imagePaths(dockerfile: string): string[] {
  const final = dockerfile.split(/^FROM /m).at(-1) ?? '';
  return [...final.matchAll(/^COPY --from=build \/app\/(\S+) \.\/(\S+)$/gm)].map((m) => m[2]!);
}

const inImage = (paths: readonly string[], file: string) =>
  paths.some((p) => file === p || file.startsWith(`${p.replace(/\/$/, '')}/`));

for (const [variant, render] of Object.entries(RENDERED)) {
  describe(`deploy/k8s ${variant}: the Job publishes the rule set with leadctl from the image`, () => {
    const { objects } = render();
    const job = find(objects, 'Job', 'lead-router-rules-publish');

    it('runs `leadctl rules publish` on the mounted rule set, which leadctl accepts', () => {
      assert.ok(job);
      const pod = podSpecOf(job);
      const command = (pod.containers[0] as unknown as { command: string[] }).command;
      assert.deepEqual(command.slice(0, 4), [
        'node',
        'tools/leadctl/dist/main.js',
        'rules',
        'publish',
      ]);
      const { root } = podEnv(objects, pod);
      const file = join(root, command[4]!);
      assert.ok(existsSync(file), `${command[4]} is mounted`);
      const validate = spawnSync(
        process.execPath,
        [join(REPO_ROOT, command[1]!), 'rules', 'validate', file],
        { encoding: 'utf8' },
      );
      assert.equal(validate.status, 0, validate.stderr);
      assert.match(validate.stdout, /^ok: /);
    });

    it('reaches Kafka and the registry as the services do', () => {
      const { env } = podEnv(objects, podSpecOf(job!));
      const transport = loadTransportConfig(env);
      assert.equal(transport.kafka.sasl?.mechanism, 'scram-sha-512');
      assert.ok(transport.kafka.ssl?.ca?.includes('BEGIN CERTIFICATE'));
      const normalizer = podEnv(objects, podSpecOf(find(objects, 'Deployment', 'normalizer')!)).env;
      for (const key of ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'KAFKA_SASL_USERNAME']) {
        assert.equal(env[key], normalizer[key], key);
      }
    });

    it('runs a file the image holds, as every Deployment does', () => {
      const paths = imagePaths(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
      const command = (podSpecOf(job!).containers[0] as unknown as { command: string[] }).command;
      assert.ok(inImage(paths, command[1]!), `the Dockerfile copies ${command[1]}`);
      for (const s of serviceManifest) assert.ok(inImage(paths, s.entry), s.entry);
    });

    it('one Deployment per service of the manifest, and no other', () => {
      assert.deepEqual(
        byKind(objects, 'Deployment')
          .map((d) => d.metadata.name)
          .sort(),
        serviceManifest.map((s) => s.name).sort(),
      );
    });
  });
}

describe('imagePaths reads what the image holds', () => {
  it('a Dockerfile without tools/leadctl does not hold leadctl', () => {
    const without = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8').replace(
      /^COPY --from=build \/app\/tools\/leadctl .*$/m,
      '',
    );
    assert.equal(inImage(imagePaths(without), 'tools/leadctl/dist/main.js'), false);
    assert.equal(inImage(imagePaths(without), 'services/router/dist/main.js'), true);
  });
});
