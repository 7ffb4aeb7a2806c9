import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  prefixedTopics,
  serviceManifest,
  servedDestinationTypes,
  topicDeclarations,
  type ManifestEntry,
} from '@lead-router/schemas';
import {
  built,
  byKind,
  configLoader,
  find,
  podEnv,
  podSpecOf,
  RENDERED,
  SECRET_VALUES,
  snapshot,
  type PodSpec,
} from './k8s.fixture';
import type { K8sObject } from './manifests';
import { resourcesOf } from './sizing';

/**
 * Each service's Deployment against the code: its port, probes and variables against the service
 * manifest and the service's own config loader (run in production mode on the environment the
 * Deployment gives), its ScaledObject against the consumer groups and topics the code uses, and
 * no secret value anywhere but in Secrets. Run on the base and on every overlay as rendered.
 */

type RuleSetDestination = { type: string };
const { parseRuleSet } = built<{
  parseRuleSet: (
    text: string,
    options: object,
  ) => { ok: boolean; value: { destinations: Record<string, RuleSetDestination> } };
}>('libs/routing/dist/index.js');
const { checkDestinationCredentials } = built<{
  checkDestinationCredentials: (
    destinations: ReadonlyMap<string, RuleSetDestination>,
    types: readonly string[],
    sources: { env: Record<string, string | undefined> },
  ) => void;
}>('libs/sink-kit/dist/destination-credentials.check.js');
const { routerStages } = built<{
  routerStages: (settings: object, deps: object) => { topic: string; groupId: string }[];
}>('libs/routing-runtime/dist/router.stages.js');

