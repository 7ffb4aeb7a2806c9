import Ajv from 'ajv';
import type { K8sObject } from './manifests';
import { KAFKA_TOPIC_SCHEMA } from './strimzi-kafkatopic.schema';

/**
 * Validates an object offline against the schema of its kind: Kubernetes' own (kubernetes-models
 * 5.1.0), KEDA's (@kubernetes-models/keda 2.0.0) and Strimzi's KafkaTopic (restated in
 * strimzi-kafkatopic.schema.ts). A kind none of them knows is an error. Names and labels are
 * checked as the API server checks them.
 */

interface Model {
  validate(): void;
}
type ModelClass = new (data: never) => Model;

/** Where the model of each apiVersion/kind the deployment uses is. */
const MODELS: Readonly<Record<string, () => Promise<ModelClass>>> = {
  'v1/ConfigMap': async () => (await import('kubernetes-models/v1/ConfigMap')).ConfigMap,
  'v1/Service': async () => (await import('kubernetes-models/v1/Service')).Service,
  'apps/v1/Deployment': async () =>
    (await import('kubernetes-models/apps/v1/Deployment')).Deployment,
  'batch/v1/Job': async () => (await import('kubernetes-models/batch/v1/Job')).Job,
  'policy/v1/PodDisruptionBudget': async () =>
    (await import('kubernetes-models/policy/v1/PodDisruptionBudget')).PodDisruptionBudget,
  'keda.sh/v1alpha1/ScaledObject': async () =>
    (await import('@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject')).ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': async () =>
    (await import('@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication'))
      .TriggerAuthentication,
};

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validateKafkaTopic = ajv.compile(KAFKA_TOPIC_SCHEMA);

/** DNS-1123 subdomain: most objects' names. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** DNS-1035 label: a Service's name (it becomes a DNS name). */
const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** Throws an Error listing what is wrong with the object; returns when it is valid. */
export async function validateObject(o: K8sObject): Promise<void> {
  const id = `${o.kind}/${o.metadata?.name}`;
  const problems: string[] = [...metadataProblems(o)];
  const key = `${o.apiVersion}/${o.kind}`;
  const load = MODELS[key];
  if (load !== undefined) {
    const Model = await load();
    try {
      new Model(o as never).validate();
    } catch (err) {
      problems.push((err as Error).message);
    }
  } else if (key === 'kafka.strimzi.io/v1beta2/KafkaTopic') {
    if (!validateKafkaTopic(o)) {
      problems.push(ajv.errorsText(validateKafkaTopic.errors, { dataVar: 'data' }));
    }
  } else {
    problems.push(`no schema for ${key}`);
  }
  if (problems.length > 0) throw new Error(`${id}: ${problems.join('; ')}`);
}

function metadataProblems(o: K8sObject): string[] {
  const problems: string[] = [];
  const name = o.metadata?.name ?? '';
  const nameRule = o.kind === 'Service' ? DNS_LABEL : DNS_SUBDOMAIN;
  const maxLength = o.kind === 'Service' ? 63 : 253;
  if (!nameRule.test(name) || name.length > maxLength) problems.push(`invalid name "${name}"`);
  const labelSets = [o.metadata?.labels ?? {}];
  const template = (o.spec as { template?: { metadata?: { labels?: Record<string, string> } } })
    ?.template;
  if (template?.metadata?.labels) labelSets.push(template.metadata.labels);
  for (const labels of labelSets) {
    for (const [k, v] of Object.entries(labels)) {
      const [prefix, label] = k.includes('/') ? k.split('/', 2) : [undefined, k];
      const prefixOk = prefix === undefined || (DNS_SUBDOMAIN.test(prefix) && prefix.length <= 253);
      if (!prefixOk || !LABEL_NAME.test(label ?? '') || (label ?? '').length > 63) {
        problems.push(`invalid label key "${k}"`);
      }
      if (typeof v !== 'string' || !LABEL_VALUE.test(v) || v.length > 63) {
        problems.push(`invalid value of label ${k}`);
      }
    }
  }
  return problems;
}
