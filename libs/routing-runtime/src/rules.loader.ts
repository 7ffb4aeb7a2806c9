import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { errorMessage } from '@lead-router/errors';
import {
  compileRuleSet,
  formatRuleSetIssues,
  parseRuleSet,
  type CompiledRuleSet,
} from '@lead-router/routing';
import type { DestinationType } from '@lead-router/schemas';
import { RulesFileError } from './rules-file.error';

/**
 * Reads, validates and compiles the rule set; an invalid file (a destination type no sink
 * serves included) stops the start with every issue.
 */
export function loadRules(
  file: string,
  servedDestinationTypes: readonly DestinationType[],
): CompiledRuleSet {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RulesFileError(
      `cannot read the rule set ${path}: ${errorMessage(err)}`,
      'rules_file_unreadable',
      path,
      [],
      err,
    );
  }
  const parsed = parseRuleSet(text, { servedDestinationTypes });
  if (!parsed.ok) {
    throw new RulesFileError(
      `invalid rule set:\n${formatRuleSetIssues(path, parsed.error)}`,
      'invalid_rule_set',
      path,
      parsed.error,
    );
  }
  return compileRuleSet(parsed.value);
}
