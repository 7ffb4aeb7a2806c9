'use strict';
/**
 * `npx nx g @lead-router/tools:service <name> --kind=stage|sink`: a new service folder from the
 * templates in ./files, its reference in the root tsconfig.json, its service in docker-compose.yml,
 * and the line to add
 * to the manifest of services (libs/schemas/src/services.manifest.ts), which it prints.
 */
const path = require('node:path');
const { formatFiles, generateFiles, logger, names, updateJson } = require('@nx/devkit');

const MANIFEST = 'libs/schemas/src/services.manifest.ts';

/** What each kind reads by default: the topic key in `Topics` and the Avro record on it. */
const KINDS = {
  stage: { topicIn: 'enriched', topicName: 'leads.enriched', schema: 'EnrichedLead' },
  sink: { topicIn: 'routed', topicName: 'leads.routed', schema: 'RoutedLead' },
};

/** The next free default port after the manifest's `PORT` services (8181, 8182, …). */
function nextPort(manifestSource) {
  const ports = [...manifestSource.matchAll(/env: 'PORT', default: (\d+)/g)].map((m) =>
    Number(m[1]),
  );
  return ports.length === 0 ? 8181 : Math.max(...ports) + 1;
}

function manifestLine(o) {
  return (
    `  { name: '${o.name}', kind: '${o.kind}', port: { env: 'PORT', default: ${o.port} }, ` +
    `topicsIn: ['${o.topicIn}'], topicsOut: ['dlq'], healthPath: '/health', ` +
    `entry: 'services/${o.name}/dist/main.js' },`
  );
}

/** Add `{ "path": "services/<name>" }` to a root tsconfig's references, among the services in name order. */
function addReference(tree, file, projectRoot) {
  if (!tree.exists(file)) return;
  updateJson(tree, file, (json) => {
    const refs = json.references ?? [];
    if (refs.some((r) => r.path === projectRoot)) return json;
    const services = refs.filter((r) => r.path.startsWith('services/'));
    const before = services.filter((r) => r.path.localeCompare(projectRoot) < 0).pop();
    const at =
      before !== undefined
        ? refs.indexOf(before) + 1
        : services.length > 0
          ? refs.indexOf(services[0])
          : refs.length;
    refs.splice(at, 0, { path: projectRoot });
    json.references = refs;
    return json;
  });
}

/** The service in docker-compose.yml, on the shared image and environment, before the indexer. */
function addComposeService(tree, name, port) {
  const file = 'docker-compose.yml';
  const text = tree.read(file, 'utf-8');
  if (text === null || text.includes(`\n  ${name}:\n`)) return;
  const block =
    `  ${name}:\n    <<: *service\n    environment:\n      <<: *service-env\n` +
    `      SERVICE: ${name}\n      PORT: ${port}\n\n`;
  const at = text.indexOf('\n  indexer:\n');
  if (at === -1) throw new Error(`${file} has no indexer service to add ${name} before`);
  tree.write(file, text.slice(0, at + 1) + block + text.slice(at + 1));
}

async function serviceGenerator(tree, options) {
  const kind = options.kind ?? 'stage';
  const settings = KINDS[kind];
  if (settings === undefined) throw new Error(`--kind must be stage or sink, not ${kind}`);
  const name = names(options.name).fileName;
  if (name !== options.name)
    throw new Error(`a service name is kebab case: ${name}, not ${options.name}`);
  const projectRoot = `services/${name}`;
  if (tree.exists(projectRoot)) throw new Error(`${projectRoot} exists already`);
  const manifest = tree.read(MANIFEST, 'utf-8');
  if (manifest === null)
    throw new Error(`${MANIFEST} not found: run this from the repository root`);
  if (manifest.includes(`name: '${name}'`))
    throw new Error(`${MANIFEST} declares a service ${name} already`);

  generateFiles(tree, path.join(__dirname, 'files'), projectRoot, {
    name,
    kind,
    className: names(name).className,
    propertyName: names(name).propertyName,
    topicIn: settings.topicIn,
    topicName: settings.topicName,
    schema: settings.schema,
  });
  const port = nextPort(manifest);
  addReference(tree, 'tsconfig.json', projectRoot);
  addComposeService(tree, name, port);
  await formatFiles(tree);

  const line = manifestLine({ name, kind, port, topicIn: settings.topicIn });
  return () => {
    logger.info(`Add ${name} to serviceManifest in ${MANIFEST} (before the indexer):`);
    logger.info('');
    logger.info(line);
    logger.info('');
    logger.info(
      'Then `npm install --no-audit --no-fund` records the new workspace in package-lock.json, and ' +
        `\`npx nx build ${name}\` builds it; after you import another lib, \`npx nx sync\` adds its reference.`,
    );
  };
}

module.exports = serviceGenerator;
module.exports.default = serviceGenerator;
