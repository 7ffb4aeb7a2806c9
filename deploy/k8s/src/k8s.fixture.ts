import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStageConfig } from '@lead-router/config';
import { defaultPort, type ManifestEntry } from '@lead-router/schemas';
import { BASE_DIR, K8S_DIR, REPO_ROOT } from './generate';
import { renderKustomization } from './kustomize';
import type { K8sObject } from './manifests';

/** The base and every overlay, rendered as Kustomize would. */
export const RENDERED = {
  base: () => renderKustomization(BASE_DIR),
  production: () => renderKustomization(join(K8S_DIR, 'overlays/production')),
};

export const byKind = (objects: readonly K8sObject[], kind: string) =>
  objects.filter((o) => o.kind === kind);
export const find = (objects: readonly K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);

/**
 * Values of the right shape for every Secret key the manifests reference: what a cluster's
 * Secrets hold, never in the manifests themselves.
 */
export const TEST_PEM = '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n';
export const SECRET_VALUES: Readonly<Record<string, string>> = {
  'lead-router-kafka-cluster-ca-cert/ca.crt': TEST_PEM,
  'lead-router-kafka-user/password': 'scram-password\n',
  'lead-router-ingest/api-keys': `sha256:${'ab'.repeat(32)}:web-form`,
  'lead-router-redis/url': 'rediss://:redis-password@redis.lead-router.svc:6380/0',
  'lead-router-postgres/leads-url': 'postgresql://leads:pg-password@pg:5432/leads?sslmode=require',
  'lead-router-postgres/trace-url': 'postgresql://trace:pg-password@pg:5432/trace?sslmode=require',
  'lead-router-webhook/secret': 'whsec_c2lnbmluZy1zZWNyZXQtb2YtdGhlLXRlc3Q=',
  'lead-router-salesforce/client-id': 'salesforce-client-id',
  'lead-router-salesforce/client-secret': 'salesforce-client-secret',
  'lead-router-hubspot/token': 'pat-test-token',
};

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    configMapKeyRef?: { name: string; key: string };
    secretKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
  };
}
export interface Container {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  env?: EnvVar[];
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  volumeMounts?: { name: string; mountPath: string }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}
export interface Probe {
  httpGet?: { path: string; port: string | number };
  periodSeconds?: number;
  failureThreshold?: number;
}
interface Volume {
  name: string;
  secret?: { secretName: string; items?: { key: string; path: string }[] };
  configMap?: { name: string; items?: { key: string; path: string }[] };
  emptyDir?: object;
}
export interface PodSpec {
  terminationGracePeriodSeconds?: number;
  containers: Container[];
  volumes?: Volume[];
}

export const podSpecOf = (o: K8sObject): PodSpec =>
  (o.spec as { template: { spec: PodSpec } }).template.spec;

/** The directories podEnv laid mounts out in, removed when the test process ends. */
const podRoots: string[] = [];
process.once('exit', () => {
  for (const root of podRoots) rmSync(root, { recursive: true, force: true });
});

/** One container's environment as the kubelet would give it, and where its mounts were laid. */
export interface PodEnv {
  env: Record<string, string>;
  /** The directory standing for the container's root: every mount is laid out under it. */
  root: string;
  /** Variables that name a file under a mount (their value was rewritten under `root`). */
  fileVars: Set<string>;
}

/**
 * The environment of a pod's first container: its ConfigMaps' keys (envFrom), then its `env`
 * (ConfigMap and Secret keys, the pod's name), with SECRET_VALUES for the Secrets. Every mounted
 * volume is written under a temporary directory (Secret items from SECRET_VALUES, ConfigMap items
 * from the ConfigMap) and the variables naming a file under a mount point there instead.
 */
