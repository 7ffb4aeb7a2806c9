import {
  serviceManifest,
  topicDeclarations,
  Topics,
  type ManifestEntry,
  type TopicKey,
} from '@lead-router/schemas';
import type { ITriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication' with {
  'resolution-mode': 'import',
};
import type { IScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject' with {
  'resolution-mode': 'import',
};
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment' with {
  'resolution-mode': 'import',
};
import type { IJob } from 'kubernetes-models/batch/v1/Job' with { 'resolution-mode': 'import' };
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget' with {
  'resolution-mode': 'import',
};
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap' with {
  'resolution-mode': 'import',
};
import type { IService } from 'kubernetes-models/v1/Service' with { 'resolution-mode': 'import' };
import { resourcesOf } from './sizing';

/** Typed by the models' interfaces, so a misspelt field is a compile error in the generator. */
const as = <T>(o: T): K8sObject => o as unknown as K8sObject;

/**
 * The Kustomize base of deploy/k8s, built from the code's own declarations: one Deployment,
 * PodDisruptionBudget and (for every consumer) KEDA ScaledObject per service of `serviceManifest`,
 * one Strimzi KafkaTopic per entry of `topicDeclarations`. `npm run k8s:generate` writes it to
 * deploy/k8s/base; deploy/k8s/src/generated.spec.ts fails when the committed files differ.
 */

/** A Kubernetes object as plain data, ready for YAML. */
export type K8sObject = { apiVersion: string; kind: string; metadata: Metadata } & Record<
  string,
  unknown
>;
interface Metadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The image every service runs (Dockerfile); an overlay sets its registry and tag (`images`). */
export const IMAGE = 'lead-router';
export const PART_OF = 'lead-router';
/** The Strimzi `Kafka` resource the topics belong to and the services reach. */
export const KAFKA_CLUSTER = 'lead-router-kafka';
/** Strimzi's bootstrap Service for the cluster's TLS listener (`<cluster>-kafka-bootstrap`). */
export const KAFKA_BOOTSTRAP = `${KAFKA_CLUSTER}-kafka-bootstrap:9093`;
/** Replicas of every topic: three brokers, so one may be down while writes still reach two. */
export const TOPIC_REPLICAS = 3;

/** The ConfigMap every service and the rules Job read their platform settings from. */
export const PLATFORM_CONFIG = 'lead-router-config';
export const RULES_CONFIG = 'lead-router-rules';
export const RULES_DIR = '/etc/lead-router/rules';
export const RULES_FILE = `${RULES_DIR}/rules.yaml`;
const KAFKA_CA_DIR = '/etc/lead-router/kafka-ca';
const KAFKA_USER_DIR = '/etc/lead-router/kafka-user';

/** Secrets the manifests reference and never contain (deploy/k8s/README.md, "Secrets"). */
export const SECRETS = {
  /** Strimzi's cluster CA (`<cluster>-cluster-ca-cert`, key ca.crt). */
  kafkaCa: { name: `${KAFKA_CLUSTER}-cluster-ca-cert`, keys: ['ca.crt'] },
  /** The SCRAM password of the Kafka user (a Strimzi KafkaUser's Secret has key `password`). */
  kafkaUser: { name: 'lead-router-kafka-user', keys: ['password'] },
  ingest: { name: 'lead-router-ingest', keys: ['api-keys'] },
  redis: { name: 'lead-router-redis', keys: ['url'] },
  postgres: { name: 'lead-router-postgres', keys: ['leads-url', 'trace-url'] },
  webhook: { name: 'lead-router-webhook', keys: ['secret'] },
  salesforce: { name: 'lead-router-salesforce', keys: ['client-id', 'client-secret'] },
  hubspot: { name: 'lead-router-hubspot', keys: ['token'] },
} as const;

type SecretName = keyof typeof SECRETS;
type SecretEnv = { env: string; secret: SecretName; key: string };

/** The platform settings every service reads (libs/config `platformEnv`), production mode. */
export const platformSettings: Readonly<Record<string, string>> = {
  LEAD_ROUTER_MODE: 'production',
  LOG_LEVEL: 'info',
  KAFKA_BROKERS: KAFKA_BOOTSTRAP,
  KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
  KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
  KAFKA_SASL_USERNAME: 'lead-router',
  KAFKA_SASL_PASSWORD_FILE: `${KAFKA_USER_DIR}/password`,
  KAFKA_SSL_CA_FILE: `${KAFKA_CA_DIR}/ca.crt`,
  SCHEMA_REGISTRY_URL: 'http://lead-router-registry:8080/apis/ccompat/v7',
};

