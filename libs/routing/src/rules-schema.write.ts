/**
 * Writes libs/routing/rules.schema.json, the published JSON Schema of the rule-set YAML, from
 * the zod schema: `tsc -b libs/routing && node libs/routing/dist/rules-schema.write.js`.
 * A unit test fails while the file is stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { ruleSetJsonSchema } from './rules.schema';

export const RULES_SCHEMA_FILE = join(__dirname, '..', 'rules.schema.json');

async function main(): Promise<void> {
  // The repository's own Prettier settings, so `prettier --check .` agrees with what is written.
  const text = await format(JSON.stringify(ruleSetJsonSchema), {
    ...(await resolveConfig(RULES_SCHEMA_FILE)),
    parser: 'json',
    filepath: RULES_SCHEMA_FILE,
  });
  writeFileSync(RULES_SCHEMA_FILE, text);
  process.stdout.write(`wrote ${RULES_SCHEMA_FILE}\n`);
}

if (require.main === module) void main();
