import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { compileRuleSet, parseRuleSet, type CompiledRuleSet } from '@lead-router/routing';

/** Reads, validates and compiles the rule set; an invalid file stops the start with every issue. */
export function loadRules(file: string): CompiledRuleSet {
  const path = resolve(file);
  const parsed = parseRuleSet(readFileSync(path, 'utf8'));
  if (!parsed.ok) {
    const lines = parsed.error.map(
      (i) => `  ${path}:${i.line ?? '?'}:${i.column ?? '?'} ${i.path}: ${i.message}`,
    );
    throw new Error(`invalid rule set ${path}:\n${lines.join('\n')}`);
  }
  return compileRuleSet(parsed.value);
}