/** Each service's own settings and secrets, besides the platform's. */
const serviceEnv: Readonly<
  Record<ManifestEntry['name'], { settings?: Record<string, string>; secrets?: SecretEnv[] }>
> = {
  ingest: { secrets: [{ env: 'INGEST_API_KEYS', secret: 'ingest', key: 'api-keys' }] },
  'source-fetcher': { secrets: [{ env: 'REDIS_URL', secret: 'redis', key: 'url' }] },
  normalizer: {},
  enricher: {},
  router: { settings: { ROUTING_RULES_FILE: RULES_FILE } },
  'sink-webhook': {
    settings: { ROUTING_RULES_FILE: RULES_FILE },
    secrets: [
      { env: 'REDIS_URL', secret: 'redis', key: 'url' },
      { env: 'WEBHOOK_SECRET', secret: 'webhook', key: 'secret' },
    ],
  },
  'sink-postgres': {
    settings: { ROUTING_RULES_FILE: RULES_FILE },
    secrets: [
      { env: 'REDIS_URL', secret: 'redis', key: 'url' },
      { env: 'PG_URL', secret: 'postgres', key: 'leads-url' },
    ],
  },
  'sink-salesforce': {
    settings: { ROUTING_RULES_FILE: RULES_FILE },
    secrets: [
      { env: 'REDIS_URL', secret: 'redis', key: 'url' },
      // The references of the rule set's Salesforce destination (deploy/k8s/rules/rules.yaml).
      { env: 'SALESFORCE_CLIENT_ID', secret: 'salesforce', key: 'client-id' },
      { env: 'SALESFORCE_CLIENT_SECRET', secret: 'salesforce', key: 'client-secret' },
    ],
  },
  'sink-hubspot': {
    settings: { ROUTING_RULES_FILE: RULES_FILE },
    secrets: [
      { env: 'REDIS_URL', secret: 'redis', key: 'url' },
      { env: 'HUBSPOT_TOKEN', secret: 'hubspot', key: 'token' },
    ],
  },
  indexer: { secrets: [{ env: 'PG_URL', secret: 'postgres', key: 'trace-url' }] },
};

/**
 * How long a pod may take to stop after SIGTERM. The drain (libs/service-kit PipelineLifecycle)
 * waits, without a bound of its own, for every batch in flight to finish and commit, then flushes
 * the producer and leaves the group: the longest request a batch may wait on, plus 30 s for the
 * commit, the flush and the leave. Sinks: SINK_REQUEST_TIMEOUT_MS (120 s by default, Salesforce
 * 60 s); source-fetcher: FETCH_TIMEOUT_MS (10 s); ingest: INGEST_ACK_TIMEOUT_MS (5 s); the
 * enricher's firmographics call 300 ms. deploy/k8s/src/deployments.spec.ts checks each against the
 * timeouts the service's own config loader yields.
 */
export const DRAIN_MARGIN_SECONDS = 30;
const longestRequestSeconds: Readonly<Record<ManifestEntry['name'], number>> = {
  ingest: 5,
  'source-fetcher': 10,
  normalizer: 0,
  enricher: 1,
  router: 0,
  'sink-webhook': 120,
  'sink-postgres': 120,
  'sink-salesforce': 60,
  'sink-hubspot': 120,
  indexer: 0,
};

/**
 * The startup probe's budget: a starting service waits up to SCHEMA_REGISTRY_START_TIMEOUT_SECONDS
 * (300 s by default) for the registry before it listens, so /health answers only after that.
 */
export const STARTUP_PROBE = { periodSeconds: 5, failureThreshold: 72 } as const;
/** A consumer's lag, in records, that one more pod is wanted for (deploy/k8s/README.md). */
export const LAG_THRESHOLD = 1_000;
/** Replicas of ingest, which is scaled by hand (it consumes nothing). */
export const INGEST_REPLICAS = 2;

