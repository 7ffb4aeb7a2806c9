#!/usr/bin/env node
// Generates libs/schemas/src/generated/ from schemas/*.avsc: one TypeScript interface per named
// Avro type and, per top-level schema, its fully expanded JSON (named types referenced from other
// files are inlined where first used), which is what gets registered with the schema registry.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const schemaDir = path.join(root, 'schemas');
const outDir = path.join(root, 'libs', 'schemas', 'src', 'generated');

const files = fs
  .readdirSync(schemaDir)
  .filter((f) => f.endsWith('.avsc'))
  .sort();
const topLevel = files.map((f) => JSON.parse(fs.readFileSync(path.join(schemaDir, f), 'utf8')));

const named = new Map(); // full name -> definition
function fullName(def, ns) {
  return def.name.includes('.') ? def.name : `${def.namespace ?? ns}.${def.name}`;
}
function collect(type, ns) {
  if (Array.isArray(type)) return type.forEach((t) => collect(t, ns));
  if (typeof type !== 'object' || type === null) return;
  if (type.type === 'record' || type.type === 'enum' || type.type === 'fixed') {
    const name = fullName(type, ns);
    if (named.has(name)) throw new Error(`Avro type ${name} is defined twice`);
    named.set(name, type);
    if (type.type === 'record') {
      const inner = type.namespace ?? ns;
      type.fields.forEach((f) => collect(f.type, inner));
    }
  } else if (type.type === 'array') collect(type.items, ns);
  else if (type.type === 'map') collect(type.values, ns);
  else if (typeof type.type === 'object') collect(type.type, ns);
}
topLevel.forEach((s) => collect(s, s.namespace));

function resolveName(name, ns) {
  if (named.has(name)) return name;
  if (named.has(`${ns}.${name}`)) return `${ns}.${name}`;
  return null;
}

// Inline every named reference the first time it appears, so the registered schema is standalone.
function expand(type, ns, seen) {
  if (typeof type === 'string') {
    const name = resolveName(type, ns);
    if (!name || seen.has(name)) return type;
    return expand(named.get(name), ns, seen);
  }
  if (Array.isArray(type)) return type.map((t) => expand(t, ns, seen));
  if (type.type === 'record' || type.type === 'enum' || type.type === 'fixed') {
    const name = fullName(type, ns);
    seen.add(name);
    if (type.type !== 'record') return { ...type };
    const inner = type.namespace ?? ns;
    return {
      ...type,
      fields: type.fields.map((f) => ({ ...f, type: expand(f.type, inner, seen) })),
    };
  }
  if (type.type === 'array') return { ...type, items: expand(type.items, ns, seen) };
  if (type.type === 'map') return { ...type, values: expand(type.values, ns, seen) };
  return type;
}

const primitives = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'Buffer',
  string: 'string',
};
function tsType(type, ns) {
  if (typeof type === 'string') {
    if (primitives[type]) return primitives[type];
    const name = resolveName(type, ns);
    if (!name) throw new Error(`Unknown Avro type ${type}`);
    return named.get(name).name;
  }
  if (Array.isArray(type)) return type.map((t) => tsType(t, ns)).join(' | ');
  switch (type.type) {
    case 'record':
    case 'enum':
    case 'fixed':
      return type.name;
    case 'array':
      return `Array<${tsType(type.items, ns)}>`;
    case 'map':
      return `Record<string, ${tsType(type.values, ns)}>`;
    default:
      return tsType(type.type, ns);
  }
}
function doc(text, indent) {
  return text ? `${indent}/** ${text.replace(/\*\//g, '*\\/')} */\n` : '';
}

let types =
  '// Generated from schemas/*.avsc by tools/codegen/avro-to-ts.js. Do not edit.\n/* eslint-disable */\n\n';
for (const [name, def] of named) {
  const ns = name.slice(0, name.lastIndexOf('.'));
  types += doc(def.doc, '');
  if (def.type === 'enum') {
    types += `export type ${def.name} = ${def.symbols.map((s) => `'${s}'`).join(' | ')};\n`;
    types += `export const ${def.name}Values = [${def.symbols.map((s) => `'${s}'`).join(', ')}] as const;\n\n`;
  } else if (def.type === 'fixed') {
    types += `export type ${def.name} = Buffer;\n\n`;
  } else {
    types += `export interface ${def.name} {\n`;
    for (const f of def.fields) {
      types += doc(f.doc, '  ');
      types += `  ${f.name}: ${tsType(f.type, def.namespace ?? ns)};\n`;
    }
    types += '}\n\n';
  }
}

let schemas =
  '// Generated from schemas/*.avsc by tools/codegen/avro-to-ts.js. Do not edit.\n/* eslint-disable */\n\n';
for (const s of topLevel) {
  const expanded = expand(s, s.namespace, new Set());
  schemas += `export const ${s.name}Schema = ${JSON.stringify(expanded, null, 2)} as const;\n\n`;
}
schemas += `export const allSchemas = { ${topLevel.map((s) => `${s.name}: ${s.name}Schema`).join(', ')} } as const;\n`;

fs.mkdirSync(outDir, { recursive: true });
writeIfChanged(path.join(outDir, 'types.ts'), types);
writeIfChanged(path.join(outDir, 'schemas.ts'), schemas);

function writeIfChanged(file, text) {
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) return;
  fs.writeFileSync(file, text);
}
