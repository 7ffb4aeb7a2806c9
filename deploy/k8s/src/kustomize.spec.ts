import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { find, podSpecOf, RENDERED } from './k8s.fixture';
import { renderKustomization } from './kustomize';

describe('the production overlay, rendered as Kustomize renders it', () => {
  const base = RENDERED.base();
  const production = RENDERED.production();

  it('changes every object it targets and no other: each patch matches', () => {
    const own = production.patchMatches.filter((p) => p.kustomization.includes('production'));
    assert.ok(own.length > 0);
    for (const p of own) assert.ok(p.matched > 0, `patch ${p.index} matches nothing`);
    assert.equal(production.objects.length, base.objects.length);
  });

  it('puts every object in the lead-router namespace and every pod on the release image', () => {
    for (const o of production.objects) assert.equal(o.metadata.namespace, 'lead-router');
    for (const o of production.objects.filter((x) => x.kind === 'Deployment' || x.kind === 'Job')) {
      for (const c of podSpecOf(o).containers) {
        assert.equal(c.image, 'registry.example.com/lead-router:0.1.0');
      }
    }
  });

  it('applies its patches: three ingest pods, two of each stage, min.insync.replicas 2', () => {
    assert.equal(
      (find(production.objects, 'Deployment', 'ingest')!.spec as { replicas: number }).replicas,
      3,
    );
    for (const name of ['normalizer', 'enricher', 'router']) {
      const so = find(production.objects, 'ScaledObject', name)!;
      assert.equal((so.spec as { minReplicaCount: number }).minReplicaCount, 2, name);
    }
    const so = find(production.objects, 'ScaledObject', 'sink-webhook')!;
    assert.equal((so.spec as { minReplicaCount: number }).minReplicaCount, 1);
    for (const t of production.objects.filter((o) => o.kind === 'KafkaTopic')) {
      assert.equal(
        (t.spec as { config: Record<string, string> }).config['min.insync.replicas'],
        '2',
      );
    }
  });
});

describe('the renderer refuses what it would not render faithfully', () => {
  const overlay = (kustomization: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'k8s-overlay-'));
    mkdirSync(join(dir, 'base'));
    writeFileSync(join(dir, 'base/kustomization.yaml'), 'resources:\n  - cm.yaml\n');
    writeFileSync(
      join(dir, 'base/cm.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  A: "1"\n',
    );
    writeFileSync(join(dir, 'kustomization.yaml'), kustomization);
    return dir;
  };

  it('a field of Kustomize it does not implement', () => {
    assert.throws(
      () => renderKustomization(overlay('resources:\n  - base\nnamePrefix: x-\n')),
      /namePrefix is not supported/,
    );
  });
  it('a patch that is not JSON 6902, or has no target', () => {
    assert.throws(
      () =>
        renderKustomization(
          overlay(
            'resources:\n  - base\npatches:\n  - target: { kind: ConfigMap }\n    patch: |-\n      data: { A: "2" }\n',
          ),
        ),
      /not a list of JSON 6902 operations/,
    );
    assert.throws(
      () => renderKustomization(overlay('resources:\n  - base\npatches:\n  - patch: "[]"\n')),
      /has no target/,
    );
  });
  it('an operation on a path that is not there, as Kustomize does', () => {
    assert.throws(() =>
      renderKustomization(
        overlay(
          'resources:\n  - base\npatches:\n  - target: { kind: ConfigMap, name: c }\n    patch: |-\n      - op: replace\n        path: /data/B\n        value: "2"\n',
        ),
      ),
    );
  });
  it('applies a patch to the objects its target names, by anchored name', () => {
    const rendered = renderKustomization(
      overlay(
        'resources:\n  - base\npatches:\n  - target: { kind: ConfigMap, name: c }\n    patch: |-\n      - op: replace\n        path: /data/A\n        value: "2"\n  - target: { kind: ConfigMap, name: cc }\n    patch: |-\n      - op: replace\n        path: /data/A\n        value: "3"\n',
      ),
    );
    assert.deepEqual(rendered.objects[0]!.data, { A: '2' });
    assert.deepEqual(
      rendered.patchMatches.map((p) => p.matched),
      [1, 0],
    );
  });
});