const labelsOf = (s: ManifestEntry) => ({
  'app.kubernetes.io/name': s.name,
  'app.kubernetes.io/component': s.kind,
  'app.kubernetes.io/part-of': PART_OF,
});
const selectorOf = (s: ManifestEntry) => ({
  'app.kubernetes.io/name': s.name,
  'app.kubernetes.io/part-of': PART_OF,
});

const configMapName = (s: ManifestEntry) => `lead-router-${s.name}`;

/** The partitions of a topic, from topicDeclarations. */
export function partitionsOf(topic: string): number {
  const declaration = topicDeclarations.find((d) => d.name === topic);
  if (declaration === undefined) throw new Error(`${topic} is not in topicDeclarations`);
  return declaration.partitions;
}

export interface ConsumerTrigger {
  topicKey: TopicKey;
  topic: string;
  consumerGroup: string;
}

/**
 * The consumer groups a service's ScaledObject scales on, with TOPIC_PREFIX empty: the group of
 * its first input, `lead-router.<service>` (libs/config stage.config.ts), and for the router also
 * its assign step's `lead-router.router.assign` (libs/routing-runtime router.stages.ts). The
 * indexer has one group per topic it indexes, `lead-router.indexer.<topic>`
 * (services/indexer/src/indexer.stage.ts). The other groups of a service are left out: retry
 * tiers (source-fetcher, sinks) and router.held hold records until they are due, so their lag is
 * waiting by design, not work.
 */
export function consumerTriggers(s: ManifestEntry): ConsumerTrigger[] {
  const group = `lead-router.${s.name}`;
  const trigger = (topicKey: TopicKey, consumerGroup: string): ConsumerTrigger => ({
    topicKey,
    topic: Topics[topicKey],
    consumerGroup,
  });
  if (s.kind === 'gateway') return [];
  if (s.kind === 'indexer') {
    return s.topicsIn.map((key) => trigger(key, `${group}.${Topics[key]}`));
  }
  const [first] = s.topicsIn;
  if (first === undefined) throw new Error(`${s.name} consumes nothing`);
  return [
    trigger(first, group),
    ...(s.name === 'router' ? [trigger('assign', `${group}.assign`)] : []),
  ];
}

function configMaps(): K8sObject[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: PLATFORM_CONFIG, labels: { 'app.kubernetes.io/part-of': PART_OF } },
      data: { ...platformSettings },
    },
    ...serviceManifest.map((s): K8sObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: configMapName(s), labels: labelsOf(s) },
      data: {
        SERVICE: s.name,
        [s.port.env]: String(s.port.default),
        ...serviceEnv[s.name].settings,
      },
    })),
  ];
}

const readsRules = (s: ManifestEntry) =>
  serviceEnv[s.name].settings?.ROUTING_RULES_FILE !== undefined;

/** The volumes of a pod: Kafka's CA and password, /tmp, and the rule set where it is read. */
function volumes(withRules: boolean) {
  return {
    volumes: [
      { name: 'kafka-ca', secret: { secretName: SECRETS.kafkaCa.name, items: [item('ca.crt')] } },
      {
        name: 'kafka-user',
        secret: { secretName: SECRETS.kafkaUser.name, items: [item('password')] },
      },
      ...(withRules
        ? [{ name: 'rules', configMap: { name: RULES_CONFIG, items: [item('rules.yaml')] } }]
        : []),
      { name: 'tmp', emptyDir: {} },
    ],
    mounts: [
      { name: 'kafka-ca', mountPath: KAFKA_CA_DIR, readOnly: true },
      { name: 'kafka-user', mountPath: KAFKA_USER_DIR, readOnly: true },
      ...(withRules ? [{ name: 'rules', mountPath: RULES_DIR, readOnly: true }] : []),
      { name: 'tmp', mountPath: '/tmp' },
    ],
  };
}
function item(key: string) {
  return { key, path: key };
}

const containerSecurity = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};
/** The image runs as `node` (uid 1000 in the node images). */
const podSecurity = {
  runAsNonRoot: true,
  runAsUser: 1000,
  runAsGroup: 1000,
  seccompProfile: { type: 'RuntimeDefault' as const },
};

function secretEnv(entries: readonly SecretEnv[] = []) {
  return entries.map(({ env, secret, key }) => ({
    name: env,
    valueFrom: { secretKeyRef: { name: SECRETS[secret].name, key } },
  }));
}