/** What the loader yields for an environment, or the error it throws. */
function outcome(load: (env: Record<string, string>) => unknown, env: Record<string, string>) {
  try {
    return { config: snapshot(load(env)) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** The rule set the pod mounts, parsed as the router and the sinks parse it. */
function destinationsOf(env: Record<string, string>, readFile: (p: string) => string) {
  const parsed = parseRuleSet(readFile(env.ROUTING_RULES_FILE!), {
    servedDestinationTypes: servedDestinationTypes(),
  });
  assert.ok(parsed.ok, 'the rule set of the manifests parses');
  return new Map(Object.entries(parsed.value.destinations));
}

/**
 * What a sink reads besides its config: the credentials its destinations reference. Throws as
 * the sink does at start when one cannot be read.
 */
function checkCredentials(
  s: ManifestEntry,
  env: Record<string, string>,
  readFile: (p: string) => string,
) {
  if (s.kind !== 'sink') return;
  checkDestinationCredentials(destinationsOf(env, readFile), s.destinationTypes, { env });
}

/** The longest wait on an outside request a config names (its `…TimeoutMs` keys), in seconds. */
function longestRequestSeconds(config: unknown): number {
  let longest = 0;
  const visit = (value: unknown, key: string) => {
    if (typeof value === 'number' && /timeoutMs$/i.test(key)) {
      // Start-up waits and Kafka's own session are not requests a drain waits for.
      if (!/^(registryStart|session)/.test(key)) longest = Math.max(longest, value);
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) visit(v, k);
    }
  };
  visit(config, '');
  return Math.ceil(longest / 1000);
}

const readText = (path: string) => readFileSync(path, 'utf8');

for (const [variant, render] of Object.entries(RENDERED)) {
  describe(`deploy/k8s ${variant}: each service's Deployment names what its code reads`, () => {
    const { objects } = render();

    for (const s of serviceManifest) {
      describe(s.name, () => {
        const deployment = find(objects, 'Deployment', s.name);
        const pod = () => podSpecOf(deployment!);
        const load = configLoader(s.name);

        it('has a Deployment of the one image that runs this service', () => {
          assert.ok(deployment, `no Deployment ${s.name}`);
          const [container] = pod().containers;
          assert.equal(pod().containers.length, 1);
          assert.match(container!.image, /(^|\/)lead-router(:|@|$)/);
          assert.equal(podEnv(objects, pod()).env.SERVICE, s.name, 'SERVICE picks the service');
        });

        it('listens where the code does and probes /health there', () => {
          const [container] = pod().containers;
          const { env } = podEnv(objects, pod());
          const config = load(env) as { platform: { http: { port: number } } };
          const http = container!.ports?.find((p) => p.name === 'http');
          assert.equal(http?.containerPort, config.platform.http.port, 'containerPort');
          assert.equal(http?.containerPort, s.port.default, 'the manifest port');
          for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
            assert.deepEqual(
              container![probe]?.httpGet,
              { path: s.healthPath, port: 'http' },
              probe,
            );
          }
        });

        it('starts in production mode with its environment (config loader and credentials)', () => {
          const { env } = podEnv(objects, pod());
          assert.notEqual(env.LEAD_ROUTER_MODE, 'demo');
          const result = outcome(load, env);
          assert.equal(result.error, undefined, `the service would exit: ${result.error}`);
          assert.equal((load(env) as { platform: { mode: string } }).platform.mode, 'production');
          assert.doesNotThrow(() => checkCredentials(s, env, readText));
        });

        it('sets no variable the code ignores (a misspelt key would be)', () => {
          const { env, fileVars } = podEnv(objects, pod());
          const before = outcome(load, env);
          const credentialCheck = (e: Record<string, string>) => {
            try {
              checkCredentials(s, e, readText);
              return 'ok';
            } catch (err) {
              return (err as Error).message;
            }
          };
          for (const name of Object.keys(env)) {
            if (name === 'SERVICE') continue; // read by the image's command (Dockerfile)
            const changed = {
              ...env,
              [name]: fileVars.has(name) ? `${env[name]}.missing` : `${env[name]}x`,
            };
            const without = { ...env };
            delete without[name];
            const read =
              JSON.stringify(outcome(load, changed)) !== JSON.stringify(before) ||
              credentialCheck(without) !== credentialCheck(env);
            assert.ok(read, `${s.name} never reads ${name}`);
          }
        });

        it('is given time to drain before it is killed', () => {
          const { env } = podEnv(objects, pod());
          const grace = pod().terminationGracePeriodSeconds ?? 30;
          const longest = longestRequestSeconds(load(env));
          assert.ok(
            grace >= longest + 20,
            `grace ${grace} s: a batch may wait ${longest} s on a request, then commit and leave`,
          );
        });

        it('is not killed while it waits for the registry at start', () => {
          const { env } = podEnv(objects, pod());
          const config = load(env) as { platform: { registryStartTimeoutMs: number } };
          const startup = pod().containers[0]!.startupProbe!;
          const budget = (startup.periodSeconds ?? 10) * (startup.failureThreshold ?? 3);
          assert.ok(budget * 1000 > config.platform.registryStartTimeoutMs, `startup ${budget} s`);
        });

        it('requests and limits the resources of deploy/k8s sizing', () => {
          assert.deepEqual(pod().containers[0]!.resources, resourcesOf(s.name));
        });

        it('has a PodDisruptionBudget selecting its pods', () => {
          const pdb = find(objects, 'PodDisruptionBudget', s.name);
          assert.ok(pdb, `no PodDisruptionBudget ${s.name}`);
          const selector = (pdb.spec as { selector: { matchLabels: Record<string, string> } })
            .selector.matchLabels;
          const labels = (deployment!.spec as { template: { metadata: { labels: object } } })
            .template.metadata.labels;
          assert.ok(Object.keys(selector).length > 0);
          for (const [k, v] of Object.entries(selector)) {
            assert.equal((labels as Record<string, string>)[k], v, `pod label ${k}`);
          }
        });
      });
    }
  });

  describe(`deploy/k8s ${variant}: KEDA scales each consumer on its groups' lag`, () => {
    const { objects } = render();
    const platform = find(objects, 'ConfigMap', 'lead-router-config')!.data as Record<
      string,
      string
    >;
    const partitions = (topic: string) =>
      topicDeclarations.find((d) => d.name === topic)!.partitions;

    for (const s of serviceManifest) {
      it(`${s.name}: ${s.kind === 'gateway' ? 'no ScaledObject (it consumes nothing)' : 'ScaledObject on its consumer groups, at most one pod per partition'}`, () => {
        const so = find(objects, 'ScaledObject', s.name);
        if (s.kind === 'gateway') {
          assert.equal(so, undefined);
          return;
        }
        assert.ok(so, `no ScaledObject ${s.name}`);
        const spec = so.spec as {
          scaleTargetRef: { name: string; kind?: string };
          minReplicaCount: number;
          maxReplicaCount: number;
          triggers: {
            type: string;
            metadata: Record<string, string>;
            authenticationRef?: { name: string };
          }[];
        };
        assert.equal(spec.scaleTargetRef.name, s.name);
        assert.ok(find(objects, 'Deployment', spec.scaleTargetRef.name));
        const { env } = podEnv(objects, podSpecOf(find(objects, 'Deployment', s.name)!));
        const config = configLoader(s.name)(env) as {
          groupId: string;
          platform: { topicPrefix: string };
        };
        const { topics } = prefixedTopics(config.platform.topicPrefix);
        const inputs = new Set(s.topicsIn.map((key) => topics[key]));

        // The groups the code consumes with, each on its topic.
        const expected = new Map<string, string>();
        if (s.name === 'router') {
          const stages = routerStages(
            { groupId: config.groupId, concurrency: 1, sessionTimeoutMs: 30_000 },
            { topics, rules: {}, store: {}, instance: 'pod-0', logger: {}, now: Date.now },
          );
          for (const stage of stages) expected.set(stage.groupId, stage.topic);
        } else if (s.kind === 'indexer') {
          // services/indexer/src/indexer.stage.ts: one group per indexed topic.
          for (const topic of inputs) expected.set(`${config.groupId}.${topic}`, topic);
        } else {
          expected.set(config.groupId, topics[s.topicsIn[0]!]);
        }
        const actual = new Map(
          spec.triggers.map((t) => [t.metadata.consumerGroup!, t.metadata.topic!]),
        );
        assert.deepEqual(actual, expected, 'consumer groups and their topics');

        for (const t of spec.triggers) {
          assert.equal(t.type, 'kafka');
          assert.ok(inputs.has(t.metadata.topic!), `${t.metadata.topic} is an input of ${s.name}`);
          assert.equal(
            t.metadata.bootstrapServers,
            platform.KAFKA_BROKERS,
            'the brokers the pods use',
          );
          assert.ok(Number(t.metadata.lagThreshold) > 0);
          const auth = find(objects, 'TriggerAuthentication', t.authenticationRef?.name ?? '');
          assert.ok(auth, 'its TriggerAuthentication exists');
        }
        const maxPartitions = Math.max(...spec.triggers.map((t) => partitions(t.metadata.topic!)));
        assert.equal(
          spec.maxReplicaCount,
          maxPartitions,
          'maxReplicaCount = partitions of its input',
        );
        assert.ok(spec.minReplicaCount >= 1 && spec.minReplicaCount <= spec.maxReplicaCount);
      });
    }

    it('the TriggerAuthentication reads the same user, password and CA as the pods', () => {
      const auth = byKind(objects, 'TriggerAuthentication')[0]!.spec as {
        configMapTargetRef: { parameter: string; name: string; key: string }[];
        secretTargetRef: { parameter: string; name: string; key: string }[];
      };
      const user = auth.configMapTargetRef.find((r) => r.parameter === 'username')!;
      assert.equal(
        (find(objects, 'ConfigMap', user.name)!.data as Record<string, string>)[user.key],
        platform.KAFKA_SASL_USERNAME,
      );
      const pod = podSpecOf(find(objects, 'Deployment', 'normalizer')!);
      const secretOf = (dir: string) => {
        const mount = pod.containers[0]!.volumeMounts!.find((m) =>
          dir.startsWith(`${m.mountPath}/`),
        )!;
        const volume = pod.volumes!.find((v) => v.name === mount.name)!;
        return `${volume.secret!.secretName}/${volume.secret!.items![0]!.key}`;
      };
      const ref = (p: string) => {
        const r = auth.secretTargetRef.find((x) => x.parameter === p)!;
        return `${r.name}/${r.key}`;
      };
      assert.equal(ref('password'), secretOf(platform.KAFKA_SASL_PASSWORD_FILE!));
      assert.equal(ref('ca'), secretOf(platform.KAFKA_SSL_CA_FILE!));
    });
  });

  describe(`deploy/k8s ${variant}: no secret value outside a Secret`, () => {
    const { objects } = render();
    it('no container sets a variable inline: each comes from a ConfigMap, a Secret or the pod', () => {
      assert.deepEqual(inlineValues(objects), []);
    });
    it('no ConfigMap holds a value of a Secret, or a credential-bearing key', () => {
      assert.deepEqual(secretsInConfigMaps(objects), []);
    });
    it('every Secret key the test gives a value for is referenced, and no other', () => {
      const referenced = new Set<string>();
      for (const o of objects) {
        if (!('template' in ((o.spec as object) ?? {}))) continue;
        const pod: PodSpec = podSpecOf(o);
        for (const c of pod.containers) {
          for (const e of c.env ?? []) {
            const r = e.valueFrom?.secretKeyRef;
            if (r) referenced.add(`${r.name}/${r.key}`);
          }
        }
        for (const v of pod.volumes ?? []) {
          for (const i of v.secret?.items ?? []) referenced.add(`${v.secret!.secretName}/${i.key}`);
        }
      }
      assert.deepEqual([...referenced].sort(), Object.keys(SECRET_VALUES).sort());
    });
  });
}

/** `name=value` of every variable a Deployment or Job sets inline. */
export function inlineValues(objects: readonly K8sObject[]): string[] {
  return objects
    .filter((o) => o.kind === 'Deployment' || o.kind === 'Job')
    .flatMap((o) =>
      podSpecOf(o).containers.flatMap((c) =>
        (c.env ?? [])
          .filter((e) => e.value !== undefined)
          .map((e) => `${o.metadata.name}: ${e.name}`),
      ),
    );
}

/** ConfigMap keys that name a credential, and ConfigMap values that hold one. */
export function secretsInConfigMaps(objects: readonly K8sObject[]): string[] {
  const secretValues = Object.values(SECRET_VALUES).map((v) => v.trim());
  return byKind(objects, 'ConfigMap').flatMap((cm) =>
    Object.entries((cm.data ?? {}) as Record<string, string>).flatMap(([key, value]) => {
      const found: string[] = [];
      if (/(PASSWORD|SECRET|TOKEN|API_KEYS?|CLIENT_ID|^PG_URL|^REDIS_URL)$/.test(key)) {
        found.push(`${cm.metadata.name}: ${key}`);
      }
      if (
        secretValues.some((s) => value.includes(s)) ||
        /whsec_|sha256:[0-9a-f]{64}|:\/\/[^/\s:@]*:[^/\s@]+@/.test(value)
      ) {
        found.push(`${cm.metadata.name}: value of ${key}`);
      }
      return found;
    }),
  );
}

describe('deploy/k8s: the checks fail on a broken manifest', () => {
  const { objects } = RENDERED.base();
  const broken = structuredClone(objects) as K8sObject[];
  const sink = podSpecOf(find(broken, 'Deployment', 'sink-webhook')!).containers[0]!;
  sink.env!.push({ name: 'WEBHOOK_SECRET', value: 'whsec_aW5saW5lLXNlY3JldA==' });
  (find(broken, 'ConfigMap', 'lead-router-config')!.data as Record<string, string>).REDIS_URL =
    'rediss://:pw@redis:6380';

  it('an inline secret in a Deployment is found', () => {
    assert.deepEqual(inlineValues(broken), ['sink-webhook: WEBHOOK_SECRET']);
  });
  it('a credential in a ConfigMap is found', () => {
    assert.deepEqual(secretsInConfigMaps(broken), [
      'lead-router-config: REDIS_URL',
      'lead-router-config: value of REDIS_URL',
    ]);
  });
  it('a Deployment without a secret its service needs does not start', () => {
    const pod = structuredClone(podSpecOf(find(objects, 'Deployment', 'indexer')!));
    pod.containers[0]!.env = pod.containers[0]!.env!.filter((e) => e.name !== 'PG_URL');
    const { env } = podEnv(objects, pod);
    assert.throws(() => configLoader('indexer')(env), /PG_URL: not set/);
  });
  it('a misspelt variable is one the code never reads', () => {
    const { env } = podEnv(objects, podSpecOf(find(objects, 'Deployment', 'normalizer')!));
    const load = configLoader('normalizer');
    const withTypo = { ...env, STAGE_CONCURENCY: '8' };
    assert.deepEqual(
      outcome(load, { ...withTypo, STAGE_CONCURENCY: '8x' }),
      outcome(load, withTypo),
    );
  });
});
