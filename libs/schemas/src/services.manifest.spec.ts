import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DESTINATION_TYPES,
  alongsideEnv,
  type ServiceDeclaration,
  serviceEntry,
  optionalServices,
  serviceManifest,
  servedDestinationTypes,
  servicesOfKind,
} from './services.manifest';
import { Topics } from './topics';

describe('serviceManifest', () => {
  it('names every service once, each with its own default port', () => {
    const names = serviceManifest.map((s) => s.name);
    const ports = serviceManifest.map((s) => s.port.default);
    assert.equal(new Set(names).size, names.length);
    assert.equal(new Set(ports).size, ports.length);
  });

  it('points each service at its own built main.js and a topic that exists', () => {
    for (const s of serviceManifest) {
      assert.equal(s.entry, `services/${s.name}/dist/main.js`);
      for (const key of [...s.topicsIn, ...s.topicsOut]) assert.ok(key in Topics, key);
    }
  });

  it('chains the lead topics: every topic a stage reads, an earlier service writes', () => {
    const written = new Set<string>();
    for (const s of serviceManifest) {
      if (s.kind === 'stage' || s.kind === 'sink') {
        // rules and accounts are written by leadctl; the enricher learns the owners of the leads
        // it checks for duplicates from the router's output, a loop back by design.
        const outside = ['rules', 'accounts', ...(s.name === 'enricher' ? ['routed'] : [])];
        const fromOutside = s.topicsIn.filter((t) => !outside.includes(t) && !written.has(t));
        const ownLoop = fromOutside.filter((t) => (s.topicsOut as readonly string[]).includes(t));
        assert.deepEqual(fromOutside, ownLoop, `${s.name} reads a topic nobody before it writes`);
      }
      for (const t of s.topicsOut) written.add(t);
    }
  });

  it('declares each optional deployment like a service, in place of services of the manifest', () => {
    const names: string[] = serviceManifest.map((s) => s.name);
    const ports: number[] = serviceManifest.map((s) => s.port.default);
    for (const s of optionalServices) {
      assert.ok(!names.includes(s.name) && !ports.includes(s.port.default), s.name);
      assert.equal(s.entry, `services/${s.name}/dist/main.js`);
      for (const key of [...s.topicsIn, ...s.topicsOut]) assert.ok(key in Topics, key);
      for (const name of [...s.replaces, ...Object.keys(s.alongside)]) {
        assert.ok(names.includes(name), name);
      }
      assert.equal(serviceEntry(s.name), s);
    }
  });

  it('gives a service beside a fused deployment what the deployment adds, and others nothing', () => {
    const fused = serviceEntry('pipeline-fused');
    assert.deepEqual(alongsideEnv(fused, 'router'), { ROUTER_STEPS: 'assign' });
    assert.deepEqual(alongsideEnv(fused, 'sink-webhook'), {});
    assert.deepEqual(alongsideEnv(fused, 'pipeline-fused'), {});
  });

  it('finds a service by name', () => {
    assert.equal(serviceEntry('ingest').port.env, 'INGEST_PORT');
    assert.equal(serviceEntry('router').kind, 'stage');
  });

  it('filters by kind and keeps pipeline order', () => {
    const sut = servicesOfKind('stage', 'sink');
    assert.ok(sut.every((s) => s.kind === 'stage' || s.kind === 'sink'));
    const positions = sut.map((s) => serviceManifest.indexOf(s));
    assert.deepEqual(
      positions,
      [...positions].sort((a, b) => a - b),
    );
    const names: string[] = sut.map((s) => s.name);
    assert.ok(names.includes('normalizer') && names.includes('sink-webhook'));
    assert.ok(!names.includes('ingest') && !names.includes('indexer'));
  });

  it('gives every sink, and only a sink, the destination types it delivers to', () => {
    for (const s of serviceManifest as readonly ServiceDeclaration[]) {
      if (s.kind === 'sink') {
        assert.ok(s.destinationTypes && s.destinationTypes.length > 0, `${s.name} serves no type`);
        for (const t of s.destinationTypes) assert.ok(DESTINATION_TYPES.includes(t), t);
      } else {
        assert.equal(s.destinationTypes, undefined, `${s.name} is no sink`);
      }
    }
  });

  it('lists the served destination types once each', () => {
    const sut = servedDestinationTypes();
    assert.ok(sut.includes('webhook'));
    assert.equal(new Set(sut).size, sut.length);
    const declared = servicesOfKind('sink').flatMap((s) => [...s.destinationTypes]);
    assert.deepEqual([...sut].sort(), [...new Set(declared)].sort());
  });
});