function deployment(s: ManifestEntry): K8sObject {
  const own = serviceEnv[s.name];
  const { volumes: podVolumes, mounts } = volumes(readsRules(s));
  const probe = (periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path: s.healthPath, port: 'http' },
    periodSeconds,
    failureThreshold,
    timeoutSeconds: 5,
  });
  const env = [
    ...secretEnv(own.secrets),
    // Recorded on every lead this instance assigns (lr-assigned-by): the pod's name.
    ...(s.name === 'router'
      ? [{ name: 'ROUTER_INSTANCE_ID', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]
      : []),
  ];
  return as<IDeployment>({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: s.name, labels: labelsOf(s) },
    spec: {
      // Consumers: KEDA sets the replicas (no field here, so an apply does not reset them).
      ...(s.kind === 'gateway' ? { replicas: INGEST_REPLICAS } : {}),
      selector: { matchLabels: selectorOf(s) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: {
          labels: labelsOf(s),
          annotations: {
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(s.port.default),
            'prometheus.io/path': '/metrics',
          },
        },
        spec: {
          terminationGracePeriodSeconds: longestRequestSeconds[s.name] + DRAIN_MARGIN_SECONDS,
          securityContext: podSecurity,
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: { matchLabels: selectorOf(s) },
            },
          ],
          containers: [
            {
              name: s.name,
              image: IMAGE,
              ports: [{ name: 'http', containerPort: s.port.default, protocol: 'TCP' }],
              envFrom: [
                { configMapRef: { name: PLATFORM_CONFIG } },
                { configMapRef: { name: configMapName(s) } },
              ],
              ...(env.length > 0 ? { env } : {}),
              resources: resourcesOf(s.name),
              startupProbe: probe(STARTUP_PROBE.periodSeconds, STARTUP_PROBE.failureThreshold),
              readinessProbe: probe(10, 3),
              livenessProbe: probe(20, 6),
              // ingest: the endpoints stop sending requests before the server closes.
              ...(s.kind === 'gateway'
                ? { lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } } }
                : {}),
              securityContext: containerSecurity,
              volumeMounts: mounts,
            },
          ],
          volumes: podVolumes,
        },
      },
    },
  });
}

function disruptionBudget(s: ManifestEntry): K8sObject {
  // One pod at a time, whatever the replica count: a node drain never blocks on a single replica,
  // and a consumer group never rebalances away more than one member's partitions at once.
  return as<IPodDisruptionBudget>({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: s.name, labels: labelsOf(s) },
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorOf(s) } },
  });
}

export const KEDA_AUTH = 'lead-router-kafka';

function triggerAuthentication(): K8sObject {
  return as<ITriggerAuthentication>({
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'TriggerAuthentication',
    metadata: { name: KEDA_AUTH, labels: { 'app.kubernetes.io/part-of': PART_OF } },
    spec: {
      configMapTargetRef: [
        { parameter: 'username', name: PLATFORM_CONFIG, key: 'KAFKA_SASL_USERNAME' },
      ],
      secretTargetRef: [
        { parameter: 'password', name: SECRETS.kafkaUser.name, key: 'password' },
        { parameter: 'ca', name: SECRETS.kafkaCa.name, key: 'ca.crt' },
      ],
    },
  });
}

function scaledObject(s: ManifestEntry): K8sObject {
  const triggers = consumerTriggers(s);
  return as<IScaledObject>({
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: s.name, labels: labelsOf(s) },
    spec: {
      scaleTargetRef: { name: s.name },
      // Never zero: the router releases held leads and every stage keeps its state restored.
      minReplicaCount: 1,
      // A member beyond a group's partitions gets none: the largest input topic bounds them.
      maxReplicaCount: Math.max(...triggers.map((t) => partitionsOf(t.topic))),
      pollingInterval: 15,
      cooldownPeriod: 300,
      advanced: {
        horizontalPodAutoscalerConfig: {
          behavior: {
            // Every change of size rebalances the groups: shrink slowly, one pod a minute.
            scaleDown: {
              stabilizationWindowSeconds: 300,
              policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }],
            },
          },
        },
      },
      triggers: triggers.map((t) => ({
        type: 'kafka',
        name: t.consumerGroup.replaceAll('.', '-'),
        metadata: {
          bootstrapServers: KAFKA_BOOTSTRAP,
          consumerGroup: t.consumerGroup,
          topic: t.topic,
          lagThreshold: String(LAG_THRESHOLD),
          // The stages subscribe fromBeginning (libs/kafka stage.runner.ts).
          offsetResetPolicy: 'earliest',
          sasl: 'scram_sha512',
          tls: 'enable',
        },
        authenticationRef: { name: KEDA_AUTH },
      })),
    },
  });
}

