import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { BASE_DIR, REPO_ROOT, renderBase } from './generate';

/**
 * Writes deploy/k8s/base from the code's declarations (`npm run k8s:generate`). Files of the base
 * the generator no longer produces are removed, so the directory is exactly its output.
 */
function main(): void {
  const files = renderBase();
  const existing = readdirSync(BASE_DIR, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(BASE_DIR, join(e.parentPath, e.name)));
  for (const path of existing) if (!files.has(path)) rmSync(join(BASE_DIR, path));
  for (const [path, text] of files) {
    mkdirSync(dirname(join(BASE_DIR, path)), { recursive: true });
    writeFileSync(join(BASE_DIR, path), text);
  }
  process.stdout.write(`wrote ${files.size} files to ${relative(REPO_ROOT, BASE_DIR)}\n`);
}

main();
