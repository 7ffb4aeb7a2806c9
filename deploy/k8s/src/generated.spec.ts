import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { topicDeclarations } from '@lead-router/schemas';
import { BASE_DIR, renderBase } from './generate';
import { readObjects } from './kustomize';

/** The paths under deploy/k8s/base whose text differs from `generated`, or that only one has. */
export function staleFiles(dir: string, generated: ReadonlyMap<string, string>): string[] {
  const committed = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));
  const paths = new Set([...committed, ...generated.keys()]);
  return [...paths]
    .filter(
      (p) => !committed.includes(p) || readFileSync(join(dir, p), 'utf8') !== generated.get(p),
    )
    .sort();
}

describe('deploy/k8s/base is what the generator writes from the code now', () => {
  it('every file is as `npm run k8s:generate` writes it, and there is no other', () => {
    assert.deepEqual(
      staleFiles(BASE_DIR, renderBase()),
      [],
      'run `npm run k8s:generate` and commit deploy/k8s/base',
    );
  });

  it('a topic whose partitions changed in topics.ts makes topics.yaml stale', () => {
    const changed = renderBase();
    const text = changed.get('topics.yaml')!;
    changed.set('topics.yaml', text.replace('partitions: 6', 'partitions: 12'));
    assert.deepEqual(staleFiles(BASE_DIR, changed), ['topics.yaml']);
  });

  it('declares every topic of topicDeclarations as a KafkaTopic, with its partitions and config', () => {
    const topics = readObjects(join(BASE_DIR, 'topics.yaml'));
    assert.deepEqual(
      topics.map((t) => {
        const spec = t.spec as { topicName: string; partitions: number; config: object };
        return { name: spec.topicName, partitions: spec.partitions, config: spec.config };
      }),
      topicDeclarations.map((d) => ({ name: d.name, partitions: d.partitions, config: d.config })),
    );
  });
});