function ingestService(s: ManifestEntry): K8sObject {
  return as<IService>({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: s.name, labels: labelsOf(s) },
    spec: {
      selector: selectorOf(s),
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    },
  });
}

/** The rule set's ConfigMap, from the YAML text of deploy/k8s/rules/rules.yaml. */
function rulesConfigMap(rulesYaml: string): K8sObject {
  return as<IConfigMap>({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: RULES_CONFIG, labels: { 'app.kubernetes.io/part-of': PART_OF } },
    data: { 'rules.yaml': rulesYaml },
  });
}

/** `leadctl rules publish` of the mounted rule set (tools/leadctl, in the image since issue 16). */
function rulesPublishJob(): K8sObject {
  const { volumes: podVolumes, mounts } = volumes(true);
  const labels = {
    'app.kubernetes.io/name': 'rules-publish',
    'app.kubernetes.io/component': 'job',
    'app.kubernetes.io/part-of': PART_OF,
  };
  return as<IJob>({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'lead-router-rules-publish', labels },
    spec: {
      // Retries while Kafka, the topic or the registry is not there yet.
      backoffLimit: 6,
      // Removed an hour after it ends, so the next apply runs it again: publishing a version that
      // is already published is a no-op ("unchanged"), and a changed file with a new version is
      // published.
      ttlSecondsAfterFinished: 3600,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          securityContext: podSecurity,
          containers: [
            {
              name: 'leadctl',
              image: IMAGE,
              command: [
                'node',
                'tools/leadctl/dist/main.js',
                'rules',
                'publish',
                RULES_FILE,
                '--by',
                'kubernetes-job',
              ],
              envFrom: [{ configMapRef: { name: PLATFORM_CONFIG } }],
              resources: {
                requests: { cpu: '100m', memory: '256Mi' },
                limits: { cpu: '1000m', memory: '384Mi' },
              },
              securityContext: containerSecurity,
              volumeMounts: mounts,
            },
          ],
          volumes: podVolumes,
        },
      },
    },
  });
}

/** A topic of topicDeclarations as a Strimzi KafkaTopic (kafka.strimzi.io/v1beta2). */
export function kafkaTopic(d: (typeof topicDeclarations)[number]): K8sObject {
  return {
    apiVersion: 'kafka.strimzi.io/v1beta2',
    kind: 'KafkaTopic',
    metadata: {
      name: d.name,
      labels: { 'strimzi.io/cluster': KAFKA_CLUSTER, 'app.kubernetes.io/part-of': PART_OF },
    },
    spec: {
      topicName: d.name,
      partitions: d.partitions,
      replicas: TOPIC_REPLICAS,
      config: { ...d.config },
    },
  };
}

/** One file of the base: its name under deploy/k8s/base and the objects it holds, in order. */
export interface BaseFile {
  path: string;
  objects: K8sObject[];
}

/** Every file of the base but kustomization.yaml, in the order kustomization.yaml lists them. */
export function baseFiles(rulesYaml: string): BaseFile[] {
  return [
    { path: 'config.yaml', objects: configMaps() },
    { path: 'rules.yaml', objects: [rulesConfigMap(rulesYaml)] },
    { path: 'rules-publish-job.yaml', objects: [rulesPublishJob()] },
    { path: 'keda-auth.yaml', objects: [triggerAuthentication()] },
    { path: 'topics.yaml', objects: topicDeclarations.map(kafkaTopic) },
    ...serviceManifest.map((s): BaseFile => ({
      path: `services/${s.name}.yaml`,
      objects: [
        deployment(s),
        disruptionBudget(s),
        ...(s.kind === 'gateway' ? [ingestService(s)] : [scaledObject(s)]),
      ],
    })),
  ];
}