export function podEnv(objects: readonly K8sObject[], pod: PodSpec, podName = 'pod-0'): PodEnv {
  const container = pod.containers[0]!;
  const configData = (name: string): Record<string, string> => {
    const cm = find(objects, 'ConfigMap', name);
    if (cm === undefined) throw new Error(`ConfigMap ${name} is not among the objects`);
    return (cm.data ?? {}) as Record<string, string>;
  };
  const secret = (name: string, key: string): string => {
    const value = SECRET_VALUES[`${name}/${key}`];
    if (value === undefined) throw new Error(`no test value for Secret ${name} key ${key}`);
    return value;
  };
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (from.secretRef) throw new Error('envFrom a Secret: its keys are not known here');
    Object.assign(env, configData(from.configMapRef!.name));
  }
  for (const v of container.env ?? []) {
    const ref = v.valueFrom;
    if (v.value !== undefined) env[v.name] = v.value;
    else if (ref?.configMapKeyRef) {
      const value = configData(ref.configMapKeyRef.name)[ref.configMapKeyRef.key];
      if (value === undefined) throw new Error(`${v.name}: no key ${ref.configMapKeyRef.key}`);
      env[v.name] = value;
    } else if (ref?.secretKeyRef) env[v.name] = secret(ref.secretKeyRef.name, ref.secretKeyRef.key);
    else if (ref?.fieldRef?.fieldPath === 'metadata.name') env[v.name] = podName;
    else throw new Error(`${v.name}: a source this fixture does not resolve`);
  }

  const root = mkdtempSync(join(tmpdir(), 'k8s-pod-'));
  podRoots.push(root);
  const fileVars = new Set<string>();
  for (const mount of container.volumeMounts ?? []) {
    const volume = (pod.volumes ?? []).find((v) => v.name === mount.name);
    if (volume === undefined) throw new Error(`mount ${mount.name} has no volume`);
    const dir = join(root, mount.mountPath);
    mkdirSync(dir, { recursive: true });
    if (volume.secret) {
      for (const item of volume.secret.items ?? []) {
        writeFileSync(join(dir, item.path), secret(volume.secret.secretName, item.key));
      }
    } else if (volume.configMap) {
      const data = configData(volume.configMap.name);
      for (const item of volume.configMap.items ?? []) {
        const text = data[item.key];
        if (text === undefined)
          throw new Error(`ConfigMap ${volume.configMap.name}: no ${item.key}`);
        writeFileSync(join(dir, item.path), text);
      }
    }
    for (const [name, value] of Object.entries(env)) {
      if (!fileVars.has(name) && value.startsWith(`${mount.mountPath}/`)) {
        env[name] = join(root, value);
        fileVars.add(name);
      }
    }
  }
  return { env, root, fileVars };
}

const requireBuilt = createRequire(join(REPO_ROOT, 'package.json'));

/**
 * Loads a module of the repository's build by its path. The services are apps, which no project
 * may import (docs/architecture.md, Nx tags): the test loads their built config loaders the way
 * their main.js does, to hold the manifests to what the code reads.
 */
export function built<T>(path: string): T {
  return requireBuilt(join(REPO_ROOT, path)) as T;
}

type Loader = (env: Record<string, string | undefined>) => unknown;

/** Each service's own config loader, as its main.ts calls it (with the environment given). */
export function configLoader(name: ManifestEntry['name']): Loader {
  const from = (path: string, fn: string): Loader => built<Record<string, Loader>>(path)[fn]!;
  switch (name) {
    case 'ingest':
      return from('services/ingest/dist/ingest.config.js', 'loadIngestConfig');
    case 'source-fetcher':
      return from(
        'services/source-fetcher/dist/source-fetcher.config.js',
        'loadSourceFetcherConfig',
      );
    case 'normalizer':
      // services/normalizer/src/main.ts
      return (env) => loadStageConfig('normalizer', defaultPort('normalizer'), undefined, env);
    case 'enricher':
      return from('libs/pipeline-stages/dist/enricher.config.js', 'loadEnricherConfig');
    case 'router':
      return from('libs/pipeline-stages/dist/router.config.js', 'loadRouterConfig');
    case 'sink-webhook':
      return from('services/sink-webhook/dist/sink-webhook.config.js', 'loadSinkWebhookConfig');
    case 'sink-postgres':
      return from('services/sink-postgres/dist/sink-postgres.config.js', 'loadSinkPostgresConfig');
    case 'sink-salesforce':
      return from(
        'services/sink-salesforce/dist/sink-salesforce.config.js',
        'loadSinkSalesforceConfig',
      );
    case 'sink-hubspot':
      return from('services/sink-hubspot/dist/sink-hubspot.config.js', 'loadSinkHubspotConfig');
    case 'indexer':
      return from('services/indexer/dist/indexer.config.js', 'loadIndexerConfig');
  }
}

/**
 * A loaded config as plain data, non-enumerable properties included (the loaders hide passwords
 * from enumeration), so two configs compare by everything they hold.
 */
export function snapshot(value: unknown, seen = new Set<unknown>()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[cycle]';
  seen.add(value);
  if (value instanceof Map)
    return [...value].map(([k, v]) => [snapshot(k, seen), snapshot(v, seen)]);
  if (value instanceof Set) return [...value].map((v) => snapshot(v, seen));
  if (Array.isArray(value)) return value.map((v) => snapshot(v, seen));
  const out: Record<string, unknown> = {};
  for (const key of Object.getOwnPropertyNames(value).sort()) {
    out[key] = snapshot((value as Record<string, unknown>)[key], seen);
  }
  return out;
}
