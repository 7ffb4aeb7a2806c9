import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { find, RENDERED } from './k8s.fixture';
import type { K8sObject } from './manifests';
import { validateObject } from './validate';

for (const [variant, render] of Object.entries(RENDERED)) {
  describe(`deploy/k8s ${variant}: every object is valid against its schema, offline`, () => {
    const { objects } = render();
    it('holds the kinds of a deployment', () => {
      const kinds = new Set(objects.map((o) => o.kind));
      for (const kind of [
        'ConfigMap',
        'Deployment',
        'PodDisruptionBudget',
        'Service',
        'Job',
        'ScaledObject',
        'TriggerAuthentication',
        'KafkaTopic',
      ]) {
        assert.ok(kinds.has(kind), kind);
      }
    });
    for (const o of objects) {
      it(`${o.kind} ${o.metadata.name}`, async () => {
        await validateObject(o);
      });
    }
  });
}

describe('the validator rejects a broken manifest', () => {
  const { objects } = RENDERED.base();
  const copy = (kind: string, name: string) => structuredClone(find(objects, kind, name)!);
  const rejects = (o: K8sObject, message: RegExp) => assert.rejects(validateObject(o), message);

  it('a container port that is not a number (Kubernetes schema)', async () => {
    const d = copy('Deployment', 'router');
    const spec = d.spec as { template: { spec: { containers: { ports: object[] }[] } } };
    spec.template.spec.containers[0]!.ports = [{ name: 'http', containerPort: '8183' }];
    await rejects(d, /containerPort must be integer/);
  });
  it('a Deployment without its selector (Kubernetes schema)', async () => {
    const d = copy('Deployment', 'router');
    delete (d.spec as { selector?: object }).selector;
    await rejects(d, /selector/);
  });
  it('a ScaledObject whose lag threshold is a number, not a string (KEDA schema)', async () => {
    const so = copy('ScaledObject', 'normalizer');
    const spec = so.spec as { triggers: { metadata: Record<string, unknown> }[] };
    spec.triggers[0]!.metadata.lagThreshold = 1000;
    await rejects(so, /lagThreshold must be string/);
  });
  it('a ScaledObject without its target (KEDA schema)', async () => {
    const so = copy('ScaledObject', 'normalizer');
    delete (so.spec as { scaleTargetRef?: object }).scaleTargetRef;
    await rejects(so, /scaleTargetRef/);
  });
  it('a KafkaTopic with no partitions, or a misspelt field (Strimzi schema)', async () => {
    const t = copy('KafkaTopic', 'leads.raw');
    (t.spec as { partitions: number }).partitions = 0;
    await rejects(t, /partitions must be >= 1/);
    const u = copy('KafkaTopic', 'leads.raw');
    (u.spec as Record<string, unknown>).replica = 3;
    await rejects(u, /must NOT have additional properties/);
    const v = copy('KafkaTopic', 'leads.raw');
    delete v.metadata.labels!['strimzi.io/cluster'];
    await rejects(v, /strimzi\.io\/cluster/);
  });
  it('a name the API server refuses, and a kind no schema knows', async () => {
    const c = copy('ConfigMap', 'lead-router-config');
    c.metadata.name = 'Lead_Router';
    await rejects(c, /invalid name/);
    await rejects({ ...c, metadata: { name: 'x' }, kind: 'Kafka' }, /no schema for v1\/Kafka/);
  });
});
