'use strict';
/**
 * The service generator, run against the repository's own manifest, compose file and root
 * tsconfig in an in-memory tree; then the generated service, plus the manifest line it prints,
 * is type-checked against the real libraries, as `nx build` would, in a scratch directory.
 */
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { describe, it } = require('node:test');
const { logger } = require('@nx/devkit');
const { createTreeWithEmptyWorkspace } = require('@nx/devkit/testing');
const serviceGenerator = require('./service.generator');

const repo = path.resolve(__dirname, '../../..');
const MANIFEST = 'libs/schemas/src/services.manifest.ts';
const SEEDED = [MANIFEST, 'docker-compose.yml', 'tsconfig.json'];
// Formatting is Prettier's business, and the in-memory tree has no formatter to find.
process.env.NX_SKIP_FORMAT = 'true';

/** Runs the generator on a tree holding the repository's files; returns the tree and what it printed. */
async function generate(options) {
  const tree = createTreeWithEmptyWorkspace();
  for (const file of SEEDED) tree.write(file, fs.readFileSync(path.join(repo, file), 'utf-8'));
  const printed = [];
  const info = logger.info;
  logger.info = (line) => printed.push(String(line));
  try {
    const callback = await serviceGenerator(tree, options);
    callback();
  } finally {
    logger.info = info;
  }
  return { tree, printed };
}

/** Writes every file the tree holds under `prefix` into `dir`. */
function writeOut(tree, prefix, dir) {
  for (const change of tree.listChanges()) {
    if (!change.path.startsWith(prefix) || change.type === 'DELETE') continue;
    const target = path.join(dir, change.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, change.content);
  }
}

describe('nx g @lead-router/tools:service', () => {
  it('creates a sink folder, its compose service and root reference, and prints its manifest line', async () => {
    const { tree, printed } = await generate({ name: 'sink-xyz', kind: 'sink' });
    for (const file of [
      'package.json',
      'project.json',
      'tsconfig.json',
      'tsconfig.lib.json',
      'src/main.ts',
      'src/sink-xyz.stage.ts',
    ]) {
      assert.ok(tree.exists(`services/sink-xyz/${file}`), `services/sink-xyz/${file}`);
    }
    const project = JSON.parse(tree.read('services/sink-xyz/project.json', 'utf-8'));
    assert.equal(project.name, 'sink-xyz');
    assert.deepEqual(project.tags, ['type:app']);
    assert.equal(
      JSON.parse(tree.read('services/sink-xyz/package.json', 'utf-8')).name,
      '@lead-router/sink-xyz',
    );
    assert.match(tree.read('services/sink-xyz/src/sink-xyz.stage.ts', 'utf-8'), /RoutedLead/);

    const root = JSON.parse(tree.read('tsconfig.json', 'utf-8'));
    assert.ok(root.references.some((r) => r.path === 'services/sink-xyz'));

    const compose = tree.read('docker-compose.yml', 'utf-8');
    assert.ok(
      compose.indexOf('\n  sink-xyz:\n') < compose.indexOf('\n  indexer:\n'),
      'the new service comes before the indexer',
    );
    assert.match(compose, /SERVICE: sink-xyz\n\s+PORT: \d+/);

    const line = printed.find((l) => l.includes("name: 'sink-xyz'"));
    assert.ok(line, printed.join('\n'));
    assert.match(line, /kind: 'sink'.*topicsIn: \['routed'\]/);
    assert.equal(tree.read(MANIFEST, 'utf-8'), fs.readFileSync(path.join(repo, MANIFEST), 'utf-8'));
  });

  it('refuses a name the manifest declares already, or an unknown kind', async () => {
    await assert.rejects(generate({ name: 'router' }), /declares a service router already/);
    await assert.rejects(generate({ name: 'sink-q', kind: 'source' }), /--kind must be stage/);
  });

  it('makes a service that type-checks once its manifest line is added', async () => {
    const { tree, printed } = await generate({ name: 'stage-xyz', kind: 'stage' });
    const line = printed.find((l) => l.includes("name: 'stage-xyz'"));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lead-router-generator-'));
    try {
      writeOut(tree, 'services/stage-xyz/', dir);
      // The schemas library as source, with the printed line added, so the new name is known.
      fs.cpSync(path.join(repo, 'libs/schemas/src'), path.join(dir, 'schemas'), {
        recursive: true,
        filter: (p) => !p.endsWith('.spec.ts'),
      });
      const manifest = path.join(dir, 'schemas/services.manifest.ts');
      fs.writeFileSync(
        manifest,
        fs
          .readFileSync(manifest, 'utf-8')
          .replace("  {\n    name: 'indexer',", `${line}\n  {\n    name: 'indexer',`),
      );
      fs.symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
      fs.writeFileSync(
        path.join(dir, 'tsconfig.check.json'),
        JSON.stringify({
          extends: path.join(repo, 'tsconfig.base.json'),
          compilerOptions: {
            noEmit: true,
            composite: false,
            incremental: false,
            declaration: false,
            declarationMap: false,
            baseUrl: '.',
            paths: { '@lead-router/schemas': ['schemas/index.ts'] },
          },
          include: ['services/stage-xyz/src/**/*.ts', 'schemas/**/*.ts'],
        }),
      );
      const tsc = path.join(repo, 'node_modules/typescript/bin/tsc');
      try {
        execFileSync(process.execPath, [tsc, '-p', path.join(dir, 'tsconfig.check.json')], {
          encoding: 'utf-8',
        });
      } catch (error) {
        assert.fail(`the generated service does not type-check:\n${error.stdout}`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
