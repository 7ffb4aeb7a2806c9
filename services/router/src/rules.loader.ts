import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  compileRuleSet,
  formatRuleSetIssues,
  parseRuleSet,
  type CompiledRuleSet,
} from '@lead-router/routing';

/** Reads, validates and compiles the rule set; an invalid file stops the start with every issue. */
export function loadRules(file: string): CompiledRuleSet {
  const path = resolve(file);
  const parsed = parseRuleSet(readFileSync(path, 'utf8'));
  if (!parsed.ok) {
    throw new Error(`invalid rule set:\n${formatRuleSetIssues(path, parsed.error)}`);
  }
  return compileRuleSet(parsed.value);
}
