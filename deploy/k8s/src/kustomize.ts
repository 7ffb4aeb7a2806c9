import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { applyPatch, type Operation } from 'fast-json-patch';
import { parse, parseAllDocuments } from 'yaml';
import type { K8sObject } from './manifests';

/**
 * A renderer for the part of Kustomize deploy/k8s uses, so `npm test` renders the overlays with no
 * kustomize or kubectl binary: `resources` (files of one or more documents, and directories
 * holding a kustomization.yaml), `namespace`, `images` and `patches` made of JSON 6902 operations
 * with an explicit `target`. Transformers run in Kustomize's order (patches, then the namespace,
 * then images). Any other field of a kustomization is refused, so an overlay cannot use a feature
 * this renderer would silently skip.
 */

const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'images', 'patches']);
const TARGET_KEYS = new Set(['group', 'version', 'kind', 'name', 'namespace', 'labelSelector']);

export interface PatchTarget {
  group?: string;
  version?: string;
  kind?: string;
  /** A regular expression, anchored at both ends, as in Kustomize. */
  name?: string;
  namespace?: string;
  /** `key=value` pairs, comma-separated (equality selectors only). */
  labelSelector?: string;
}

export interface ImageOverride {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  resources?: string[];
  namespace?: string;
  images?: ImageOverride[];
  patches?: { target?: PatchTarget; patch?: string; path?: string }[];
}

export interface Rendered {
  objects: K8sObject[];
  /** For every patch of every kustomization rendered, how many objects it changed. */
  patchMatches: { kustomization: string; index: number; matched: number }[];
}

/** Renders the kustomization in `dir`, as `kustomize build dir` would for these features. */
export function renderKustomization(dir: string): Rendered {
  const file = join(dir, 'kustomization.yaml');
  const k = parse(readFileSync(file, 'utf8')) as Kustomization;
  const unsupported = Object.keys(k).filter((key) => !SUPPORTED.has(key));
  if (unsupported.length > 0) {
    throw new Error(`${file}: ${unsupported.join(', ')} is not supported by this renderer`);
  }
  if (k.kind !== undefined && k.kind !== 'Kustomization') {
    throw new Error(`${file}: kind ${k.kind} is not a Kustomization`);
  }
  const patchMatches: Rendered['patchMatches'] = [];
  let objects: K8sObject[] = [];
  for (const entry of k.resources ?? []) {
    const path = join(dir, entry);
    if (!existsSync(path)) throw new Error(`${file}: resource ${entry} does not exist`);
    if (statSync(path).isDirectory()) {
      const inner = renderKustomization(path);
      objects.push(...inner.objects);
      patchMatches.push(...inner.patchMatches);
    } else {
      objects.push(...readObjects(path));
    }
  }
  assertUniqueIds(objects, file);

  (k.patches ?? []).forEach((p, index) => {
    if (p.target === undefined) throw new Error(`${file}: patch ${index} has no target`);
    const badKeys = Object.keys(p.target).filter((key) => !TARGET_KEYS.has(key));
    if (badKeys.length > 0)
      throw new Error(`${file}: patch ${index}: target ${badKeys.join(', ')}`);
    const text = p.patch ?? (p.path !== undefined ? readFileSync(join(dir, p.path), 'utf8') : '');
    const ops = parse(text) as unknown;
    if (!Array.isArray(ops)) {
      throw new Error(`${file}: patch ${index} is not a list of JSON 6902 operations`);
    }
    let matched = 0;
    objects = objects.map((o) => {
      if (!matches(o, p.target!)) return o;
      matched += 1;
      const copy = structuredClone(o);
      // Validated: an operation on a path that is not there fails, as in Kustomize.
      return applyPatch(copy, ops as Operation[], true, true).newDocument;
    });
    patchMatches.push({ kustomization: file, index, matched });
  });

  if (k.namespace !== undefined) {
    const namespace = k.namespace;
    objects = objects.map((o) => ({ ...o, metadata: { ...o.metadata, namespace } }));
  }
  for (const image of k.images ?? []) objects = objects.map((o) => withImage(o, image));
  assertUniqueIds(objects, file);
  return { objects, patchMatches };
}

/** Every document of a YAML file, each an object with apiVersion, kind and metadata.name. */
export function readObjects(path: string): K8sObject[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]!.message}`);
    const o = doc.toJS() as Partial<K8sObject> | null;
    if (!o?.apiVersion || !o.kind || !o.metadata?.name) {
      throw new Error(`${path}: document ${i + 1} lacks apiVersion, kind or metadata.name`);
    }
    return o as K8sObject;
  });
}

const idOf = (o: K8sObject) =>
  `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

function assertUniqueIds(objects: readonly K8sObject[], file: string): void {
  const seen = new Set<string>();
  for (const o of objects) {
    const id = idOf(o);
    if (seen.has(id)) throw new Error(`${file}: ${id} is declared twice`);
    seen.add(id);
  }
}

/** Whether an object is a patch's target: every field given must match. */
export function matches(o: K8sObject, target: PatchTarget): boolean {
  const [group, version] = o.apiVersion.includes('/')
    ? (o.apiVersion.split('/') as [string, string])
    : ['', o.apiVersion];
  if (target.group !== undefined && target.group !== group) return false;
  if (target.version !== undefined && target.version !== version) return false;
  if (target.kind !== undefined && target.kind !== o.kind) return false;
  if (target.name !== undefined && !new RegExp(`^(?:${target.name})$`).test(o.metadata.name)) {
    return false;
  }
  if (target.namespace !== undefined && target.namespace !== (o.metadata.namespace ?? '')) {
    return false;
  }
  if (target.labelSelector !== undefined) {
    const labels = o.metadata.labels ?? {};
    for (const term of target.labelSelector.split(',')) {
      const [key, value] = term.split('=').map((s) => s.trim());
      if (key === undefined || value === undefined || term.includes('!')) {
        throw new Error(
          `labelSelector ${target.labelSelector}: only key=value terms are supported`,
        );
      }
      if (labels[key] !== value) return false;
    }
  }
  return true;
}

interface Container {
  image?: string;
}

/** Kustomize's `images`: containers whose image has the given name get the new name, tag or digest. */
function withImage(o: K8sObject, image: ImageOverride): K8sObject {
  const podSpec = (o.spec as { template?: { spec?: Record<string, Container[]> } } | undefined)
    ?.template?.spec;
  if (podSpec === undefined) return o;
  const copy = structuredClone(o);
  const spec = (copy.spec as { template: { spec: Record<string, Container[]> } }).template.spec;
  for (const field of ['containers', 'initContainers']) {
    for (const c of spec[field] ?? []) {
      if (c.image === undefined || imageName(c.image) !== image.name) continue;
      const name = image.newName ?? imageName(c.image);
      const old = c.image.slice(imageName(c.image).length);
      c.image =
        image.digest !== undefined
          ? `${name}@${image.digest}`
          : image.newTag !== undefined
            ? `${name}:${image.newTag}`
            : `${name}${old}`;
    }
  }
  return copy;
}

/** An image reference without its tag or digest (a registry port's colon is kept). */
function imageName(ref: string): string {
  const at = ref.indexOf('@');
  const withoutDigest = at === -1 ? ref : ref.slice(0, at);
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  return colon > slash ? withoutDigest.slice(0, colon) : withoutDigest;
}
